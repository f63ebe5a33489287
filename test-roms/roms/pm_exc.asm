; pm_exc.asm - protected-mode exceptions 0-17 with their error codes and
; fault/trap semantics: #DE (DIV, IDIV overflow, registers unchanged), #DB
; (TF single-step traps with DR6.BS, a DR0 instruction breakpoint fault
; with DR6.B0 and RF resuming past it, a DR1 data-write breakpoint trap,
; DR4/DR5 aliasing DR6/DR7, CR4.DE making them #UD), #BP (CC and CD 03,
; traps), #OF (INTO), #BR (BOUND), #UD (UD2, LOCK on a non-lockable
; instruction, MOV CS, register operand of LDS), #NM (the CR0.EM/MP/TS
; table for x87 instructions and WAIT), #DF (a #GP whose IDT gate is not
; present, and a #PF whose handler's code segment is not present; a benign
; #UD with a not-present gate gives only #NP), #TS (IRET with NT to a
; non-busy TSS, a task switch to a TSS below 67h), #NP (segment load,
; not-present gate for INT n), #SS (not-present stack segment), #GP
; (selector errors, INT n beyond the IDT limit, CR0 PG without PE, reserved
; CR4 bits, unknown MSRs), #PF (error code, CR2, instructions rolled back:
; POP/PUSH memory, MOVS, CALL indirect, XCHG), #MF (unmasked x87 exception
; reported at the next WAIT with CR0.NE=1).
; Not reachable here: NMI (2), 9 (not generated since the 486), 15
; (reserved), #MC (18), #XM (19, needs SSE).  #AC (17) is under SDM_EXTRA:
; QEMU does not implement alignment checking.  A triple fault is not tested
; (it resets the machine).
; Expected values from the Intel SDM vol. 3 chapters 6 and 17 and the
; vol. 2 instruction pages.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_NP    equ 0x48        ; data, not present
S_SSNP  equ 0x50        ; writable data, not present (for SS)
S_CNP   equ 0x58        ; 32-bit code, not present
S_TA    equ 0x60        ; an available 32-bit TSS
S_TSM   equ 0x68        ; TSS with limit 66h
S_FLAT  equ 0x70        ; flat 32-bit code DPL0
TSS_A   equ 0x3000
BP_CODE equ 0x8000      ; breakpoint target code (RAM)

NP_PAGE equ 0x300000    ; a not-present page (paging on)

T       equ T_SCRATCH
BOUNDS     equ T+0x80      ; BOUND pair

        INIT
        PM_INIT
        SETDESC S_NP, 0, 0xFFFFF, 0xC013
        SETDESC S_SSNP, 0, 0xFFFFF, 0xC013
        SETDESC S_CNP, 0xF0000, 0xFFFF, 0x401B
        SETDESC S_TA, TSS_A, 0x67, 0x0089
        SETDESC S_TSM, TSS_A, 0x66, 0x0089
        SETDESC S_FLAT, 0, 0xFFFFF, 0xC09B
        push edi
        push eax
        push ebx
        mov edi, TSS_A
        mov eax, 0
        mov ebx, 0x5000
        call init_tss32
        pop ebx
        pop eax
        pop edi
        call build_identity_paging
        mov dword [PT0_BASE+(NP_PAGE>>12)*4], 0
        call enable_paging

; ------------------------------------------------------------ #DE (0)
        TRY
        mov eax, 0x1234
        mov edx, 0x5678
        xor ecx, ecx
.de1:   div ecx
        CATCH 0, 0, "de_div_by_zero"
        CHK32 [EXC_EIP], .de1-$$, "de_div_by_zero_eip_fault"
        CHK32 [EXC_EAX], 0x1234, "de_div_eax_unchanged"
        CHK32 [EXC_EDX], 0x5678, "de_div_edx_unchanged"
        TRY
        mov eax, 0
        mov edx, 1                      ; EDX:EAX = 2^32
        mov ecx, 1
.de2:   idiv ecx
        CATCH 0, 0, "de_idiv_overflow"
        CHK32 [EXC_EIP], .de2-$$, "de_idiv_overflow_eip_fault"
