; pm_df.asm - the double-fault rule (SDM vol. 3 6.15, "Interrupt 8" and
; Table 6-5): a contributory exception (#DE, #NP, #SS, #GP) raised while
; delivering a contributory one gives #DF with error code 0; a page fault
; followed by a contributory exception or by another page fault gives #DF
; (the second #PF here comes from the IDT entry itself sitting on a
; not-present page, so CR2 holds the address of that entry); a benign
; exception (#DB, #BP, #OF, #BR, #NM) followed by a contributory one is
; handled serially: only the second exception is delivered.  The #DF
; through a task gate is in pm_task, #GP/#PF followed by a not-present
; gate or code segment in pm_exc.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_NPC   equ 0x48        ; 32-bit code DPL0, not present
S_NPD   equ 0x50        ; flat data r/w DPL0, not present
S_BIG   equ GDT_SLOTS*8 ; a selector past the GDT limit
NP_PAGE equ 0x50000     ; not present once paging is on
IDTP    equ 0x40000     ; page boundary for the split IDT
IDT2    equ IDTP-72     ; entries 0-8 below IDTP, 9-255 on the next page

%macro GATE_NP 1        ; clear the P bit of IDT entry %1
        and byte [IDT_BASE+(%1)*8+5], 0x7F
%endmacro
%macro GATE_P 1
        or byte [IDT_BASE+(%1)*8+5], 0x80
%endmacro

        INIT
        PM_INIT
        SETDESC S_NPC, 0xF0000, 0xFFFF, 0x401B
        SETDESC S_NPD, 0, 0xFFFFF, 0xC013

; ------------------------------------------------------------ contributory + contributory
        GATE_NP 0
        TRY
        xor edx, edx
        mov eax, 1
        xor ecx, ecx
        div ecx
        CATCH 8, 0, "df_de_then_gate_np"
        GATE_P 0

        SETIDT 0, S_BIG, exc_stubs, 0x8E
        TRY
        xor edx, edx
        mov eax, 1
        xor ecx, ecx
        div ecx
        CATCH 8, 0, "df_de_then_target_beyond_gdt"
        RESTORE_IDT 0

        SETIDT 13, SEL_DATA, exc_stubs+13*12, 0x8E
        TRY
        mov ax, S_BIG
        mov ds, ax
        CATCH 8, 0, "df_gp_then_target_data_segment"
        RESTORE_IDT 13

        GATE_NP 11
        TRY
        mov ax, S_NPD
        mov es, ax
        CATCH 8, 0, "df_np_then_gate_np"
        GATE_P 11

        SETIDT 12, S_NPC, exc_stubs+12*12, 0x8E
        TRY
        mov ax, S_NPD
        mov ss, ax
        CATCH 8, 0, "df_ss_then_target_np"
        RESTORE_IDT 12

        ; IDT limit covers vectors 0-12 only: #GP (13) cannot be delivered
        lidt [cs:idtr13]
        TRY
        mov ax, S_BIG
        mov fs, ax
        CATCH 8, 0, "df_gp_beyond_idt_limit"
        lidt [cs:idtr_image]

; ------------------------------------------------------------ benign + contributory: serial
        GATE_NP 3
        TRY
.bp:    int3
        CATCH 11, 3*8+2, "bp_then_gate_np_no_df"
        CHK32 [EXC_EIP], .bp-$$, "bp_then_gate_np_eip"
        GATE_P 3

        SETIDT 4, S_NPC, exc_stubs+4*12, 0x8E
        TRY
        mov al, 0x7F
        add al, 1                       ; OF=1
.of:    into
        CATCH 11, S_NPC, "of_then_target_np_no_df"
        CHK32 [EXC_EIP], .of-$$, "of_then_target_np_eip"
        RESTORE_IDT 4

        GATE_NP 5
        mov dword [T_SCRATCH], 0
        mov dword [T_SCRATCH+4], 10
        TRY
        mov eax, 20
.br:    bound eax, [T_SCRATCH]
        CATCH 11, -1, "br_then_gate_np_no_df"
        CHK32 [EXC_EIP], .br-$$, "br_then_gate_np_eip_fault"
        mov eax, [EXC_ERR]
        and eax, 0xFFFC
        CHK32 eax, 5*8, "br_then_gate_np_errcode_idt_entry"
%ifdef SDM_EXTRA
        CHK32 [EXC_ERR], 5*8+3, "br_then_gate_np_errcode_ext"     ; QEMU: EXT=0
%endif
        GATE_P 5

        SETIDT 7, S_BIG, exc_stubs+7*12, 0x8E
        mov eax, cr0
        or eax, 8                       ; CR0.TS
        mov cr0, eax
        TRY
.nm:    fninit
        CATCH 13, -1, "nm_then_target_beyond_gdt_no_df"
        CHK32 [EXC_EIP], .nm-$$, "nm_then_target_beyond_gdt_eip"
        mov eax, [EXC_ERR]
        and eax, 0xFFFC
        CHK32 eax, S_BIG, "nm_then_target_beyond_gdt_errcode_sel"
%ifdef SDM_EXTRA
        ; EXT=1: the #GP happened while delivering #NM (SDM vol. 3 6.13);
        ; QEMU leaves EXT clear
        CHK32 [EXC_ERR], S_BIG+1, "nm_then_target_beyond_gdt_errcode_ext"
%endif
        clts
        RESTORE_IDT 7

        GATE_NP 1
        TRY
        pushfd
        or dword [esp], TFL
        popfd
.db1:   nop
.db2:   nop
        CATCH 11, -1, "db_step_then_gate_np_no_df"
        CHK32 [EXC_EIP], .db2-$$, "db_step_then_gate_np_eip"
        mov eax, [EXC_ERR]
        and eax, 0xFFFC
        CHK32 eax, 1*8, "db_step_then_gate_np_errcode_idt_entry"
%ifdef SDM_EXTRA
        CHK32 [EXC_ERR], 1*8+3, "db_step_then_gate_np_errcode_ext" ; QEMU: EXT=0
%endif
        GATE_P 1

; ------------------------------------------------------------ page faults
        call build_identity_paging
        and dword [PT0_BASE+(NP_PAGE>>12)*4], ~1
        call enable_paging
        TRY
        mov eax, [NP_PAGE]
        CATCH 14, 0, "pf_plain"
        CHK32 [EXC_CR2], NP_PAGE, "pf_plain_cr2"

        SETIDT 14, S_BIG, exc_stubs+14*12, 0x8E
        TRY
        mov eax, [NP_PAGE+8]
        CATCH 8, 0, "df_pf_then_target_beyond_gdt"
        RESTORE_IDT 14

        lidt [cs:idtr14]
        TRY
        mov eax, [NP_PAGE+12]
        CATCH 8, 0, "df_pf_beyond_idt_limit"
        lidt [cs:idtr_image]

        ; the IDT copy at IDT2: entry 14 is on the not-present page IDTP
        mov esi, IDT_BASE
        mov edi, IDT2
        mov ecx, 256*2
        rep movsd
        and dword [PT0_BASE+(IDTP>>12)*4], ~1
        invlpg [IDTP]
        lidt [cs:idtr2]
        TRY
        mov eax, [NP_PAGE+0x20]
        CATCH 8, 0, "df_pf_then_pf_idt_entry"
        ; CR2 holds the second fault's address (SDM vol. 3 4.7, 6.15).
        CHK32 [EXC_CR2], IDT2+14*8, "df_pf_then_pf_cr2_idt_entry"
        lidt [cs:idtr_image]
        or dword [PT0_BASE+(IDTP>>12)*4], 1
        invlpg [IDTP]
        ; with the page present the copy delivers a plain #PF
        lidt [cs:idtr2]
        TRY
        mov eax, [NP_PAGE+0x24]
        CATCH 14, 0, "pf_through_idt_copy"
        CHK32 [EXC_CR2], NP_PAGE+0x24, "pf_through_idt_copy_cr2"
        lidt [cs:idtr_image]
        call disable_paging

        PM_FINISH

idtr13: dw 13*8-1
        dd IDT_BASE
idtr14: dw 14*8-1
        dd IDT_BASE
idtr2:  dw 256*8-1
        dd IDT2

        PM_ROM_END
