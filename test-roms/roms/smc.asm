; smc.asm - self-modifying code.  Routines are copied from the ROM into RAM
; and called there; then their bytes are changed and they are run again:
;   - an immediate and an opcode patched from far away (ROM code),
;   - the very next instruction patched by the instruction before it, in the
;     same straight-line block (no jump in between),
;   - an instruction that already ran patched inside a loop,
;   - code patched by other RAM code, in the same segment, then called,
;   - a routine overwritten wholesale by REP MOVSB,
;   - bytes patched through different segment:offset aliases of the same
;     physical memory, and run through another CS alias.
;
; The next-instruction case expects the new instruction to execute: the SDM
; guarantees this for P6 and later processors (stores to code being
; executed are detected); a real 386/486 could still run a stale prefetched
; copy.  QEMU and modern CPUs execute the modified code.
%include "common.inc"

CODESEG equ 0x2000              ; RAM code segment (phys 0x20000)
T2_AT   equ 0x0100              ; where templates t2/t3/t7/t4 are copied
T3_AT   equ 0x0140
T7_AT   equ 0x0180
T4_AT   equ 0x0200

; COPY template, template_end, dst_offset: copy ROM bytes to CODESEG:dst
%macro COPY 3
        mov si, %1
        mov di, %3
        mov cx, %2 - %1
        call copy_code
%endmacro

        INIT
        jmp tests

; copy_code: CS:SI -> CODESEG:DI, CX bytes.  Preserves registers but CX/SI/DI.
copy_code:
        push es
        push ax
        mov ax, CODESEG
        mov es, ax
.l:     mov al, [cs:si]
        mov [es:di], al
        inc si
        inc di
        loop .l
        pop ax
        pop es
        ret

; ---- templates (position independent: run at CODESEG:offset)
t1:                             ; AX = 1111h + 1
        mov ax, strict word 0x1111      ; B8 iw      (imm at +1)
        add ax, strict word 0x0001      ; 05 iw      (opcode at +3)
        retf
t1_end:
T1_IMM  equ 1
T1_OP   equ 3

t2:                             ; patches the next instruction: NOP -> INC AX
        mov byte [cs:T2_AT+t2_next-t2], 0x40
t2_next:
        nop
        retf
t2_end:

t3:                             ; patches the immediate of the next instruction
        mov word [cs:T3_AT+t3_next-t3+1], 0x4321
t3_next:
        mov bx, strict word 0x0000
        retf
t3_end:

t4:                             ; loop patching an instruction it already ran
        xor ax, ax
        mov cx, 3
t4_loop:
        add ax, strict word 1
        inc byte [cs:T4_AT+t4_loop-t4+1]
        loop t4_loop
        retf
t4_end:

t5:                             ; (placed at CODESEG:0400h) patches the copy of
        mov word [cs:0x0800+T1_IMM], 0x7777 ; t1 at CODESEG:0800h and calls it
        call CODESEG:0x0800
        retf
t5_end:

t6:                             ; replacement routine for REP MOVSB
        mov ax, strict word 0x3333
        retf
t6_end:

t7:                             ; patches its own later instruction in a block
        mov byte [cs:T7_AT+t7_tail-t7], 0x4B  ; (a few instructions ahead): INC BX -> DEC BX
        mov bx, 0x0100
        inc bx
        inc bx
t7_tail:
        inc bx
        retf
t7_end:

tests:
; ------------------------------------------------------------ patch immediate and opcode from far away
        COPY t1, t1_end, 0
        call CODESEG:0
        CHECK16 ax, 0x1112, "far_patch_initial"
        mov ax, CODESEG
        mov es, ax
        mov word [es:T1_IMM], 0x2222
        call CODESEG:0
        CHECK16 ax, 0x2223, "far_patch_imm"
        mov byte [es:T1_OP], 0x2D        ; add -> sub ax, imm16
        call CODESEG:0
        CHECK16 ax, 0x2221, "far_patch_opcode_sub"
        mov byte [es:T1_OP], 0x35        ; -> xor ax, imm16
        call CODESEG:0
        CHECK16 ax, 0x2223, "far_patch_opcode_xor"
        mov word [es:T1_IMM], 0x0F00
        mov word [es:T1_OP+1], 0x00F0
        call CODESEG:0
        CHECK16 ax, 0x0FF0, "far_patch_both"

; ------------------------------------------------------------ patch the next instruction
        COPY t2, t2_end, T2_AT
        mov ax, 0
        call CODESEG:T2_AT
        CHECK16 ax, 1, "next_insn_opcode_patch"
        mov ax, 0
        call CODESEG:T2_AT              ; stays patched
        CHECK16 ax, 1, "next_insn_opcode_patch_again"
        COPY t2, t2_end, T2_AT          ; restore the NOP, run again
        mov ax, 5
        call CODESEG:T2_AT
        CHECK16 ax, 6, "next_insn_after_restore"

        COPY t3, t3_end, T3_AT
        mov bx, 0xFFFF
        call CODESEG:T3_AT
        CHECK16 bx, 0x4321, "next_insn_imm_patch"

        COPY t7, t7_end, T7_AT
        call CODESEG:T7_AT
        CHECK16 bx, 0x0101, "block_ahead_patch"

; ------------------------------------------------------------ loop patching code it already executed
        COPY t4, t4_end, T4_AT
        call CODESEG:T4_AT
        CHECK16 ax, 6, "loop_patch_sum"
        mov ax, CODESEG
        mov es, ax
        CHECK8 [es:T4_AT+t4_loop-t4+1], 4, "loop_patch_final_imm"
        call CODESEG:T4_AT              ; runs 4+5+6
        CHECK16 ax, 15, "loop_patch_rerun"

; ------------------------------------------------------------ RAM code patching other RAM code
        COPY t1, t1_end, 0x0800
        call CODESEG:0x0800             ; run it once first
        CHECK16 ax, 0x1112, "ram_patch_before"
        COPY t5, t5_end, 0x0400
        call CODESEG:0x0400
        CHECK16 ax, 0x7778, "ram_patch_other_routine"

; ------------------------------------------------------------ REP MOVSB over code
        COPY t1, t1_end, 0x0000
        call CODESEG:0
        CHECK16 ax, 0x1112, "movsb_over_code_before"
        push ds
        push cs
        pop ds
        mov ax, CODESEG
        mov es, ax
        mov si, t6
        mov di, 0
        mov cx, t6_end - t6
        cld
        rep movsb
        pop ds
        call CODESEG:0
        CHECK16 ax, 0x3333, "movsb_over_code_after"

; ------------------------------------------------------------ aliases
        COPY t1, t1_end, 0x0000
        call CODESEG:0
        CHECK16 ax, 0x1112, "alias_before"
        mov ax, 0x1FFF                  ; 1FFF:0011 = phys 0x20001 (the imm)
        mov es, ax
        mov word [es:0x0011], 0x5555
        call CODESEG:0
        CHECK16 ax, 0x5556, "alias_write_run_same_cs"
        call 0x1F00:0x1000              ; run the same bytes through another CS
        CHECK16 ax, 0x5556, "alias_write_run_alias_cs"
        mov ax, 0x1800                  ; 1800:8003 = phys 0x20003 (the opcode)
        mov fs, ax
        mov byte [fs:0x8003], 0x2D      ; -> sub
        call 0x1F00:0x1000
        CHECK16 ax, 0x5554, "alias_write2_run_alias_cs"
        call CODESEG:0
        CHECK16 ax, 0x5554, "alias_write2_run_same_cs"
        xor ax, ax
        mov es, ax
        mov fs, ax

        FINISH
        ROM_END