%ifdef SDM_EXTRA
        ; -2^63 / -1 overflows too; QEMU 7.2 dies of a host SIGFPE on it.
        TRY
        mov eax, 0
        mov edx, 0x80000000
        mov ecx, -1
        idiv ecx
        CATCH 0, 0, "de_idiv_min_by_minus1"
%endif
        TRY
        mov ax, 0x1000
        mov cl, 0x10
.de3:   div cl                          ; quotient 100h does not fit
        CATCH 0, 0, "de_div8_quotient_too_big"
        CHK32 [EXC_EIP], .de3-$$, "de_div8_eip_fault"

; ------------------------------------------------------------ #DB (1): single step
        xor eax, eax
        mov dr6, eax
        TRY
        pushfd
        or dword [esp], TFL
        popfd                           ; no trap after the POPF that sets TF
.ss1:   mov eax, 1
.ss2:   mov eax, 2
        CATCH 1, 0, "db_single_step"
        CHK32 [EXC_EIP], .ss2-$$, "db_single_step_trap_eip"
        CHK32 [EXC_EAX], 1, "db_single_step_after_one_insn"
        mov eax, [EXC_DR6]
        and eax, 0x400F
        CHK32 eax, 0x4000, "db_single_step_dr6_bs"
        mov eax, [EXC_EFL]
        and eax, TFL
        CHK32 eax, TFL, "db_single_step_pushed_tf"
        mov eax, [EXC_INEFL]
        and eax, TFL
        CHK32 eax, 0, "db_single_step_handler_tf_clear"
        ; three traps in a row, the handler clears TF at the third
        mov dword [EXC_HOOK], ss_hook
        mov dword [EXC_RESUME], 1
        mov dword [EXC_COUNT], 0
        pushfd
        or dword [esp], TFL
        popfd
.s1:    nop
.s2:    xchg eax, eax
.s3:    inc eax
.s4:    nop
        nop
        mov dword [EXC_RESUME], 0
        mov dword [EXC_HOOK], 0
        CHK32 [EXC_COUNT], 3, "db_step_count"
        CHK32 [T+0x00], .s2-$$, "db_step_eip_1"
        CHK32 [T+0x04], .s3-$$, "db_step_eip_2"
        CHK32 [T+0x08], .s4-$$, "db_step_eip_3"
        pushfd
        pop eax
        and eax, TFL
        CHK32 eax, 0, "db_step_tf_cleared_by_handler"
%ifdef SDM_EXTRA
        ; MOV SS inhibits the single-step trap for one instruction (SDM vol.
        ; 3 6.8.3); QEMU traps right after the MOV SS.
        TRY
        mov ax, ss
        pushfd
        or dword [esp], TFL
        popfd
        mov ss, ax                      ; no trap after this one
.ms1:   nop
.ms2:   nop
        CATCH 1, 0, "db_step_mov_ss_inhibit"
        CHK32 [EXC_EIP], .ms2-$$, "db_step_mov_ss_inhibit_eip"
%endif

; ------------------------------------------------------------ #DB: debug registers
        ; DR0 instruction breakpoint: a fault before the instruction.  The
        ; breakpoint is on code copied to RAM (BP_CODE, run through the flat
        ; S_FLAT segment): QEMU 7.2 crashes (host SIGSEGV) when an
        ; instruction breakpoint hits code in the BIOS ROM.
        mov esi, bp_tmpl
        mov edi, BP_CODE
        mov ecx, bp_tmpl_end-bp_tmpl
