; stack.asm - PUSH/POP of registers, segment registers, memory and
; immediates (68/6A), PUSH SP/ESP (pushes the old value), POP SP, POP into
; [ESP] (address computed after the increment), PUSHA/POPA, PUSHAD/POPAD,
; PUSHF/POPF (real mode: IOPL and NT writable, bit 15 and bits 3/5 read 0,
; bit 1 reads 1), CALL/RET near and far incl. RET imm16, ENTER (levels 0,
; 1, 3) and LEAVE, BOUND in range and out of range (#BR = INT 5, pushed IP
; at the BOUND).
%include "common.inc"

DATA      equ 0x1000
BR_COUNT  equ SCRATCH+0
BR_IP     equ SCRATCH+2
BR_RESUME equ SCRATCH+8
FAR_IP    equ SCRATCH+0x10
FAR_CS    equ SCRATCH+0x12
FAR_VAL   equ SCRATCH+0x14
ALIAS     equ 0xEF00            ; CS alias of the ROM: EF00:(x+1000h) = F000:x

; BR_CASE name, instruction: instruction must raise #BR (INT 5)
%macro BR_CASE 2+
        mov word [BR_COUNT], 0
        mov word [BR_IP], 0xFFFF
        mov word [BR_RESUME], %%after
%%at:   %2
%%after:
        CHECK16 [BR_COUNT], 1, %1, "_count"
        CHECK16 [BR_IP], %%at-$$, %1, "_ip"
%endmacro

        INIT
        jmp tests

br_handler:
        push bp
        mov bp, sp
        push ax
        push ds
        xor ax, ax
        mov ds, ax
        inc word [BR_COUNT]
        mov ax, [bp+2]
        mov [BR_IP], ax
        mov ax, [BR_RESUME]
        mov [bp+2], ax
        pop ds
        pop ax
        pop bp
        iret

near_sub:                       ; returns its own return address in CX
        mov bx, sp
        mov cx, [bx]
        ret

near_sub_ret4:                  ; returns [sp+2] in CX, pops 4 bytes of args
        mov bx, sp
        mov cx, [bx+2]
        ret 4

near_sub32:                     ; called with o32: returns the dword return address in ECX
        mov bx, sp
        mov ecx, [bx]
        o32 ret

far_sub:                        ; records the pushed IP and CS
        push bp
        mov bp, sp
        mov ax, [bp+2]
        mov [FAR_IP], ax
        mov ax, [bp+4]
        mov [FAR_CS], ax
        pop bp
        retf

far_sub_ret2:                   ; records its argument, pops it
        push bp
        mov bp, sp
        mov ax, [bp+6]
        mov [FAR_VAL], ax
        pop bp
        retf 2

far_sub_cs:                     ; returns CS in AX (runs at any CS alias)
        mov ax, cs
        retf

tests:
; ------------------------------------------------------------ PUSH/POP registers
        CHECK16 sp, STACK_TOP, "sp_initial"
        mov ax, 0x1234
        push ax
        CHECK16 sp, STACK_TOP-2, "push_r16_sp"
        CHECK16 [STACK_TOP-2], 0x1234, "push_r16_mem"
        pop bx
        CHECK16 bx, 0x1234, "pop_r16"
        CHECK16 sp, STACK_TOP, "pop_r16_sp"
        mov eax, 0x89ABCDEF
        push eax
        CHECK16 sp, STACK_TOP-4, "push_r32_sp"
        CHECK32 [STACK_TOP-4], 0x89ABCDEF, "push_r32_mem"
        pop ecx
        CHECK32 ecx, 0x89ABCDEF, "pop_r32"
        CHECK16 sp, STACK_TOP, "pop_r32_sp"
        mov si, 0x5555
        mov di, 0xAAAA
        push si
        push di
        pop si
        pop di
        CHECK16 si, 0xAAAA, "push_pop_swap_si"
        CHECK16 di, 0x5555, "push_pop_swap_di"

        push sp                         ; pushes SP before the decrement
        CHECK16 [STACK_TOP-2], STACK_TOP, "push_sp_old_value"
        pop ax
        push esp
        CHECK32 [STACK_TOP-4], STACK_TOP, "push_esp_old_value"
        pop eax
        push word 0x6800
        pop sp                          ; SP = popped value
        CHECK16 sp, 0x6800, "pop_sp"
        mov sp, STACK_TOP
        push dword 0x00006C00
        pop esp
        CHECK32 esp, 0x00006C00, "pop_esp"
        mov esp, STACK_TOP

