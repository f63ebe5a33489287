; pm_segload.asm - the checks on segment register loads and their error
; codes beyond pm_seg/pm_exc: MOV SS / POP SS / LSS with a null selector
; (#GP(0)), RPL != CPL, DPL != CPL, a read-only data, code or system
; segment (#GP(selector), RPL bits cleared, TI kept in the error code); a
; failed load leaving the register, ESP and the descriptor's accessed bit
; unchanged; DS/ES/FS/GS with system descriptors and execute-only code
; (#GP), RPL > DPL at CPL0 (#GP), not-present segments through POP and LDS
; (#NP, ESP and the offset register unchanged), LDT selectors in the error
; code; loads that must succeed (writable expand-down SS, DPL3 SS at CPL3,
; readable code in DS).  Expected values from the Intel SDM vol. 2 MOV/POP/
; LDS/LSS ("Protected Mode Exceptions") and vol. 3 5.7 and 6.13.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_RO    equ 0x48        ; read-only data DPL0, accessed bit clear
S_D3    equ 0x50        ; flat r/w data DPL3
S_NP    equ 0x58        ; r/w data DPL0, not present
S_XO    equ 0x60        ; execute-only code DPL0
S_ED    equ 0x68        ; r/w expand-down data DPL0, B=1, limit FFFh
S_LDT   equ 0x70        ; LDT descriptor (LDT_BASE, 2 entries)
S_D2    equ 0x78        ; flat r/w data DPL2
L_NP    equ 0x0C        ; LDT entry 1: r/w data, not present
T       equ T_SCRATCH

        INIT
        PM_INIT
        SETDESC S_RO, 0, 0xFFFFF, 0xC090
        SETDESC S_D3, 0, 0xFFFFF, 0xC0F3
        SETDESC S_NP, 0, 0xFFFFF, 0xC013
        SETDESC S_XO, 0xF0000, 0xFFFF, 0x4099
        SETDESC S_ED, 0, 0xFFF, 0x4097
        SETDESC S_LDT, LDT_BASE, 0x0F, 0x0082
        SETDESC S_D2, 0, 0xFFFFF, 0xC0D3
        mov dword [LDT_BASE], 0
        mov dword [LDT_BASE+4], 0
        SETDESC L_NP, 0, 0xFFFFF, 0xC013
        mov ax, S_LDT
        lldt ax

; ------------------------------------------------------------ SS
        TRY
        xor eax, eax
        mov ss, ax
        CATCH 13, 0, "mov_ss_null"
        TRY
        mov ax, SEL_DATA|3
        mov ss, ax
        CATCH 13, SEL_DATA, "mov_ss_rpl3_at_cpl0"
        TRY
        mov ax, S_D3
        mov ss, ax
        CATCH 13, S_D3, "mov_ss_dpl3_at_cpl0"
        TRY
        mov ax, S_RO
.ro:    mov ss, ax
        CATCH 13, S_RO, "mov_ss_read_only"
        CHK32 [EXC_EIP], .ro-$$, "mov_ss_read_only_eip"
        CHK16 [EXC_SS], 0xFFFF, "mov_ss_read_only_no_stack_switch"
        CHK16 [EXC_HSS], SEL_DATA, "mov_ss_read_only_ss_unchanged"
        CHK8 [GDT_BASE+S_RO+5], 0x90, "mov_ss_read_only_accessed_clear"
        TRY
        mov ax, SEL_CODE32
        mov ss, ax
        CATCH 13, SEL_CODE32, "mov_ss_code"
        TRY
        mov ax, SEL_TSS
        mov ss, ax
        CATCH 13, SEL_TSS, "mov_ss_tss"
        TRY
        push dword S_RO
        mov ebx, esp
.pss:   pop ss
        CATCH 13, S_RO, "pop_ss_read_only"
        CHK32 [EXC_FRAME], STACK_TOP-4-12, "pop_ss_esp_unchanged"
        mov dword [T], 0x1234
        mov word [T+4], SEL_CODE16
        TRY
        lss esp, [T]
        CATCH 13, SEL_CODE16, "lss_code16"
        CHK32 [EXC_FRAME], STACK_TOP-12, "lss_esp_unchanged"
        mov ebp, esp
        mov ax, S_ED
        mov ss, ax
        mov esp, 0x5000                 ; expand-down: offsets 1000h-FFFFFFFFh
        push dword 0xED
        mov ax, ss
        mov ecx, esp
        mov dx, SEL_DATA
        mov ss, dx
        mov esp, ebp
        CHK16 ax, S_ED, "mov_ss_expand_down_ok"
        CHK32 [0x4FFC], 0xED, "mov_ss_expand_down_push"

; ------------------------------------------------------------ DS, ES, FS, GS
        mov ax, SEL_DATA16
        mov es, ax
        TRY
        mov ax, S_LDT
        mov es, ax
        CATCH 13, S_LDT, "mov_es_ldt_descriptor"
        CHK16 [EXC_ES], SEL_DATA16, "mov_es_failed_es_unchanged"
        TRY
        mov ax, SEL_TSS
        mov fs, ax
        CATCH 13, SEL_TSS, "mov_fs_tss"
        TRY
        mov ax, S_XO
        mov gs, ax
        CATCH 13, S_XO, "mov_gs_execute_only"
        TRY
        mov ax, S_XO|3
        mov gs, ax
        CATCH 13, S_XO, "mov_gs_execute_only_errcode_rpl_cleared"
        TRY
        mov ax, SEL_DATA|3
        mov ds, ax
        CATCH 13, SEL_DATA, "mov_ds_rpl3_dpl0_at_cpl0"
        TRY
        mov ax, S_D2|3
        mov ds, ax
        CATCH 13, S_D2, "mov_ds_rpl3_dpl2_at_cpl0"
        TRY
        mov ax, S_D2|2
        mov ds, ax
        NOFAULT "mov_ds_rpl2_dpl2_at_cpl0"
        TRY
        mov ax, SEL_CODE32              ; readable code
        mov fs, ax
        mov eax, [fs:gdt_template+8]
        NOFAULT "mov_fs_readable_code"
        TRY
        push dword S_NP
.pds:   pop ds
        CATCH 11, S_NP, "pop_ds_not_present"
        CHK32 [EXC_EIP], .pds-$$, "pop_ds_not_present_eip"
        CHK32 [EXC_FRAME], STACK_TOP-4-12, "pop_ds_not_present_esp_unchanged"
        mov dword [T], 0x5678
        mov word [T+4], S_NP
        mov esi, 0xAAAA
        TRY
        lds esi, [T]
        CATCH 11, S_NP, "lds_not_present"
        CHK32 [EXC_ESI], 0xAAAA, "lds_not_present_esi_unchanged"
        TRY
        mov ax, L_NP
        mov gs, ax
        CATCH 11, L_NP & 0xFFFC, "mov_gs_ldt_not_present_ti_in_errcode"
        TRY
        mov ax, L_NP|3
        mov ss, ax
        CATCH 13, L_NP & 0xFFFC, "mov_ss_ldt_rpl3_errcode"

; ------------------------------------------------------------ CPL3
        TRY
        RING3
        mov ax, S_D3|3
        mov ss, ax
        mov bx, ss
        RING0
        NOFAULT "cpl3_mov_ss_dpl3"
        CHK16 bx, S_D3|3, "cpl3_mov_ss_dpl3_value"
        TRY
        RING3
        mov ax, S_D2|3
.r3:    mov ss, ax
        RING0
        CATCH 13, S_D2, "cpl3_mov_ss_dpl2"
        CHK32 [EXC_EIP], .r3-$$, "cpl3_mov_ss_dpl2_eip"

        PM_FINISH
        PM_ROM_END