.cp:    mov al, [cs:esi]
        mov [edi], al
        inc esi
        inc edi
        loop .cp
        xor eax, eax
        mov dr6, eax
        mov eax, BP_CODE
        mov dr0, eax
        mov eax, 1                      ; L0, execute, 1 byte
        mov dr7, eax
        TRY
        mov ebx, 0
        call S_FLAT:BP_CODE
        CATCH 1, 0, "db_dr0_exec"
        CHK32 [EXC_EIP], BP_CODE, "db_dr0_exec_eip_fault"
        CHK16 [EXC_CS], S_FLAT, "db_dr0_exec_cs"
        CHK32 [EXC_EBX], 0, "db_dr0_exec_not_executed"
        mov eax, [EXC_DR6]
        and eax, 0x400F
        CHK32 eax, 0x0001, "db_dr0_exec_dr6_b0"
        ; the handler returns with RF set: the instruction runs once
        xor eax, eax
        mov dr6, eax
        mov dword [EXC_HOOK], rf_hook
        mov dword [EXC_RESUME], 1
        mov dword [EXC_COUNT], 0
        mov ebx, 0
        call S_FLAT:BP_CODE
        mov dword [EXC_RESUME], 0
        mov dword [EXC_HOOK], 0
        CHK32 [EXC_COUNT], 1, "db_dr0_rf_count"
        CHK32 ebx, 0xB0B0, "db_dr0_rf_executed"
        ; a second call hits the breakpoint again (RF cleared after one insn)
        TRY
        call S_FLAT:BP_CODE
        CATCH 1, 0, "db_dr0_again_after_rf"
        xor eax, eax
        mov dr7, eax
        TRY
        call S_FLAT:BP_CODE
        NOFAULT "db_dr7_cleared"
        ; DR1 data write breakpoint: a trap after the write
        xor eax, eax
        mov dr6, eax
        mov dword [T+0x40], 0
        mov eax, T+0x40
        mov dr1, eax
        mov eax, (1 << 2) | (1 << 20) | (3 << 22)   ; L1, write, 4 bytes
        mov dr7, eax
        TRY
        mov eax, [T+0x40]               ; reads do not trigger
        mov dword [T+0x3C], 1           ; neither does a write next to it
        mov dword [T+0x40], 0x5A5A5A5A
.dw:    nop
        CATCH 1, 0, "db_dr1_write"
        CHK32 [EXC_EIP], .dw-$$, "db_dr1_write_eip_trap"
        CHK32 [T+0x40], 0x5A5A5A5A, "db_dr1_write_done"
        mov eax, [EXC_DR6]
        and eax, 0x400F
        CHK32 eax, 0x0002, "db_dr1_write_dr6_b1"
        xor eax, eax
        mov dr7, eax
        ; DR4/DR5 are DR6/DR7 while CR4.DE = 0, #UD with CR4.DE = 1
        mov eax, 0x00000001
        mov dr7, eax
        mov eax, dr5
        and eax, 0xFF
        CHK32 eax, 0x01, "dr5_aliases_dr7"
        xor eax, eax
        mov dr7, eax
        mov eax, cr4
        or eax, 8
        mov cr4, eax
        TRY
.dr4:   mov eax, dr4
        CATCH 6, 0, "dr4_cr4_de_ud"
        CHK32 [EXC_EIP], .dr4-$$, "dr4_cr4_de_ud_eip"
        mov eax, cr4
        and eax, ~8
        mov cr4, eax
%ifdef SDM_EXTRA
        ; DR7.GD: the next MOV DR faults with DR6.BD, GD cleared on entry
        ; (SDM vol. 3 17.2.4).  QEMU does not implement general detection.
        xor eax, eax
        mov dr6, eax
        mov eax, 0x2000
        mov dr7, eax
        TRY
.gd:    mov eax, dr0
        CATCH 1, 0, "db_dr7_gd"
        CHK32 [EXC_EIP], .gd-$$, "db_dr7_gd_eip_fault"
        mov eax, [EXC_DR6]
        and eax, 0x2000
        CHK32 eax, 0x2000, "db_dr7_gd_dr6_bd"
        mov eax, dr7
        and eax, 0x2000
        CHK32 eax, 0, "db_dr7_gd_cleared"
        xor eax, eax
        mov dr7, eax
%endif

; ------------------------------------------------------------ #BP (3), #OF (4), #BR (5)
        TRY
        int3
.bp1:   nop
        CATCH 3, 0, "bp_int3"
        CHK32 [EXC_EIP], .bp1-$$, "bp_int3_eip_trap"
        TRY
        int 3
.bp2:   nop
        CATCH 3, 0, "bp_int_3"
        CHK32 [EXC_EIP], .bp2-$$, "bp_int_3_eip_trap"
        TRY
        mov al, 0x7F
        add al, 1
        into
.of:    nop
        CATCH 4, 0, "of_into"
        CHK32 [EXC_EIP], .of-$$, "of_into_eip_trap"
        TRY
        xor eax, eax
        into                            ; OF=0
        NOFAULT "of_into_no_overflow"
        mov dword [BOUNDS], 10
        mov dword [BOUNDS+4], 20
        TRY
        mov eax, 10
        bound eax, [BOUNDS]
        mov eax, 20
        bound eax, [BOUNDS]
        NOFAULT "br_bound_in_range"
        TRY
        mov eax, 21
