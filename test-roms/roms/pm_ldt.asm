; pm_ldt.asm - local descriptor tables: LLDT of a not-present LDT
; descriptor (#NP) or a selector past the GDT (#GP); two LDTs where the same
; TI=1 selector names different segments (the DS cache surviving LLDT until
; DS is reloaded); an LDT entry ending exactly at the LDT limit and the one
; after it (#GP); code in the LDT (far JMP, far CALL/RETF, the pushed CS,
; JMP past the LDT limit), an LDT stack segment, the accessed bit written in
; the LDT, a call gate in the LDT, an IDT gate whose target is LDT code, and
; ring 3 running on LDT code and stack segments.  Expected values from the
; Intel SDM vol. 3 3.4.2, 3.5.1 (LDT), 5.8 and vol. 2 LLDT/SLDT/CALL/JMP.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_LDT1  equ 0x48        ; LDT at LDT_BASE, 8 entries (limit 3Fh)
S_LDT2  equ 0x50        ; LDT at LDT2_BASE, 3 entries (limit 17h)
S_LDTNP equ 0x58        ; LDT descriptor, not present
LDT2_BASE equ 0x2300
; LDT1 entries
L_CODE  equ 0x04        ; 32-bit code DPL0, base F0000
L_DATA  equ 0x0C        ; data DPL0, base 3000h, limit FFFFh
L_CODE3 equ 0x17        ; 32-bit code DPL3, base F0000 (RPL3)
L_DATA3 equ 0x1F        ; flat data DPL3 (RPL3)
L_GATE  equ 0x24        ; call gate DPL0 -> SEL_CODE32:lgate
L_NA    equ 0x2C        ; data DPL0 base 3000h, accessed bit clear
T       equ T_SCRATCH

        INIT
        PM_INIT
        SETDESC S_LDT1, LDT_BASE, 0x3F, 0x0082
        SETDESC S_LDT2, LDT2_BASE, 0x17, 0x0082
        SETDESC S_LDTNP, LDT_BASE, 0x3F, 0x0002
        mov edi, LDT_BASE
        mov ecx, 0x10
        xor eax, eax
        rep stosd
        SETDESC L_CODE, 0xF0000, 0xFFFF, 0x409B
        SETDESC L_DATA, 0x3000, 0xFFFF, 0x4093
        SETDESC L_CODE3, 0xF0000, 0xFFFF, 0x40FB
        SETDESC L_DATA3, 0, 0xFFFFF, 0xC0F3
        SETGATE LDT_BASE+(L_GATE & ~7), SEL_CODE32, lgate, 0x8C
        SETDESC L_NA, 0x3000, 0xFFFF, 0x4092
        ; LDT2: null, data base 4000h, data base 5000h (both limit FFFFh)
        mov dword [LDT2_BASE], 0
        mov dword [LDT2_BASE+4], 0
        mov dword [LDT2_BASE+8], 0x4000FFFF
        mov dword [LDT2_BASE+12], 0x00409300
        mov dword [LDT2_BASE+16], 0x5000FFFF
        mov dword [LDT2_BASE+20], 0x00409300
        mov dword [0x3010], 0x11111111
        mov dword [0x4010], 0x22222222
        mov dword [0x5010], 0x33333333

; ------------------------------------------------------------ LLDT checks
        TRY
.np:    mov ax, S_LDTNP
        lldt ax
        CATCH 11, S_LDTNP, "lldt_not_present"
        TRY
        mov ax, GDT_SLOTS*8
        lldt ax
        CATCH 13, GDT_SLOTS*8, "lldt_beyond_gdt"
        mov ax, S_LDT1
        lldt ax
        sldt bx
        CHK16 bx, S_LDT1, "sldt_ldt1"

; ------------------------------------------------------------ two LDTs
        mov ax, L_DATA
        mov ds, ax
        mov eax, [0x10]
        mov bx, SEL_DATA
        mov ds, bx
        CHK32 eax, 0x11111111, "ldt1_data_base_3000"
        mov ax, L_DATA
        mov fs, ax
        mov ax, S_LDT2
        lldt ax
        CHK32 [fs:0x10], 0x11111111, "fs_cache_survives_lldt"
        CHK16 fs, L_DATA, "fs_selector_unchanged_by_lldt"
        mov ax, L_DATA
        mov fs, ax
        CHK32 [fs:0x10], 0x22222222, "same_selector_ldt2_base_4000"
        TRY
        mov ax, 0x14                    ; bytes 10h-17h: limit 17h
        mov gs, ax
        NOFAULT "ldt_entry_ending_at_limit"
        mov ax, 0x14                    ; (the TRY end reloaded GS)
        mov gs, ax
        CHK32 [gs:0x10], 0x33333333, "ldt_entry_ending_at_limit_base"
        TRY
        mov ax, 0x1C
        mov gs, ax
        CATCH 13, 0x1C, "ldt_entry_after_limit"
        mov ax, S_LDT1
        lldt ax

; ------------------------------------------------------------ LDT code
        jmp L_CODE:.lc
.lc:    mov ax, cs
        CHK16 ax, L_CODE, "jmp_far_ldt_code_cs"
        jmp SEL_CODE32:.gc
.gc:    xor ebx, ebx
        call L_CODE:lsub
.lsret: CHK16 bx, L_CODE, "call_far_ldt_code_cs_inside"
        CHK32 ecx, .lsret-$$, "call_far_ldt_pushed_eip"
        CHK16 dx, SEL_CODE32, "call_far_ldt_pushed_cs"
        mov ax, cs
        CHK16 ax, SEL_CODE32, "retf_from_ldt_code_cs"
        TRY
        jmp 0x44:0                      ; index 8: past limit 3Fh
        CATCH 13, 0x44, "jmp_far_past_ldt_limit"

; ------------------------------------------------------------ LDT stack, accessed bit
        mov ebp, esp
        mov dword [T], 0x800
        mov word [T+4], L_DATA
        lss esp, [T]
        push dword 0xABCD1234
        mov ax, ss
        mov ecx, esp
        mov dx, SEL_DATA
        mov ss, dx
        mov esp, ebp
        CHK16 ax, L_DATA, "ldt_stack_ss"
        CHK32 ecx, 0x7FC, "ldt_stack_esp"
        CHK32 [0x3000+0x7FC], 0xABCD1234, "ldt_stack_push_at_base_3000"
        CHK8 [LDT_BASE+(L_NA & ~7)+5], 0x92, "ldt_descriptor_accessed_clear"
        mov ax, L_NA
        mov es, ax
        CHK8 [LDT_BASE+(L_NA & ~7)+5], 0x93, "ldt_descriptor_accessed_set"
        mov ax, SEL_DATA
        mov es, ax

; ------------------------------------------------------------ gates
        xor ebx, ebx
        call L_GATE:0
        CHK32 ebx, 0x6A7E, "ldt_call_gate_reached"
        CHK16 dx, SEL_CODE32, "ldt_call_gate_pushed_cs"
        SETIDT 0x40, L_CODE, lint, 0x8E
        xor ebx, ebx
        int 0x40
        CHK16 bx, L_CODE, "idt_gate_to_ldt_code_cs"
        RESTORE_IDT 0x40

; ------------------------------------------------------------ ring 3 on LDT segments
        TRY
        mov [R3_RET_ESP], esp
        push dword L_DATA3
        push dword R3_STACK_TOP
        push dword 0x0002
        push dword L_CODE3
        push dword .r3
        iretd
.r3:    mov ax, cs
        mov bx, ss
        push dword 0x5A5A5A5A
        pop ecx
        RING0
        NOFAULT "ring3_on_ldt_segments"
        CHK16 ax, L_CODE3, "ring3_ldt_cs"
        CHK16 bx, L_DATA3, "ring3_ldt_ss"
        CHK32 ecx, 0x5A5A5A5A, "ring3_ldt_stack_push_pop"

        PM_FINISH

; lsub: far-called in L_CODE; BX = CS, ECX/DX = the pushed return address
lsub:   mov bx, cs
        mov ecx, [esp]
        mov edx, [esp+4]
        retf
; lgate: call-gate target (SEL_CODE32)
lgate:  mov ebx, 0x6A7E
        mov edx, [esp+4]
        retf
; lint: interrupt handler running in L_CODE
lint:   mov bx, cs
        iretd

        PM_ROM_END