; ------------------------------------------------------------ segment registers
        mov ax, 0x1234
        mov es, ax
        push es
        pop fs
        CHECK16 fs, 0x1234, "push_es_pop_fs"
        push cs
        pop ax
        CHECK16 ax, 0xF000, "push_cs"
        push ss
        pop ax
        CHECK16 ax, 0x0000, "push_ss"
        mov ax, 0x2345
        mov gs, ax
        push gs                         ; 0F A8
        pop es
        CHECK16 es, 0x2345, "push_gs_pop_es"
        push fs                         ; 0F A0
        pop gs                          ; 0F A9
        CHECK16 gs, 0x1234, "push_fs_pop_gs"
        push ds
        mov ax, 0x0100
        mov ds, ax
        pop ds
        CHECK16 ds, 0x0000, "push_pop_ds"
        o32 push es                     ; 32-bit push of a segment register: 4 bytes
        CHECK16 sp, STACK_TOP-4, "push_es_o32_sp"
        CHECK16 [STACK_TOP-4], 0x2345, "push_es_o32_low"
        mov ax, 0
        mov es, ax
        o32 pop es
        CHECK16 sp, STACK_TOP, "pop_es_o32_sp"
        CHECK16 es, 0x2345, "pop_es_o32"
        xor ax, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        ; a stack in another segment: SS base is used
        mov word [0x5FFE], 0
        mov ax, 0x0500
        mov ss, ax
        mov sp, 0x1000
        push word 0xC0DE                ; SS:0FFE = phys 0x5FFE
        mov bx, 0
        mov ss, bx
        mov sp, STACK_TOP
        CHECK16 [0x5FFE], 0xC0DE, "push_uses_ss_base"

; ------------------------------------------------------------ memory and immediate operands
        mov word [DATA], 0x4321
        push word [DATA]                ; FF /6
        pop word [DATA+2]               ; 8F /0
        CHECK16 [DATA+2], 0x4321, "push_pop_m16"
        mov dword [DATA+4], 0xFEDCBA98
        push dword [DATA+4]
        pop dword [DATA+8]
        CHECK32 [DATA+8], 0xFEDCBA98, "push_pop_m32"
        push word 0x1111
        push word 0x2222
        push word [esp+2]               ; address from the old ESP: 0x1111
        pop ax
        CHECK16 ax, 0x1111, "push_m16_esp_based"
        pop word [esp]                  ; pops 0x2222, then stores it at the new [ESP]
        CHECK16 sp, STACK_TOP-2, "pop_m16_esp_based_sp"
        CHECK16 [STACK_TOP-2], 0x2222, "pop_m16_esp_based"
        pop ax
        push word 0x1234                ; 68 iw
        pop ax
        CHECK16 ax, 0x1234, "push_imm16"
        push byte -1                    ; 6A ib, sign-extended
        CHECK16 sp, STACK_TOP-2, "push_imm8_sp"
        pop ax
        CHECK16 ax, 0xFFFF, "push_imm8_sext"
        push byte 0x7F
        pop ax
        CHECK16 ax, 0x007F, "push_imm8_pos"
        push dword -2                   ; 66 6A ib
        CHECK16 sp, STACK_TOP-4, "push_imm8_o32_sp"
        pop eax
        CHECK32 eax, 0xFFFFFFFE, "push_imm8_o32_sext"
        push dword 0x12345678           ; 66 68 id
        pop eax
        CHECK32 eax, 0x12345678, "push_imm32"

