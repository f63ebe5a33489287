; int.asm - software interrupts and exceptions in real mode: INT n through
; IVT entries installed here, INT3 (CC) and INT 3 (CD 03), INTO with OF=0
; (no trap) and OF=1 (trap, IP after INTO), the pushed FLAGS/CS/IP as seen
; by the handler, IF and TF cleared inside the handler, IRET restoring (and
; applying handler-modified) FLAGS, a handler entered through another CS,
; nested INT, and #UD (INT 6) for undefined/invalid opcodes with the pushed
; IP pointing AT the faulting instruction.
%include "common.inc"

ALIAS     equ 0xEF00            ; CS alias of the ROM: EF00:(x+1000h) = F000:x
H_COUNT   equ SCRATCH+0x00
H_VEC     equ SCRATCH+0x02
H_IP      equ SCRATCH+0x04
H_CS      equ SCRATCH+0x06
H_FL      equ SCRATCH+0x08      ; FLAGS pushed by the interrupt
H_INFL    equ SCRATCH+0x0A      ; FLAGS inside the handler
H_SP      equ SCRATCH+0x0C      ; SP at handler entry
H_RESUME  equ SCRATCH+0x0E      ; if nonzero: IP to return to
H_SETFL   equ SCRATCH+0x10      ; OR-ed into the FLAGS image before IRET
H_INCS    equ SCRATCH+0x12      ; CS seen inside the alias handler

; HANDLER vector: a stub that captures FLAGS at entry and jumps to h_common
%macro HANDLER 1
h_%1:
        pushf
        push ax
        mov al, %1
        jmp h_common
%endmacro

; RESET_H: clear the recorded state before a test
%macro RESET_H 0
        mov word [H_COUNT], 0
        mov word [H_VEC], 0xFFFF
        mov word [H_IP], 0xFFFF
        mov word [H_CS], 0xFFFF
        mov word [H_RESUME], 0
        mov word [H_SETFL], 0
%endmacro

; UD_CASE name, bytes...: the bytes must raise #UD at their first byte
%macro UD_CASE 2+
        RESET_H
        mov word [H_RESUME], %%after
%%at:   %2
%%after:
        CHECK16 [H_COUNT], 1, %1, "_count"
        CHECK8 [H_VEC], 6, %1, "_vector"
        CHECK16 [H_IP], %%at-$$, %1, "_ip"
%endmacro

        INIT
        jmp tests

        HANDLER 0x03
        HANDLER 0x04
        HANDLER 0x06
        HANDLER 0x40
        HANDLER 0xFF

h_common:                       ; [bp+2] AX, [bp+4] FLAGS in handler,
        push bp                 ; [bp+6] IP, [bp+8] CS, [bp+10] FLAGS
        mov bp, sp
        push ds
        push bx
        xor bx, bx
        mov ds, bx
        mov [H_VEC], al
        inc word [H_COUNT]
        mov bx, [bp+4]
        mov [H_INFL], bx
        mov bx, [bp+6]
        mov [H_IP], bx
        mov bx, [bp+8]
        mov [H_CS], bx
        mov bx, [bp+10]
        mov [H_FL], bx
        lea bx, [bp+6]
        mov [H_SP], bx
        mov bx, [bp+10]
        or bx, [H_SETFL]
        mov [bp+10], bx
        mov bx, [H_RESUME]
        test bx, bx
        jz .keep
        mov [bp+6], bx
.keep:  pop bx
        pop ds
        pop bp
        pop ax
        add sp, 2               ; drop the handler-entry FLAGS
        iret

h_alias:                        ; entered as ALIAS:h_alias+1000h
        push ds
        push 0
        pop ds
        mov [H_INCS], cs
        inc word [H_COUNT]
        pop ds
        iret

h_nest:                         ; INT 42h handler that itself does INT 40h
        int 0x40
h_nest_ret:
        iret

tests:
        SETVEC 0x03, h_0x03
        SETVEC 0x04, h_0x04
        SETVEC 0x06, h_0x06
        SETVEC 0x40, h_0x40
        SETVEC 0xFF, h_0xFF
        SETVEC 0x42, h_nest
        ; IVT[41h] = ALIAS:h_alias+1000h
        mov word [0x41*4], h_alias+0x1000
        mov word [0x41*4+2], ALIAS

; ------------------------------------------------------------ INT n
        RESET_H
        SETF CF|ZF|IFL                  ; PICs are masked: IF=1 is safe
        int 0x40
