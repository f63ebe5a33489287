; pm_task.asm - hardware task switching: JMP to a 32-bit TSS (the new
; task's registers, segments, EFLAGS and LDTR come from its TSS, the old
; task's state is saved in its TSS, busy bits move, NT and the back link are
; left alone, CR0.TS is set), JMP back, CALL through a task gate and CALL to
; a TSS (NT=1, back link = caller, caller stays busy), IRET with NT=1
; returning to the caller (busy bit cleared, NT cleared in the saved EFLAGS,
; the callee's EIP saved after its IRET), INT n through a task gate, nested
; tasks, JMP/CALL to a busy TSS (#GP), IRET to a non-busy back link (#TS),
; a TSS below the minimum limit (#TS), a not-present TSS (#NP), LTR checks,
; a switch to and from a 16-bit TSS running 16-bit code, and exceptions
; through task gates: #GP(selector) with its error code pushed on the new
; task's stack, and a real double fault (#GP whose IDT gate is not present
; -> #NP -> #DF) delivered to a #DF task.
; Expected values from the Intel SDM vol. 3 chapter 7 (tables 7-1, 7-2) and
; the vol. 2 JMP/CALL/IRET/LTR pages.
%include "pm.inc"

S_TA    equ 0x48        ; 32-bit TSS A (TSS_A)
S_TB    equ 0x50        ; 32-bit TSS B
S_TG    equ 0x58        ; task gate -> S_TB
S_TC    equ 0x60        ; 16-bit TSS C
S_TE    equ 0x68        ; 32-bit TSS E (#GP task)
S_TD    equ 0x70        ; 32-bit TSS D (#DF task)
S_TX    equ 0x78        ; 32-bit TSS X (for LTR)
S_TSM   equ 0x80        ; 32-bit TSS with limit 66h (too small)
S_TNP   equ 0x88        ; 32-bit TSS not present
S_N1    equ 0x90        ; nested tasks N1, N2
S_N2    equ 0x98
S_LDT   equ 0xA0        ; an LDT (loaded through TSS A's LDT field)

TSS_A   equ 0x3000
TSS_B   equ 0x3100
TSS_C   equ 0x3200      ; 16-bit
TSS_E   equ 0x3300
TSS_D   equ 0x3400
TSS_X   equ 0x3500
TSS_N1  equ 0x3600
TSS_N2  equ 0x3700

T       equ T_SCRATCH   ; records of the tasks
TA      equ T+0x00      ; task A: 0x40 bytes
TB      equ T+0x40      ; task B
TC      equ T+0x80      ; task C (16-bit)
TE      equ T+0xC0      ; #GP / #DF tasks
TN      equ T+0x100     ; nested tasks

%macro NEWTSS 3         ; base, eip, esp
        push edi
        push eax
        push ebx
        mov edi, %1
        mov eax, %2
        mov ebx, %3
        call init_tss32
        pop ebx
        pop eax
        pop edi
%endmacro

%macro DESC_TYPE 3      ; selector, expected access byte, name
        CHK8 [GDT_BASE+(%1)+5], %2, %3
%endmacro

        INIT
        PM_INIT

        SETDESC S_TA, TSS_A, 0x67, 0x0089
        SETDESC S_TB, TSS_B, 0x67, 0x0089
        SETGATE GDT_BASE+S_TG, S_TB, 0, 0x85
        SETDESC S_TC, TSS_C, 0x2B, 0x0081
        SETDESC S_TE, TSS_E, 0x67, 0x0089
        SETDESC S_TD, TSS_D, 0x67, 0x0089
        SETDESC S_TX, TSS_X, 0x67, 0x0089
        SETDESC S_TSM, TSS_X, 0x66, 0x0089
        SETDESC S_TNP, TSS_X, 0x67, 0x0009
        SETDESC S_N1, TSS_N1, 0x67, 0x0089
        SETDESC S_N2, TSS_N2, 0x67, 0x0089
        SETDESC S_LDT, LDT_BASE, 0x0F, 0x0082
        NEWTSS TSS_A, task_a, 0x5000
        NEWTSS TSS_B, task_b, 0x4E00
        NEWTSS TSS_E, task_e, 0x4C00
        NEWTSS TSS_D, task_d, 0x4A00
        NEWTSS TSS_X, 0, 0x4800
        NEWTSS TSS_N1, task_n1, 0x4600
        NEWTSS TSS_N2, task_n2, 0x4400
        ; task A: distinct registers, ZF set, the LDT
        mov dword [TSS_A+TSS_EAX], 0xA0000001
        mov dword [TSS_A+TSS_ECX], 0xA0000002
        mov dword [TSS_A+TSS_EDX], 0xA0000003
        mov dword [TSS_A+TSS_EBX], 0xA0000004
        mov dword [TSS_A+TSS_EBP], 0xA0000005
        mov dword [TSS_A+TSS_ESI], 0xA0000006
        mov dword [TSS_A+TSS_EDI], 0xA0000007
        mov dword [TSS_A+TSS_EFLAGS], ZF|0x0002
        mov dword [TSS_A+TSS_LDT], S_LDT
        mov dword [TSS_A+TSS_LINK], 0xDEAD
        mov dword [LDT_BASE], 0
        mov dword [LDT_BASE+4], 0
        SETDESC 0x0C, 0, 0xFFFFF, 0xC093          ; LDT[1]: flat data
        mov dword [TSS_A+TSS_FS], 0x0C
        ; the 16-bit TSS C
        mov edi, TSS_C
        xor eax, eax
        mov ecx, 0x2C/2
        rep stosw
        mov word [TSS_C+14], task_c             ; IP
        mov word [TSS_C+16], 0x0002             ; FLAGS
        mov word [TSS_C+18], 0x1234             ; AX
        mov word [TSS_C+24], 0x5678             ; BX
        mov word [TSS_C+26], 0x5C00             ; SP
        mov word [TSS_C+34], SEL_DATA16         ; ES
        mov word [TSS_C+36], SEL_CODE16         ; CS
        mov word [TSS_C+38], SEL_DATA16         ; SS
        mov word [TSS_C+40], SEL_DATA16         ; DS

        DESC_TYPE SEL_TSS, 0x8B, "main_tss_busy_after_ltr"
        DESC_TYPE S_TA, 0x89, "tss_a_available"

; ------------------------------------------------------------ JMP to a TSS
        mov eax, 0x11111111
        mov ecx, 0x22222222
        mov edx, 0x33333333
        mov ebx, 0x44444444
        mov ebp, 0x55555555
        mov esi, 0x66666666
        mov edi, 0x77777777
        push dword CF|0x0002
        popfd
.ja:    jmp S_TA:0x12345678             ; the offset is ignored
.jaret: ; back from task A (its JMP to SEL_TSS), registers from our TSS
        pushfd
        CHK32 eax, 0x11111111, "jmp_back_eax_restored"
        CHK32 ecx, 0x22222222, "jmp_back_ecx_restored"
        CHK32 edx, 0x33333333, "jmp_back_edx_restored"
        CHK32 ebx, 0x44444444, "jmp_back_ebx_restored"
        CHK32 ebp, 0x55555555, "jmp_back_ebp_restored"
        CHK32 esi, 0x66666666, "jmp_back_esi_restored"
        CHK32 edi, 0x77777777, "jmp_back_edi_restored"
        pop eax
        and eax, CF|NTF|ZF
        CHK32 eax, CF, "jmp_back_eflags_restored"
        CHK32 esp, STACK_TOP, "jmp_back_esp_restored"
        str ax
        CHK16 ax, SEL_TSS, "jmp_back_tr"
        sldt ax
        CHK16 ax, 0, "jmp_back_ldtr_from_main_tss"
        DESC_TYPE SEL_TSS, 0x8B, "jmp_back_main_busy"
        DESC_TYPE S_TA, 0x89, "jmp_back_tss_a_not_busy"
        ; what task A saw
        CHK32 [TA+0x00], 0xA0000001, "task_a_eax_from_tss"
        CHK32 [TA+0x04], 0xA0000002, "task_a_ecx_from_tss"
        CHK32 [TA+0x08], 0xA0000003, "task_a_edx_from_tss"
        CHK32 [TA+0x0C], 0xA0000004, "task_a_ebx_from_tss"
        CHK32 [TA+0x10], 0xA0000005, "task_a_ebp_from_tss"
        CHK32 [TA+0x14], 0xA0000006, "task_a_esi_from_tss"
        CHK32 [TA+0x18], 0xA0000007, "task_a_edi_from_tss"
        CHK32 [TA+0x1C], 0x5000, "task_a_esp_from_tss"
        mov eax, [TA+0x20]
        and eax, ZF|NTF|CF
        CHK32 eax, ZF, "task_a_eflags_from_tss_nt_clear"
        CHK16 [TA+0x24], S_TA, "task_a_tr"
        CHK16 [TA+0x26], S_LDT, "task_a_ldtr_from_tss"
        CHK16 [TA+0x28], 0x0C, "task_a_fs_ldt_selector"
        CHK8 [TA+0x2A], 0x8B, "task_a_sees_itself_busy"
        CHK8 [TA+0x2B], 0x89, "task_a_sees_main_not_busy"
        mov eax, [TA+0x2C]
        and eax, 8
        CHK32 eax, 8, "task_switch_sets_cr0_ts"
        CHK32 [TA+0x30], 0xDEAD, "jmp_leaves_back_link"
        ; the state task A found in our TSS
        CHK32 [TSS_BASE+TSS_EIP], .jaret-$$, "jmp_saved_eip"
        CHK32 [TSS_BASE+TSS_EAX], 0x11111111, "jmp_saved_eax"
        CHK32 [TSS_BASE+TSS_EDI], 0x77777777, "jmp_saved_edi"
        CHK32 [TSS_BASE+TSS_ESP], STACK_TOP, "jmp_saved_esp"
        mov eax, [TSS_BASE+TSS_EFLAGS]
        and eax, CF|ZF|NTF
        CHK32 eax, CF, "jmp_saved_eflags"
        CHK16 [TSS_BASE+TSS_CS], SEL_CODE32, "jmp_saved_cs"
        CHK16 [TSS_BASE+TSS_SS], SEL_DATA, "jmp_saved_ss"
        CHK16 [TSS_BASE+TSS_DS], SEL_DATA, "jmp_saved_ds"
        ; and task A's own saved state
        CHK32 [TSS_A+TSS_EIP], task_a_again-$$, "task_a_saved_eip"
        CHK32 [TSS_A+TSS_EAX], 0xA00000AA, "task_a_saved_eax"
        CHK16 [TSS_A+TSS_FS], 0x0C, "task_a_saved_fs"

; ------------------------------------------------------------ CALL through a task gate, IRET back
        mov dword [TB+0x3C], 0
        mov eax, 0x12121212
.cb:    call S_TG:0
.cbret: CHK32 eax, 0x12121212, "call_task_back_eax"
        pushfd
        pop eax
        and eax, NTF
        CHK32 eax, 0, "call_task_back_nt_clear"
        CHK32 [TB+0x3C], 1, "call_task_gate_ran"
        mov eax, [TB+0x00]
        and eax, NTF
        CHK32 eax, NTF, "call_task_nt_set_in_new_task"
        CHK16 [TB+0x04], SEL_TSS, "call_task_back_link"
        CHK16 [TB+0x08], S_TB, "call_task_gate_tr"
        CHK8 [TB+0x0C], 0x8B, "call_task_new_busy"
        CHK8 [TB+0x0D], 0x8B, "call_task_caller_stays_busy"
        DESC_TYPE S_TB, 0x89, "iret_task_clears_busy"
        DESC_TYPE SEL_TSS, 0x8B, "iret_task_caller_busy"
        CHK32 [TSS_B+TSS_EIP], task_b_again-$$, "iret_task_saved_eip_after_iret"
        mov eax, [TSS_B+TSS_EFLAGS]
        and eax, NTF
        CHK32 eax, 0, "iret_task_saved_eflags_nt_cleared"
        CHK32 [TSS_B+TSS_EAX], 0xB00000BB, "iret_task_saved_eax"
        CHK32 [TSS_BASE+TSS_EIP], .cbret-$$, "call_task_saved_eip"
        ; CALL to the TSS directly (task B resumes after its IRET)
        mov dword [TB+0x3C], 0
        call S_TB:0
        CHK32 [TB+0x3C], 1, "call_tss_ran"
        CHK16 [TB+0x04], SEL_TSS, "call_tss_back_link"
        mov eax, [TB+0x00]
        and eax, NTF
        CHK32 eax, NTF, "call_tss_nt_set"
        ; INT n through a task gate
        SETIDT 0x50, S_TB, 0, 0x85
        mov dword [TB+0x3C], 0
        int 0x50
        CHK32 [TB+0x3C], 1, "int_task_gate_ran"
        CHK16 [TB+0x04], SEL_TSS, "int_task_gate_back_link"
        CHK16 [TB+0x08], S_TB, "int_task_gate_tr"
        mov eax, [TB+0x00]
        and eax, NTF
        CHK32 eax, NTF, "int_task_gate_nt_set"
        ; nested: main -> N1 -> N2, IRET, IRET
        call S_N1:0
        CHK16 [TN+0x00], SEL_TSS, "nested_n1_back_link"
        CHK16 [TN+0x04], S_N1, "nested_n2_back_link"
        CHK8 [TN+0x08], 0x8B, "nested_n2_sees_n1_busy"
        CHK8 [TN+0x09], 0x8B, "nested_n2_sees_main_busy"
        CHK32 [TN+0x0C], 0x2222, "nested_n1_resumed_after_n2"
        DESC_TYPE S_N1, 0x89, "nested_n1_not_busy"
        DESC_TYPE S_N2, 0x89, "nested_n2_not_busy"

; ------------------------------------------------------------ 16-bit TSS
        mov word [TC+0x00], 0
        call S_TC:0
        CHK16 [TC+0x00], 0x1234, "tss16_ax_loaded"
        CHK16 [TC+0x02], 0x5678, "tss16_bx_loaded"
        CHK16 [TC+0x04], 0x5C00, "tss16_sp_loaded"
        CHK16 [TC+0x06], SEL_CODE16, "tss16_cs_loaded"
        CHK16 [TC+0x08], SEL_DATA16, "tss16_ss_loaded"
        mov ax, [TC+0x0A]
        and ax, NTF
        CHK16 ax, NTF, "tss16_nt_set"
        CHK16 [TC+0x0C], S_TC, "tss16_tr"
        CHK16 [TC+0x0E], SEL_TSS, "tss16_back_link"
        CHK8 [TC+0x10], 0x83, "tss16_busy_type_3"
        DESC_TYPE S_TC, 0x81, "tss16_available_after_iret"
        CHK16 [TSS_C+14], task_c_again-$$, "tss16_saved_ip"
        CHK16 [TSS_C+18], 0x1616, "tss16_saved_ax"
        mov ax, [TSS_C+16]
        and ax, NTF
        CHK16 ax, 0, "tss16_saved_flags_nt_cleared"

; ------------------------------------------------------------ failing switches
        TRY
.cself: call SEL_TSS:0
        CATCH 13, SEL_TSS, "call_busy_tss"
        CHK32 [EXC_EIP], .cself-$$, "call_busy_tss_eip"
        TRY
        jmp SEL_TSS:0
        CATCH 13, SEL_TSS, "jmp_busy_tss"
        TRY
        call S_TSM:0
        CATCH 10, S_TSM, "call_tss_limit_66h"
        TRY
        jmp S_TNP:0
        CATCH 11, S_TNP, "jmp_tss_not_present"
        DESC_TYPE S_TSM, 0x89, "tss_limit_fault_no_busy"
        ; IRET with NT=1 and a back link to an available TSS
        mov dword [TSS_BASE+TSS_LINK], S_TA
        TRY
        push dword NTF|0x0002
        popfd
.irnt:  iretd
        CATCH 10, S_TA, "iret_nt_link_not_busy"
        CHK32 [EXC_EIP], .irnt-$$, "iret_nt_link_not_busy_eip"
        mov dword [TSS_BASE+TSS_LINK], 0
        ; LTR
        TRY
        mov ax, SEL_TSS
        ltr ax
        CATCH 13, SEL_TSS, "ltr_busy_tss"
        TRY
        mov ax, SEL_DATA
        ltr ax
        CATCH 13, SEL_DATA, "ltr_data_segment"
%ifdef SDM_EXTRA
        ; SDM LTR: a null selector is #GP(0).  QEMU (helper_ltr) accepts it
        ; and leaves TR invalid.
        TRY
        xor eax, eax
        ltr ax
        CATCH 13, 0, "ltr_null"
%endif
        TRY
        mov ax, S_TNP
        ltr ax
        CATCH 11, S_TNP, "ltr_not_present"
        TRY
        mov ax, S_TG
        ltr ax
        CATCH 13, S_TG, "ltr_task_gate"
        mov ax, S_TX
        ltr ax
        str bx
        CHK16 bx, S_TX, "ltr_loads_tr"
        DESC_TYPE S_TX, 0x8B, "ltr_sets_busy"
        DESC_TYPE SEL_TSS, 0x8B, "ltr_leaves_old_busy"
        and byte [GDT_BASE+SEL_TSS+5], ~2
        mov ax, SEL_TSS
        ltr ax
        and byte [GDT_BASE+S_TX+5], ~2
        str bx
        CHK16 bx, SEL_TSS, "ltr_back_to_main"

; ------------------------------------------------------------ exceptions through task gates
        ; #GP(selector): the error code is pushed on the new task's stack
        SETIDT 13, S_TE, 0, 0x85
        mov dword [TE+0x20], 0
        mov ax, GDT_SLOTS*8
main_gp:
        mov ds, ax                      ; #GP(400h) -> task E
main_gpret:
        mov ax, ds
        CHK16 ax, SEL_DATA, "gp_task_ds_unchanged"
        CHK32 [TE+0x20], 1, "gp_task_ran"
        CHK32 [TE+0x00], GDT_SLOTS*8, "gp_task_error_code_on_new_stack"
        CHK32 [TE+0x04], 0x4C00-4, "gp_task_esp_after_error_code"
        CHK16 [TE+0x08], SEL_TSS, "gp_task_back_link"
        mov eax, [TE+0x0C]
        and eax, NTF
        CHK32 eax, NTF, "gp_task_nt_set"
        CHK32 [TE+0x10], main_gp-$$, "gp_task_saved_eip_is_faulting_insn"
        CHK16 [TE+0x14], S_TE, "gp_task_tr"
        RESTORE_IDT 13
        ; a double fault: #GP, its gate not present -> #NP -> #DF task
        SETIDT 8, S_TD, 0, 0x85
        and byte [IDT_BASE+13*8+5], 0x7F        ; vector 13 not present
        mov dword [TE+0x38], 0
        mov ax, GDT_SLOTS*8
        mov ds, ax                      ; #GP -> #NP(6Bh) -> #DF
main_dfret:
        or byte [IDT_BASE+13*8+5], 0x80
        RESTORE_IDT 8
        CHK32 [TE+0x38], 1, "df_task_ran"
        CHK32 [TE+0x28], 0, "df_task_error_code_zero"
        CHK32 [TE+0x2C], 0x4A00-4, "df_task_esp_after_error_code"
        CHK16 [TE+0x30], SEL_TSS, "df_task_back_link"
        CHK16 [TE+0x34], S_TD, "df_task_tr"
        PM_FINISH

; ------------------------------------------------------------ tasks
task_a:
        mov [TA+0x00], eax
        mov [TA+0x04], ecx
        mov [TA+0x08], edx
        mov [TA+0x0C], ebx
        mov [TA+0x10], ebp
        mov [TA+0x14], esi
        mov [TA+0x18], edi
        mov [TA+0x1C], esp
        pushfd
        pop dword [TA+0x20]
        str word [TA+0x24]
        sldt word [TA+0x26]
        mov [TA+0x28], fs
        mov al, [GDT_BASE+S_TA+5]
        mov [TA+0x2A], al
        mov al, [GDT_BASE+SEL_TSS+5]
        mov [TA+0x2B], al
        mov eax, cr0
        mov [TA+0x2C], eax
        clts
        mov eax, [TSS_A+TSS_LINK]
        mov [TA+0x30], eax
        mov eax, 0xA00000AA
        jmp SEL_TSS:0
task_a_again:
        jmp task_a

task_b:
        pushfd
        pop dword [TB+0x00]
        mov eax, [TSS_B+TSS_LINK]
        mov [TB+0x04], eax
        str word [TB+0x08]
        mov al, [GDT_BASE+S_TB+5]
        mov [TB+0x0C], al
        mov al, [GDT_BASE+SEL_TSS+5]
        mov [TB+0x0D], al
        mov dword [TB+0x3C], 1
        mov eax, 0xB00000BB
        iretd
task_b_again:
        jmp task_b

task_n1:
        mov eax, [TSS_N1+TSS_LINK]
        mov [TN+0x00], eax
        call S_N2:0
        mov dword [TN+0x0C], 0x2222
        iretd
        jmp task_n1
task_n2:
        mov eax, [TSS_N2+TSS_LINK]
        mov [TN+0x04], eax
        mov al, [GDT_BASE+S_N1+5]
        mov [TN+0x08], al
        mov al, [GDT_BASE+SEL_TSS+5]
        mov [TN+0x09], al
        iretd
        jmp task_n2

task_e:                                 ; #GP through a task gate
        mov eax, [esp]
        mov [TE+0x00], eax
        mov [TE+0x04], esp
        mov eax, [TSS_E+TSS_LINK]
        mov [TE+0x08], eax
        pushfd
        pop dword [TE+0x0C]
        mov eax, [TSS_BASE+TSS_EIP]
        mov [TE+0x10], eax
        str word [TE+0x14]
        mov dword [TE+0x20], 1
        add esp, 4                      ; the error code
        mov dword [TSS_BASE+TSS_EIP], main_gpret
        iretd
        jmp task_e

task_d:                                 ; #DF through a task gate
        mov eax, [esp]
        mov [TE+0x28], eax
        mov [TE+0x2C], esp
        mov eax, [TSS_D+TSS_LINK]
        mov [TE+0x30], eax
        str word [TE+0x34]
        mov dword [TE+0x38], 1
        add esp, 4
        mov dword [TSS_BASE+TSS_EIP], main_dfret
        iretd
        jmp task_d


        bits 16
task_c:                                 ; 16-bit task (16-bit TSS, CODE16)
        mov [TC+0x00], ax
        mov [TC+0x02], bx
        mov [TC+0x04], sp
        mov [TC+0x06], cs
        mov [TC+0x08], ss
        pushf
        pop word [TC+0x0A]
        str word [TC+0x0C]
        mov ax, [TSS_C+0]
        mov [TC+0x0E], ax
        mov al, [GDT_BASE+S_TC+5]
        mov [TC+0x10], al
        mov ax, 0x1616
        iret
task_c_again:
        jmp task_c
        bits 32

        PM_ROM_END