.br:    bound eax, [BOUNDS]
        CATCH 5, 0, "br_bound_above"
        CHK32 [EXC_EIP], .br-$$, "br_bound_above_eip_fault"
        TRY
        mov eax, 9
        bound eax, [BOUNDS]
        CATCH 5, 0, "br_bound_below"
        mov dword [BOUNDS], -5
        TRY
        mov eax, -6
        bound eax, [BOUNDS]                ; signed compare
        CATCH 5, 0, "br_bound_signed"

; ------------------------------------------------------------ #UD (6)
        TRY
.ud1:   ud2
        CATCH 6, 0, "ud_ud2"
        CHK32 [EXC_EIP], .ud1-$$, "ud_ud2_eip_fault"
        TRY
.ud2:   db 0xF0, 0x90                   ; lock nop
        CATCH 6, 0, "ud_lock_nop"
        CHK32 [EXC_EIP], .ud2-$$, "ud_lock_nop_eip"
        TRY
        db 0xF0, 0x01, 0xD8             ; lock add eax, ebx
        CATCH 6, 0, "ud_lock_register_dest"
        TRY
        db 0x8E, 0xC8                   ; mov cs, ax
        CATCH 6, 0, "ud_mov_cs"
        TRY
        db 0xC5, 0xC0                   ; lds eax, eax
        CATCH 6, 0, "ud_lds_register"

; ------------------------------------------------------------ #NM (7)
        ; MP, EM, TS in CR0 bits 1, 2, 3
%macro NMTEST 3         ; cr0 low bits, fpu_faults (0/1), wait_faults (0/1)
        mov eax, cr0
        and eax, ~0xE
        or eax, %1
        mov cr0, eax
        TRY
%%f:    fld1
  %if %2
        CATCH 7, 0, "nm_fpu_cr0_", %str(%1)
        CHK32 [EXC_EIP], %%f-$$, "nm_fpu_cr0_", %str(%1), "_eip"
  %else
        fstp st0
        NOFAULT "nm_fpu_cr0_", %str(%1)
  %endif
        TRY
%%w:    fwait
  %if %3
        CATCH 7, 0, "nm_wait_cr0_", %str(%1)
        CHK32 [EXC_EIP], %%w-$$, "nm_wait_cr0_", %str(%1), "_eip"
  %else
        NOFAULT "nm_wait_cr0_", %str(%1)
  %endif
%endmacro
        fninit
        NMTEST 0x0, 0, 0                ; nothing set
        NMTEST 0x2, 0, 0                ; MP
        NMTEST 0x8, 1, 0                ; TS
        NMTEST 0xA, 1, 1                ; MP TS
        NMTEST 0x4, 1, 0                ; EM
        NMTEST 0x6, 1, 0                ; EM MP
        NMTEST 0xC, 1, 0                ; EM TS
        NMTEST 0xE, 1, 1                ; EM MP TS
        mov eax, cr0
        and eax, ~0xE
        or eax, 0x2
        mov cr0, eax

; ------------------------------------------------------------ #DF (8)
        ; #GP while its gate is not present: #NP (contributory) -> #DF
        and byte [IDT_BASE+13*8+5], 0x7F
        TRY
        mov ax, GDT_SLOTS*8
        mov ds, ax
        CATCH 8, 0, "df_gp_then_np"
        or byte [IDT_BASE+13*8+5], 0x80
        ; #PF whose handler's code segment is not present -> #DF
        SETIDT 14, S_CNP, exc_stubs+14*12, 0x8E
        TRY
        mov eax, [NP_PAGE]
        CATCH 8, 0, "df_pf_then_np"
        RESTORE_IDT 14
        ; #UD (benign) while its gate is not present: just #NP
        and byte [IDT_BASE+6*8+5], 0x7F
        TRY
.ubn:   ud2
        CATCH 11, -1, "ud_then_np_no_df"
        CHK32 [EXC_EIP], .ubn-$$, "ud_then_np_eip"
        or byte [IDT_BASE+6*8+5], 0x80