.r1:    cli
        CHECK16 [H_COUNT], 1, "int40_count"
        CHECK8 [H_VEC], 0x40, "int40_vector"
        CHECK16 [H_IP], .r1-$$, "int40_pushed_ip"
        CHECK16 [H_CS], 0xF000, "int40_pushed_cs"
        mov ax, [H_FL]
        and ax, ARITH|TFL|IFL|DFL|0x0002
        CHECK16 ax, CF|ZF|IFL|0x0002, "int40_pushed_flags"
        mov ax, [H_INFL]
        and ax, TFL|IFL
        CHECK16 ax, 0, "int40_handler_if_tf_clear"
        mov ax, [H_INFL]
        and ax, ARITH
        CHECK16 ax, CF|ZF, "int40_handler_status_flags_kept"
        CHECK16 [H_SP], STACK_TOP-6, "int40_pushed_6_bytes"
        CHECK16 sp, STACK_TOP, "int40_iret_sp"

        RESET_H
        SETF IFL
        int 0x40
        pushf                           ; IRET restored IF=1
        cli
        pop ax
        and ax, IFL
        CHECK16 ax, IFL, "iret_restores_if"

        RESET_H
        mov word [H_SETFL], OF|SF|CF
        SETF ZF
        int 0x40
        CHECKF ARITH, OF|SF|CF|ZF, "iret_loads_modified_flags"

        RESET_H
        SETF 0
        int 0xFF
.r2:    CHECK8 [H_VEC], 0xFF, "intff_vector"
        CHECK16 [H_IP], .r2-$$, "intff_pushed_ip"

; ------------------------------------------------------------ INT3 / INT 3
        RESET_H
        int3                            ; CC
.r3:    CHECK16 [H_COUNT], 1, "int3_cc_count"
        CHECK8 [H_VEC], 3, "int3_cc_vector"
        CHECK16 [H_IP], .r3-$$, "int3_cc_pushed_ip"
        RESET_H
        int 3                           ; CD 03
.r4:    CHECK8 [H_VEC], 3, "int_3_cd03_vector"
        CHECK16 [H_IP], .r4-$$, "int_3_cd03_pushed_ip"

; ------------------------------------------------------------ INTO
        RESET_H
        SETF 0
        into                            ; OF=0: nothing
        CHECK16 [H_COUNT], 0, "into_of0_no_trap"
        RESET_H
        SETF OF
        into
.r5:    CHECK16 [H_COUNT], 1, "into_of1_count"
        CHECK8 [H_VEC], 4, "into_of1_vector"
        CHECK16 [H_IP], .r5-$$, "into_of1_pushed_ip_after"
        mov ax, [H_FL]
        and ax, OF
        CHECK16 ax, OF, "into_of1_pushed_flags"
        RESET_H
        mov al, 0x7F
        add al, 1                       ; OF=1 from real arithmetic
        into
        CHECK16 [H_COUNT], 1, "into_after_overflow"

; ------------------------------------------------------------ handler through another CS, nested INT
        mov word [H_COUNT], 0
        mov word [H_INCS], 0
        int 0x41
        CHECK16 [H_INCS], ALIAS, "int_loads_cs_from_ivt"
        CHECK16 [H_COUNT], 1, "int_alias_count"

        RESET_H
        int 0x42
        CHECK16 [H_COUNT], 1, "int_nested_count"
        CHECK16 [H_IP], h_nest_ret-$$, "int_nested_pushed_ip"
        CHECK16 [H_SP], STACK_TOP-12, "int_nested_sp"
        CHECK16 sp, STACK_TOP, "int_nested_sp_after"

; ------------------------------------------------------------ #UD
        SETF CF
        UD_CASE "ud2", ud2
        mov ax, [H_FL]
        and ax, ARITH
        CHECK16 ax, CF, "ud2_pushed_flags"
        CHECK16 [H_CS], 0xF000, "ud2_pushed_cs"
        UD_CASE "ud_0f_ff", db 0x0F, 0xFF, 0xC0
        UD_CASE "ud_mov_cs", db 0x8E, 0xC8       ; mov cs, ax
        UD_CASE "ud_lock_nop", db 0xF0, 0x90     ; LOCK on a non-lockable instruction
        UD_CASE "ud_lock_add_reg", db 0xF0, 0x01, 0xD8  ; LOCK add ax, bx (register destination)
        mov ax, 0x1234
        mov bx, 0x0001
        UD_CASE "ud_prefixed", db 0x26, 0x0F, 0x0B      ; es ud2: IP at the prefix
        CHECK16 ax, 0x1234, "ud_regs_unchanged"
        CHECK16 sp, STACK_TOP, "ud_sp_balanced"

        FINISH
        ROM_END
