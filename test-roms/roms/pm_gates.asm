; pm_gates.asm - call gates in depth: a 32-bit gate with 5 parameters and
; one with none (inner frame layout, copied values, RETF n adjusting both
; stacks), a 16-bit gate with 2 word parameters into 16-bit ring-0 code
; (16-bit frame, RETF 4), ring 3 -> ring 1 through a gate (SS1:ESP1 from the
; TSS, CPL1), and the checks made on the gate's target and the new stack:
; target DPL > CPL -> #GP(target), target a data segment -> #GP(target),
; null target -> #GP(0), target beyond the GDT -> #GP(target), target not
; present -> #NP(target), TSS.SS1 read-only or of the wrong DPL -> #TS(SS1).
; Expected values from the Intel SDM vol. 2 CALL/RET and vol. 3 5.8.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_G5    equ 0x48        ; 32-bit call gate DPL3 -> SEL_CODE32:h5, 5 params
S_G0    equ 0x50        ; 32-bit call gate DPL3 -> SEL_CODE32:h0, 0 params
S_G16   equ 0x58        ; 16-bit call gate DPL3 -> SEL_CODE16:h16, 2 params
S_C1    equ 0x60        ; 32-bit code DPL1 (base F0000)
S_D1    equ 0x68        ; flat data DPL1 (stack for ring 1)
S_G1    equ 0x70        ; 32-bit call gate DPL3 -> S_C1:h1
S_GDN   equ 0x78        ; call gate DPL0 -> SEL_CODE32_R3 (outer target)
S_GDATA equ 0x80        ; call gate DPL0 -> SEL_DATA
S_GNULL equ 0x88        ; call gate DPL0 -> null selector
S_GFAR  equ 0x90        ; call gate DPL0 -> GDT_SLOTS*8 (past the limit)
S_CNP   equ 0x98        ; 32-bit code DPL0, not present
S_GNP   equ 0xA0        ; call gate DPL0 -> S_CNP
S_RO1   equ 0xA8        ; read-only data DPL1
S_D3    equ 0xB0        ; flat data DPL3 (wrong DPL for SS1)

T       equ T_SCRATCH
ESP1    equ 0x6400

%macro CLEAR_T 0
        push edi
        push ecx
        push eax
        mov edi, T
        mov ecx, 40
        xor eax, eax
        rep stosd
        pop eax
        pop ecx
        pop edi
%endmacro

        INIT
        PM_INIT

        SETGATE GDT_BASE+S_G5, SEL_CODE32, h5, 0xEC, 5
        SETGATE GDT_BASE+S_G0, SEL_CODE32, h0, 0xEC, 0
        SETGATE GDT_BASE+S_G16, SEL_CODE16, h16, 0xE4, 2
        SETDESC S_C1, 0xF0000, 0xFFFF, 0x40BB
        SETDESC S_D1, 0, 0xFFFFF, 0xC0B3
        SETGATE GDT_BASE+S_G1, S_C1, h1, 0xEC, 0
        SETGATE GDT_BASE+S_GDN, SEL_CODE32_R3, h0, 0x8C, 0
        SETGATE GDT_BASE+S_GDATA, SEL_DATA, h0, 0x8C, 0
        SETGATE GDT_BASE+S_GNULL, 0, h0, 0x8C, 0
        SETGATE GDT_BASE+S_GFAR, GDT_SLOTS*8, h0, 0x8C, 0
        SETDESC S_CNP, 0xF0000, 0xFFFF, 0x401B
        SETGATE GDT_BASE+S_GNP, S_CNP, h0, 0x8C, 0
        SETDESC S_RO1, 0, 0xFFFFF, 0xC0B1
        SETDESC S_D3, 0, 0xFFFFF, 0xC0F3
        mov dword [TSS_BASE+0x0C], ESP1         ; ESP1
        mov dword [TSS_BASE+0x10], S_D1|1       ; SS1

; ------------------------------------------------------------ 5 parameters
        CLEAR_T
        TRY
        RING3
        push dword 0x11111111
        push dword 0x22222222
        push dword 0x33333333
        push dword 0x44444444
        push dword 0x55555555
        call S_G5:0
.r5:    mov [es:T+0x80], esp
        RING0
        NOFAULT "gate5_call"
        CHK32 [T+0x40], R0_INT_STACK-36, "gate5_inner_esp"
        CHK32 [T+0x00], .r5-$$, "gate5_frame_eip"
        CHK16 [T+0x04], SEL_CODE32_R3, "gate5_frame_cs"
        CHK32 [T+0x08], 0x55555555, "gate5_param_last_pushed_lowest"
        CHK32 [T+0x0C], 0x44444444, "gate5_param_4"
        CHK32 [T+0x10], 0x33333333, "gate5_param_3"
        CHK32 [T+0x14], 0x22222222, "gate5_param_2"
        CHK32 [T+0x18], 0x11111111, "gate5_param_first_pushed_highest"
        CHK32 [T+0x1C], R3_STACK_TOP-20, "gate5_frame_outer_esp"
        CHK16 [T+0x20], SEL_DATA_R3, "gate5_frame_outer_ss"
        CHK32 [T+0x80], R3_STACK_TOP, "gate5_retf20_outer_esp"

; ------------------------------------------------------------ 0 parameters
        CLEAR_T
        TRY
        RING3
        push dword 0x77777777           ; not copied: 0 parameters
        call S_G0:0