%ifdef SDM_EXTRA
        ; the #NP error code has IDT=1 and EXT=1 (SDM vol. 3 6.13): 6*8+3.
        ; QEMU leaves EXT clear.
        CHK32 [EXC_ERR], 6*8+3, "ud_then_np_errcode_ext"
%endif

; ------------------------------------------------------------ #TS (10)
        mov dword [TSS_BASE+TSS_LINK], S_TA
        TRY
        push dword NTF|0x0002
        popfd
.ts1:   iretd
        CATCH 10, S_TA, "ts_iret_nt_link_not_busy"
        CHK32 [EXC_EIP], .ts1-$$, "ts_iret_eip_fault"
        mov dword [TSS_BASE+TSS_LINK], 0
        TRY
        jmp S_TSM:0
        CATCH 10, S_TSM, "ts_tss_limit_66h"

; ------------------------------------------------------------ #NP (11), #SS (12)
        TRY
.np1:   mov ax, S_NP
        mov es, ax
        CATCH 11, S_NP, "np_segment_load"
        SETIDT 0x60, SEL_CODE32, exc_stubs+0x60*12, 0x0E        ; P=0
        TRY
.np2:   int 0x60
        CATCH 11, 0x60*8+2, "np_int_gate_not_present"
        CHK32 [EXC_EIP], .np2-$$, "np_int_gate_not_present_eip"
        RESTORE_IDT 0x60
        TRY
        mov esi, 0x1111
        mov ebx, 0x2222
        mov ax, S_SSNP
.ss:    mov ss, ax
        CATCH 12, S_SSNP, "ss_not_present"
        CHK32 [EXC_EIP], .ss-$$, "ss_not_present_eip"
        TRY
        call S_CNP:0
        CATCH 11, S_CNP, "np_call_far"
        CHK32 [EXC_FRAME], STACK_TOP-12, "np_call_far_no_push"

; ------------------------------------------------------------ #GP (13)
        TRY
        mov ax, GDT_SLOTS*8+3
        mov fs, ax
        CATCH 13, GDT_SLOTS*8, "gp_selector_beyond_gdt"
        TRY
        mov esi, 0xABCD
        mov dword [T+0x10], 0
        mov word [T+0x14], GDT_SLOTS*8
.lds:   lds esi, [T+0x10]
        CATCH 13, GDT_SLOTS*8, "gp_lds"
        CHK32 [EXC_ESI], 0xABCD, "gp_lds_esi_unchanged"
        CHK32 [EXC_EIP], .lds-$$, "gp_lds_eip"
        lidt [cs:small_idtr]
        TRY
.gpi:   int 0x50
        CATCH 13, 0x50*8+2, "gp_int_beyond_idt_limit"
        CHK32 [EXC_EIP], .gpi-$$, "gp_int_beyond_idt_limit_eip"
        lidt [cs:idtr_image]
%ifdef SDM_EXTRA
        ; SDM MOV CR: setting PG with PE clear is #GP(0).  QEMU 7.2 takes it
        ; (and then runs off into the weeds).
        TRY
        mov eax, cr0
        and eax, ~1                     ; PG=1 with PE=0
.cr0:   mov cr0, eax
        CATCH 13, 0, "gp_cr0_pg_without_pe"
        CHK32 [EXC_EIP], .cr0-$$, "gp_cr0_pg_without_pe_eip"
%endif
%ifdef SDM_EXTRA
        ; a reserved CR4 bit is #GP(0); QEMU 7.2 takes an SVM-style exit
        ; instead and loops.  RDMSR/WRMSR of an unimplemented MSR is #GP(0);
        ; QEMU reads 0 and ignores the write.
        TRY
        mov eax, cr4
        or eax, 0x80000000              ; reserved
        mov cr4, eax
        CATCH 13, 0, "gp_cr4_reserved_bit"
        TRY
        mov ecx, 0x12345
        rdmsr
        CATCH 13, 0, "gp_rdmsr_unknown"
        TRY
        mov ecx, 0x12345
        wrmsr
        CATCH 13, 0, "gp_wrmsr_unknown"
%endif

; ------------------------------------------------------------ #PF (14) and rollback
        TRY