; ------------------------------------------------------------ PUSHA/POPA, PUSHAD/POPAD
        mov ax, 1
        mov cx, 2
        mov dx, 3
        mov bx, 4
        mov bp, 5
        mov si, 6
        mov di, 7
        pusha
        CHECK16 sp, STACK_TOP-16, "pusha_sp"
        CHECK16 [STACK_TOP-2], 1, "pusha_ax"
        CHECK16 [STACK_TOP-4], 2, "pusha_cx"
        CHECK16 [STACK_TOP-6], 3, "pusha_dx"
        CHECK16 [STACK_TOP-8], 4, "pusha_bx"
        CHECK16 [STACK_TOP-10], STACK_TOP, "pusha_sp_slot"
        CHECK16 [STACK_TOP-12], 5, "pusha_bp"
        CHECK16 [STACK_TOP-14], 6, "pusha_si"
        CHECK16 [STACK_TOP-16], 7, "pusha_di"
        mov word [STACK_TOP-10], 0x1234 ; POPA skips the SP slot
        xor ax, ax
        xor cx, cx
        xor dx, dx
        xor bx, bx
        xor bp, bp
        xor si, si
        xor di, di
        popa
        CHECK16 sp, STACK_TOP, "popa_sp"
        CHECK16 ax, 1, "popa_ax"
        CHECK16 cx, 2, "popa_cx"
        CHECK16 dx, 3, "popa_dx"
        CHECK16 bx, 4, "popa_bx"
        CHECK16 bp, 5, "popa_bp"
        CHECK16 si, 6, "popa_si"
        CHECK16 di, 7, "popa_di"
        mov eax, 0x11111111
        mov ecx, 0x22222222
        mov edx, 0x33333333
        mov ebx, 0x44444444
        mov ebp, 0x55555555
        mov esi, 0x66666666
        mov edi, 0x77777777
        pushad
        CHECK16 sp, STACK_TOP-32, "pushad_sp"
        CHECK32 [STACK_TOP-4], 0x11111111, "pushad_eax"
        CHECK32 [STACK_TOP-16], 0x44444444, "pushad_ebx"
        CHECK32 [STACK_TOP-20], STACK_TOP, "pushad_esp_slot"
        CHECK32 [STACK_TOP-32], 0x77777777, "pushad_edi"
        xor eax, eax
        xor ecx, ecx
        xor edx, edx
        xor ebx, ebx
        xor ebp, ebp
        xor esi, esi
        xor edi, edi
        popad
        CHECK16 sp, STACK_TOP, "popad_sp"
        CHECK32 eax, 0x11111111, "popad_eax"
        CHECK32 ecx, 0x22222222, "popad_ecx"
        CHECK32 edx, 0x33333333, "popad_edx"
        CHECK32 ebx, 0x44444444, "popad_ebx"
        CHECK32 ebp, 0x55555555, "popad_ebp"
        CHECK32 esi, 0x66666666, "popad_esi"
        CHECK32 edi, 0x77777777, "popad_edi"
        xor ebp, ebp

; ------------------------------------------------------------ PUSHF/POPF
        SETF 0
        pushf
        pop ax
        CHECK16 ax, 0x0002, "pushf_clear"
        push word 0xFCFF                ; all but TF and IF
        popf
        pushf
        pop ax
        cld
        SETF 0
        CHECK16 ax, 0x7CD7, "popf_pushf_real_mode_bits"
        push word 0x08D5
        popf
        CHECKF ARITH, ARITH, "popf_status_flags"
        pushfd
        CHECK16 sp, STACK_TOP-4, "pushfd_sp"
        pop eax
        CHECK16 ax, 0x08D7, "pushfd_low"
        push dword 0x00000001
        popfd
        CHECKF ARITH, CF, "popfd"
        SETF 0

; ------------------------------------------------------------ CALL/RET
        call near_sub
.ret1:  CHECK16 cx, .ret1-$$, "call_near_pushes_ip"
        CHECK16 sp, STACK_TOP, "ret_near_sp"
        push word 0x1111
        push word 0x2222
        call near_sub_ret4
        CHECK16 cx, 0x2222, "call_near_arg"
        CHECK16 sp, STACK_TOP, "ret_imm16_sp"
        mov ecx, 0xFFFFFFFF
        call dword near_sub32           ; 66 E8 rel32: pushes EIP (4 bytes)
.ret32: CHECK32 ecx, .ret32-$$, "call_o32_pushes_eip"
        CHECK16 sp, STACK_TOP, "ret_o32_sp"
        mov word [DATA+0x10], near_sub
        call [DATA+0x10]                ; FF /2 mem
.ret2:  CHECK16 cx, .ret2-$$, "call_near_mem"
        mov ax, near_sub
        call ax                         ; FF /2 reg
.ret3:  CHECK16 cx, .ret3-$$, "call_near_reg"

        call ROMSEG:far_sub             ; 9A