.r0:    mov [es:T+0x80], esp
        pop eax
        RING0
        NOFAULT "gate0_call"
        CHK32 [T+0x40], R0_INT_STACK-16, "gate0_inner_esp"
        CHK32 [T+0x00], .r0-$$, "gate0_frame_eip"
        CHK32 [T+0x08], R3_STACK_TOP-4, "gate0_frame_outer_esp"
        CHK16 [T+0x0C], SEL_DATA_R3, "gate0_frame_outer_ss"
        CHK32 [T+0x80], R3_STACK_TOP-4, "gate0_retf_outer_esp"
        CHK32 eax, 0x77777777, "gate0_outer_stack_intact"

; ------------------------------------------------------------ 16-bit gate
        CLEAR_T
        TRY
        RING3
        push word 0x1111
        push word 0x2222
        call S_G16:0
.r16:   mov [es:T+0x80], esp
        RING0
        NOFAULT "gate16_call"
        CHK32 [T+0x40], R0_INT_STACK-12, "gate16_inner_esp_12_bytes"
        CHK16 [T+0x00], .r16-$$, "gate16_frame_ip"
        CHK16 [T+0x02], SEL_CODE32_R3, "gate16_frame_cs"
        CHK16 [T+0x04], 0x2222, "gate16_word_param_2"
        CHK16 [T+0x06], 0x1111, "gate16_word_param_1"
        CHK16 [T+0x08], R3_STACK_TOP-4, "gate16_frame_outer_sp"
        CHK16 [T+0x0A], SEL_DATA_R3, "gate16_frame_outer_ss"
        CHK16 [T+0x44], SEL_CODE16, "gate16_handler_cs"
        CHK32 [T+0x80], R3_STACK_TOP, "gate16_retf4_outer_esp"

; ------------------------------------------------------------ ring 3 -> ring 1
        CLEAR_T
        TRY
        RING3
        call S_G1:0
.r1:    RING0
        NOFAULT "gate_r3_to_r1"
        CHK16 [T+0x44], S_C1|1, "gate_r1_cs_cpl1"
        CHK16 [T+0x48], S_D1|1, "gate_r1_ss_from_tss_ss1"
        CHK32 [T+0x40], ESP1-16, "gate_r1_esp_from_tss_esp1"
        CHK32 [T+0x00], .r1-$$, "gate_r1_frame_eip"

; ------------------------------------------------------------ checks on the target
        TRY
        call S_GDN:0
        CATCH 13, SEL_CODE32_R3 & 0xFFFC, "gate_target_dpl3_from_cpl0"
        TRY
        call S_GDATA:0
        CATCH 13, SEL_DATA, "gate_target_data_segment"
        TRY
        call S_GNULL:0
        CATCH 13, 0, "gate_target_null"
        TRY
        call S_GFAR:0
        CATCH 13, GDT_SLOTS*8, "gate_target_beyond_gdt"
        TRY
.np:    call S_GNP:0
        CATCH 11, S_CNP, "gate_target_not_present"
        CHK32 [EXC_EIP], .np-$$, "gate_target_not_present_eip"
%ifdef SDM_EXTRA
        ; JMP through a call gate to a not-present code segment is
        ; #NP(target) (SDM vol. 2 JMP); QEMU raises #GP instead
        TRY
        jmp S_GNP:0
        CATCH 11, S_CNP, "jmp_gate_target_not_present"
%endif

; ------------------------------------------------------------ checks on the new stack
        mov dword [TSS_BASE+0x10], S_RO1|1
        TRY
        RING3
.ts1:   call S_G1:0
        RING0
        CATCH 10, S_RO1, "gate_ss1_read_only"
        CHK32 [EXC_EIP], .ts1-$$, "gate_ss1_read_only_eip"
        CHK16 [EXC_CS], SEL_CODE32_R3, "gate_ss1_read_only_cs"
        mov dword [TSS_BASE+0x10], S_D3|1
        TRY
        RING3
        call S_G1:0
        RING0
        CATCH 10, S_D3, "gate_ss1_dpl3"
        mov dword [TSS_BASE+0x10], S_D1|1
        TRY
        RING3
        call S_G1:0
        RING0
        NOFAULT "gate_ss1_restored"

        PM_FINISH

; ------------------------------------------------------------ gate targets
        bits 32
; h5: copy the inner frame (10 dwords) to T, ESP to T+40h, CS to T+44h
h5:     push ds
        push dword SEL_DATA
        pop ds
        call dump_frame
        pop ds
        retf 20
h0:     push ds
        push dword SEL_DATA
        pop ds
        call dump_frame
        pop ds
        retf
h1:     push ds                         ; CPL1: DS = SEL_DATA_R3 (DPL3) is usable
        call dump_frame
        pop ds
        retf
; dump_frame: called with [esp] = return, [esp+4] = saved DS, frame above
dump_frame:
        push esi
        push edi
        push ecx
        lea esi, [esp+20]
        mov [T+0x40], esi
        mov [T+0x44], cs
        mov [T+0x48], ss
        mov edi, T
        mov ecx, 10
.c:     mov eax, [ss:esi]
        mov [edi], eax
        add esi, 4
        add edi, 4
        loop .c
        pop ecx
        pop edi
        pop esi
        ret

        bits 16
h16:    push ds
        push eax
        mov ax, SEL_DATA
        mov ds, ax
        lea eax, [esp+6]
        mov [dword T+0x40], eax
        mov [dword T+0x44], cs
        mov eax, [esp+6]
        mov [dword T+0x00], eax
        mov eax, [esp+10]
        mov [dword T+0x04], eax
        mov eax, [esp+14]
        mov [dword T+0x08], eax
        pop eax
        pop ds
        retf 4

        PM_ROM_END
