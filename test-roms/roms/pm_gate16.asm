; pm_gate16.asm - 16-bit interrupt and trap gates (types 6 and 7): INT n
; from 32-bit CPL0 code pushing a 6-byte FLAGS/CS/IP frame, IF cleared by
; the interrupt gate and kept by the trap gate, IRET (16-bit) back into
; 32-bit code; an exception with an error code through a 16-bit gate (a
; 16-bit error code above the frame); INT n from ring 3 through a DPL3
; 16-bit gate (SS:SP, FLAGS, CS, IP pushed as words on SS0:ESP0) and the
; 16-bit IRET back to ring 3; IRETW with a hand-made frame at CPL0.
; Expected values from the Intel SDM vol. 3 6.12.1 (Figure 6-4 for 16-bit
; gates push words) and vol. 2 INT n / IRET.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

T       equ T_SCRATCH

        INIT
        PM_INIT
        SETIDT 0x40, SEL_CODE16, h16, 0x86          ; 16-bit interrupt gate
        SETIDT 0x41, SEL_CODE16, h16, 0x87          ; 16-bit trap gate
        SETIDT 0x42, SEL_CODE16, h16, 0xE6          ; 16-bit int gate DPL3

; ------------------------------------------------------------ CPL0, interrupt gate
        mov ebx, esp
        push dword IFL | 2
        popfd                                   ; IF=1 (PICs are masked)
        int 0x40
.ret40: cli
        sub ebx, esp
        CHK32 ebx, 0, "int16_gate_balanced"
        CHK32 [T+0x40], STACK_TOP-6, "int16_gate_frame_6_bytes"
        CHK16 [T+0x00], .ret40-$$, "int16_gate_pushed_ip"
        CHK16 [T+0x02], SEL_CODE32, "int16_gate_pushed_cs"
        mov ax, [T+0x04]
        and ax, IFL
        CHK16 ax, IFL, "int16_gate_pushed_flags_if"
        mov ax, [T+0x48]
        and ax, IFL
        CHK16 ax, 0, "int16_interrupt_gate_clears_if"
        CHK16 [T+0x4C], SEL_CODE16, "int16_handler_cs"
        CHK16 [T+0x50], SEL_DATA, "int16_gate_same_ss"

; ------------------------------------------------------------ CPL0, trap gate
        push dword IFL | 2
        popfd
        int 0x41
.ret41: pushfd
        pop ecx
        cli
        CHK32 [T+0x40], STACK_TOP-6, "trap16_gate_frame_6_bytes"
        CHK16 [T+0x00], .ret41-$$, "trap16_gate_pushed_ip"
        mov ax, [T+0x48]
        and ax, IFL
        CHK16 ax, IFL, "trap16_gate_keeps_if"
        and ecx, IFL
        CHK32 ecx, IFL, "trap16_iret_restores_if"

; ------------------------------------------------------------ exception through a 16-bit gate
        SETIDT 13, SEL_CODE16, h16e, 0x86
        mov ebx, esp
        mov ax, GDT_SLOTS*8
.gp:    mov ds, ax
        jmp .nogp
..@gp16_resume:                          ; h16e resumes here
        sub ebx, esp
        CHK32 ebx, 0, "gp16_gate_balanced"
        CHK32 [T+0x40], STACK_TOP-8, "gp16_gate_frame_8_bytes"
        CHK16 [T+0x00], GDT_SLOTS*8, "gp16_gate_error_code_word"
        CHK16 [T+0x02], .gp-$$, "gp16_gate_pushed_ip_faulting"
        CHK16 [T+0x04], SEL_CODE32, "gp16_gate_pushed_cs"
        jmp .gpdone
.nogp:  FAILN "gp16_gate", "no #GP"
.gpdone:
        RESTORE_IDT 13

; ------------------------------------------------------------ ring 3
        TRY
        RING3
        mov ebx, esp
        int 0x42
.ret42: sub ebx, esp
        mov cx, cs
        mov dx, ss
        RING0
        NOFAULT "int16_from_ring3"
        CHK32 ebx, 0, "int16_ring3_esp_restored"
        CHK16 cx, SEL_CODE32_R3, "int16_ring3_iret_cs"
        CHK16 dx, SEL_DATA_R3, "int16_ring3_iret_ss"
        CHK32 [T+0x40], R0_INT_STACK-10, "int16_ring3_frame_10_bytes_on_esp0"
        CHK16 [T+0x00], .ret42-$$, "int16_ring3_pushed_ip"
        CHK16 [T+0x02], SEL_CODE32_R3, "int16_ring3_pushed_cs"
        CHK16 [T+0x06], R3_STACK_TOP, "int16_ring3_pushed_sp"
        CHK16 [T+0x08], SEL_DATA_R3, "int16_ring3_pushed_ss"
        CHK16 [T+0x50], SEL_DATA, "int16_ring3_handler_ss0"
        TRY
        RING3
.r3:    int 0x40                        ; DPL0 gate
        RING0
        CATCH 13, 0x40*8+2, "int16_dpl0_gate_from_ring3"

; ------------------------------------------------------------ IRETW at CPL0
        mov ebx, esp
        push word 0x0002 | CF
        push word SEL_CODE32
        push word .iw
        o16 iret
.iw:    pushfd
        pop ecx
        sub ebx, esp
        CHK32 ebx, 0, "iretw_pops_6_bytes"
        and ecx, CF
        CHK32 ecx, CF, "iretw_flags_loaded"

        PM_FINISH

        bits 16
; h16: 16-bit handler; records ESP (T+40h), the frame words (T+0..T+0Bh),
; FLAGS inside (T+48h), CS (T+4Ch) and SS (T+50h); IRET.
h16:    mov [T+0x40], esp
        mov [T+0x44], eax
        mov eax, [esp]
        mov [T+0x00], eax
        mov eax, [esp+4]
        mov [T+0x04], eax
        mov eax, [esp+8]
        mov [T+0x08], eax
        pushf
        pop ax
        mov [T+0x48], ax
        mov [T+0x4C], cs
        mov [T+0x50], ss
        mov eax, [T+0x44]
        iret
; h16e: as h16 for an exception with an error code; resumes at .gpr
h16e:   push word SEL_DATA
        pop ds
        mov [T+0x40], esp
        mov eax, [esp]
        mov [T+0x00], eax
        mov eax, [esp+4]
        mov [T+0x04], eax
        add esp, 2
        mov word [esp], h16e_resume
        iret
        bits 32
h16e_resume equ ..@gp16_resume
        PM_ROM_END