.pf1:   mov eax, [NP_PAGE+0x44]
        CATCH 14, 0, "pf_read"
        CHK32 [EXC_CR2], NP_PAGE+0x44, "pf_read_cr2"
        CHK32 [EXC_EIP], .pf1-$$, "pf_read_eip"
        TRY
        mov ebp, esp
.pf2:   pop dword [NP_PAGE]
        CATCH 14, 2, "pf_pop_mem"
        CHK32 [EXC_FRAME], STACK_TOP-12, "pf_pop_mem_esp_unchanged"
        CHK32 [EXC_EIP], .pf2-$$, "pf_pop_mem_eip"
        TRY
        push dword [NP_PAGE+8]
        CATCH 14, 0, "pf_push_mem"
        CHK32 [EXC_FRAME], STACK_TOP-12, "pf_push_mem_esp_unchanged"
        TRY
        mov esi, T
        mov edi, NP_PAGE+0x10
        movsd
        CATCH 14, 2, "pf_movsd"
        CHK32 [EXC_ESI], T, "pf_movsd_esi_unchanged"
        CHK32 [EXC_EDI], NP_PAGE+0x10, "pf_movsd_edi_unchanged"
        TRY
.pf5:   call [NP_PAGE+0x20]
        CATCH 14, 0, "pf_call_indirect"
        CHK32 [EXC_FRAME], STACK_TOP-12, "pf_call_indirect_no_push"
        CHK32 [EXC_EIP], .pf5-$$, "pf_call_indirect_eip"
        TRY
        mov eax, 0x600D
        xchg [NP_PAGE+0x30], eax
        CATCH 14, -1, "pf_xchg"         ; (W/R of a read-modify-write: not
                                        ; defined by the SDM, not compared)
        CHK32 [EXC_EAX], 0x600D, "pf_xchg_eax_unchanged"

; ------------------------------------------------------------ #MF (16)
        mov eax, cr0
        or eax, 0x22                    ; NE, MP
        and eax, ~0xC                   ; EM, TS off
        mov cr0, eax
        fninit
        mov word [T+0x20], 0x037B       ; ZM unmasked
        fldcw [T+0x20]
        TRY
        fld1
        fldz
        fdivp st1, st0                  ; 1/0: ZE, ES pending
        fnstsw ax                       ; no-wait: no #MF here
        mov [T+0x24], ax
.mf:    fwait
        CATCH 16, 0, "mf_at_next_wait"
        CHK32 [EXC_EIP], .mf-$$, "mf_at_next_wait_eip"
        mov ax, [T+0x24]
        and ax, 0x0084
        CHK16 ax, 0x0084, "mf_fsw_es_ze_pending"
        fnclex
        fninit
        TRY
        fwait
        NOFAULT "mf_cleared_by_fnclex"

%ifdef SDM_EXTRA
; ------------------------------------------------------------ #AC (17)
        ; CR0.AM=1, EFLAGS.AC=1, CPL3, misaligned: #AC(0) (SDM vol. 3 6.15).
        ; QEMU does not implement alignment checking.
        mov eax, cr0
        or eax, 0x40000
        mov cr0, eax
        TRY
        RING3 ACF|0x0002
        mov eax, [T+0x40]
.ac:    mov eax, [T+0x41]
        RING0
        CATCH 17, 0, "ac_misaligned_cpl3"
        CHK32 [EXC_EIP], .ac-$$, "ac_misaligned_cpl3_eip"
        TRY
        RING3
        mov eax, [T+0x41]               ; AC=0
        RING0
        NOFAULT "ac_flag_clear"
        mov eax, cr0
        and eax, ~0x40000
        mov cr0, eax
%endif

        PM_FINISH

; ------------------------------------------------------------ helpers
bp_tmpl:                                ; copied to BP_CODE
        mov ebx, 0xB0B0
        retf
bp_tmpl_end:

ss_hook:                                ; EBP -> exc_common frame
        mov eax, [EXC_COUNT]
        mov ecx, [ebp+EXF_EIP]
        mov [T-4+eax*4], ecx
        cmp eax, 3
        jb .r
        and dword [ebp+EXF_EFL], ~TFL
.r:     ret

rf_hook:
        or dword [ebp+EXF_EFL], RFF
        ret

small_idtr:
        dw 0x40*8-1
        dd IDT_BASE

        PM_ROM_END