.ret4:  CHECK16 [FAR_IP], .ret4-$$, "call_far_pushes_ip"
        CHECK16 [FAR_CS], 0xF000, "call_far_pushes_cs"
        CHECK16 sp, STACK_TOP, "retf_sp"
        push word 0xABCD
        call ROMSEG:far_sub_ret2
        CHECK16 [FAR_VAL], 0xABCD, "call_far_arg"
        CHECK16 sp, STACK_TOP, "retf_imm16_sp"
        mov word [DATA+0x14], far_sub
        mov word [DATA+0x16], ROMSEG
        call far [DATA+0x14]            ; FF /3
.ret5:  CHECK16 [FAR_IP], .ret5-$$, "call_far_mem_ip"
        CHECK16 [FAR_CS], 0xF000, "call_far_mem_cs"
        call ALIAS:far_sub_cs+0x1000    ; same bytes through another CS
        CHECK16 ax, ALIAS, "call_far_loads_cs"
        CHECK16 sp, STACK_TOP, "call_far_alias_sp"

; ------------------------------------------------------------ ENTER/LEAVE
        mov bp, 0x1234
        enter 8, 0
        CHECK16 bp, STACK_TOP-2, "enter0_bp"
        CHECK16 sp, STACK_TOP-10, "enter0_sp"
        CHECK16 [STACK_TOP-2], 0x1234, "enter0_saved_bp"
        leave
        CHECK16 bp, 0x1234, "leave0_bp"
        CHECK16 sp, STACK_TOP, "leave0_sp"

        enter 4, 1
        CHECK16 bp, STACK_TOP-2, "enter1_bp"
        CHECK16 sp, STACK_TOP-8, "enter1_sp"
        CHECK16 [STACK_TOP-2], 0x1234, "enter1_saved_bp"
        CHECK16 [STACK_TOP-4], STACK_TOP-2, "enter1_frame_ptr"
        leave
        CHECK16 bp, 0x1234, "leave1_bp"
        CHECK16 sp, STACK_TOP, "leave1_sp"

        mov word [0x67FE], 0xAAAA       ; the caller's display, below its BP
        mov word [0x67FC], 0xBBBB
        mov bp, 0x6800
        enter 6, 3
        CHECK16 bp, STACK_TOP-2, "enter3_bp"
        CHECK16 sp, STACK_TOP-14, "enter3_sp"
        CHECK16 [STACK_TOP-2], 0x6800, "enter3_saved_bp"
        CHECK16 [STACK_TOP-4], 0xAAAA, "enter3_display1"
        CHECK16 [STACK_TOP-6], 0xBBBB, "enter3_display2"
        CHECK16 [STACK_TOP-8], STACK_TOP-2, "enter3_frame_ptr"
        leave
        CHECK16 bp, 0x6800, "leave3_bp"
        CHECK16 sp, STACK_TOP, "leave3_sp"
        xor bp, bp

; ------------------------------------------------------------ BOUND
        SETVEC 5, br_handler
        mov word [DATA+0x20], 10        ; lower
        mov word [DATA+0x22], 20        ; upper
        mov word [BR_COUNT], 0
        mov ax, 15
        bound ax, [DATA+0x20]
        mov ax, 10
        bound ax, [DATA+0x20]
        mov ax, 20
        bound ax, [DATA+0x20]
        mov word [DATA+0x24], -5
        mov word [DATA+0x26], 5
        mov cx, -4
        bound cx, [DATA+0x24]           ; signed compare
        mov dword [DATA+0x28], 0x10000
        mov dword [DATA+0x2C], 0x20000
        mov eax, 0x18000
        bound eax, [DATA+0x28]
        CHECK16 [BR_COUNT], 0, "bound_in_range_no_fault"

        mov ax, 21
        BR_CASE "bound_above", bound ax, [DATA+0x20]
        CHECK16 ax, 21, "bound_above_ax_unchanged"
        mov ax, 9
        BR_CASE "bound_below", bound ax, [DATA+0x20]
        mov dx, 0xFFFF                  ; -1 < 10 (signed)
        BR_CASE "bound_signed", bound dx, [DATA+0x20]
        mov eax, 0x20001
        BR_CASE "bound32_above", bound eax, [DATA+0x28]
        CHECK16 sp, STACK_TOP, "bound_sp_balanced"

        FINISH
        ROM_END
