; pm_switch.asm - switching between real and protected mode: three round
; trips real -> 32-bit PM -> 16-bit PM -> real, the stale CS/DS selectors
; and caches between setting/clearing CR0.PE and the next load (the old
; descriptor cache keeps working), general-register high halves kept across
; the switches, "unreal" mode (a 4 GiB FS limit loaded in protected mode
; kept in real mode for 32-bit offsets above 1 MiB, with A20 on), LMSW
; setting CR0.PE from real mode followed by a far jump into 32-bit code,
; and CR0.PE/PG after the return.  Expected values from the Intel SDM vol. 3
; 9.9 (mode switching), 3.4.3 (segment descriptor caches) and vol. 2 LMSW.
%include "pm.inc"

V       equ 0x0600              ; word variables (segment 0 / flat)
V_PMCNT equ V+0x00              ; protected-mode passes
V_RMCNT equ V+0x02              ; real-mode passes
V_CS1   equ V+0x04              ; CS right after setting PE
V_DS1   equ V+0x08              ; written through the real-mode DS cache
V_CS2   equ V+0x0C              ; CS right after clearing PE
V_EAX   equ V+0x10              ; EAX loaded by 32-bit code (B8 imm32)
V_AX16  equ V+0x14              ; written by 16-bit PM code
V_SMSW  equ V+0x18              ; SMSW after LMSW
V_LCS   equ V+0x1C              ; CS in PM after the LMSW path
BIG     equ 0x00110000          ; above 1 MiB
LOWA    equ 0x00010000          ; BIG with A20 masked

        INIT
        call pm_build_gdt16
        o32 lgdt [cs:gdtr_image]
        in al, 0x92                     ; A20 on (fast A20), no reset
        or al, 2
        and al, 0xFE
        out 0x92, al
        mov dword [V_PMCNT], 0
        mov ebx, 0xDEAD0000
        mov ecx, 3
.loop:  mov eax, cr0
        or al, 1
        mov cr0, eax
        mov [V_CS1], cs                 ; still the real-mode selector
        mov word [V_DS1], 0x4242        ; DS=0: real-mode cache in use
        jmp dword SEL_CODE32:.p32
        bits 32
.p32:   mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax                      ; base 0, limit 4 GiB
        mov ss, ax
        inc word [V_PMCNT]
        db 0xB8                         ; mov eax, imm32 (D=1 code)
        dd 0x12345678
        mov [V_EAX], eax
        inc ebx                         ; high half must survive
        jmp SEL_CODE16:.p16
        bits 16
.p16:   db 0xB8                         ; mov ax, imm16 (D=0 code)
        dw 0x1616
        mov [V_AX16], ax
        mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        mov [V_CS2], cs                 ; still SEL_CODE16
        jmp ROMSEG:.real
.real:  xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        inc word [V_RMCNT]
        dec ecx
        jnz .loop

        CHECK16 [V_PMCNT], 3, "switch_pm_passes"
        CHECK16 [V_RMCNT], 3, "switch_real_passes"
        CHECK16 [V_CS1], ROMSEG, "pe_set_cs_selector_stale"
        CHECK16 [V_DS1], 0x4242, "pe_set_real_ds_cache_usable"
        CHECK16 [V_CS2], SEL_CODE16, "pe_clear_cs_selector_stale"
        CHECK32 [V_EAX], 0x12345678, "pm_code32_imm32"
        CHECK16 [V_AX16], 0x1616, "pm_code16_imm16"
        CHECK32 ebx, 0xDEAD0003, "ebx_high_half_kept_across_switches"
        CHECK16 cs, ROMSEG, "real_cs_after_far_jmp"
        mov eax, cr0
        and eax, 0x80000001
        CHECK32 eax, 0, "real_cr0_pe_pg_clear"
        ; unreal mode: FS keeps the 4 GiB limit and the selector 10h
        CHECK16 fs, SEL_DATA, "unreal_fs_selector_kept"
        mov dword [fs:dword LOWA], 0x5A5A5A5A
        mov dword [fs:dword BIG], 0xA5A5A5A5
        CHECK32 [fs:dword BIG], 0xA5A5A5A5, "unreal_fs_above_1m"
        CHECK32 [fs:dword LOWA], 0x5A5A5A5A, "unreal_a20_on_no_alias"
        mov esi, BIG+4
        mov dword [fs:esi], 0x01020304
        mov al, [fs:esi+3]
        CHECK8 al, 0x01, "unreal_fs_esi_addressing"
        ; real-mode segment arithmetic still applies to a reloaded DS
        mov ax, 0x1234
        mov ds, ax
        mov word [0], 0x7777
        xor ax, ax
        mov ds, ax
        CHECK16 [fs:dword 0x12340], 0x7777, "real_ds_reload_base_times_16"

        ; LMSW sets PE (it can set but not clear it), then a far jump
        mov ax, 1
        lmsw ax
        smsw ax
        mov [V_SMSW], ax
        jmp dword SEL_CODE32:.l32
        bits 32
.l32:   mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov [V_LCS], cs
        mov eax, cr0
        mov [V_LCS+4], eax
        jmp SEL_CODE16:.l16
        bits 16
.l16:   mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        jmp ROMSEG:.lreal
.lreal: xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov ax, [V_SMSW]
        and ax, 1
        CHECK16 ax, 1, "lmsw_sets_pe_from_real"
        CHECK16 [V_LCS], SEL_CODE32, "lmsw_pe_far_jmp_cs"
        mov eax, [V_LCS+4]
        and eax, 1
        CHECK32 eax, 1, "lmsw_pe_cr0_pe"
        smsw ax
        and ax, 1
        CHECK16 ax, 0, "mov_cr0_clears_pe_after_lmsw"
        ; a second LMSW with PE=0 in real mode leaves PE clear
        mov ax, 0
        lmsw ax
        smsw ax
        and ax, 1
        CHECK16 ax, 0, "lmsw_pe0_in_real_mode"
        FINISH
        ROM_END
