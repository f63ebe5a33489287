; pm_priv.asm - privilege levels and transfers between them: IRETD and RETF
; (also RETF n) from ring 0 to ring 3 with SS:ESP popped and the data segment
; registers nulled when their DPL is below the new CPL; ring 3 to ring 0
; through 32-bit interrupt and trap gates (SS0:ESP0 taken from the TSS, the
; SS/ESP/EFLAGS/CS/EIP frame, IF cleared only by an interrupt gate, NT
; cleared), call gates (parameter copy, the inner stack frame, RETF n back,
; same-privilege calls, gate DPL and presence checks, JMP through a gate),
; conforming code (CPL unchanged, no stack switch), INT n / INT3 / INTO from
; ring 3 through DPL0 gates (#GP(vector*8+2)) while exceptions ignore the
; gate DPL, IOPL-sensitive instructions (CLI/STI faults, POPF/IRET silently
; keeping IF and IOPL), the TSS I/O permission bitmap (allowed port, denied
; port, a word access spanning both, ports past the TSS limit, IOPL=3
; bypassing it), privileged instructions at CPL3 (#GP(0)), RDTSC with
; CR4.TSD, and SYSENTER/SYSEXIT with the SYSENTER MSRs set through WRMSR.
; Expected values from the Intel SDM (vol. 2 INT/IRET/CALL/RET/SYSENTER/
; SYSEXIT/IN/OUT pages, vol. 3 chapters 5, 6 and 19 (I/O)).
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_CONF  equ 0x48        ; 32-bit code conforming readable DPL0 (base F0000)
S_CG3   equ 0x50        ; call gate DPL3 -> SEL_CODE32:cg_handler, 3 params
S_CG0   equ 0x58        ; call gate DPL0 -> SEL_CODE32:cg0_handler
S_CGC   equ 0x60        ; call gate DPL3 -> S_CONF:conf_fn
S_CGNP  equ 0x68        ; call gate DPL3, not present
S_CGCC  equ 0x78        ; call gate DPL3 -> S_CONF:conf_cli
S_SS0   equ 0x70        ; flat data DPL0 used as TSS.SS0
S_SE    equ 0x80        ; SYSENTER_CS: 80h code0, 88h data0, 90h code3,
                        ; 98h data3, all flat (base 0, 4 GiB)
ESP0    equ 0x6700      ; TSS.ESP0 for these tests

T       equ T_SCRATCH   ; records written by ring-3 and gate code

; PRIV3 instruction, name: the instruction faults with #GP(0) at CPL3
%macro PRIV3 2
        TRY
        RING3
%%at:   %1
        RING0
        CATCH 13, 0, %2
        CHK32 [EXC_EIP], %%at-$$, %2, "_eip"
%endmacro

%macro CLEAR_T 0
        push edi
        push ecx
        push eax
        mov edi, T
        mov ecx, 32
        xor eax, eax
        rep stosd
        pop eax
        pop ecx
        pop edi
%endmacro

        INIT
        PM_INIT

        SETDESC S_CONF, 0xF0000, 0xFFFF, 0x409F
        SETGATE GDT_BASE+S_CG3, SEL_CODE32, cg_handler, 0xEC, 3
        SETGATE GDT_BASE+S_CG0, SEL_CODE32, cg0_handler, 0x8C
        SETGATE GDT_BASE+S_CGC, S_CONF, conf_fn, 0xEC
        SETGATE GDT_BASE+S_CGCC, S_CONF, conf_cli, 0xEC
        SETGATE GDT_BASE+S_CGNP, SEL_CODE32, cg_handler, 0x6C
        SETDESC S_SS0, 0, 0xFFFFF, 0xC093
        SETDESC S_SE, 0, 0xFFFFF, 0xC09B
        SETDESC S_SE+8, 0, 0xFFFFF, 0xC093
        SETDESC S_SE+16, 0, 0xFFFFF, 0xC0FB
        SETDESC S_SE+24, 0, 0xFFFFF, 0xC0F3
        SETIDT 0x40, SEL_CODE32, exc_stubs+0x40*12, 0xEE   ; int gate DPL3
        SETIDT 0x41, SEL_CODE32, exc_stubs+0x41*12, 0xEF   ; trap gate DPL3
        mov dword [TSS_BASE+4], ESP0
        mov dword [TSS_BASE+8], S_SS0

; ------------------------------------------------------------ IRETD to ring 3
        CLEAR_T
        mov ax, SEL_DATA_R3
        mov es, ax                      ; DPL3: kept
        mov ax, S_CONF
        mov fs, ax                      ; conforming code: kept
        mov ax, SEL_CODE32
        mov gs, ax                      ; DPL0 code: nulled
        ; DS = SEL_DATA (DPL0): nulled
        mov [R3_RET_ESP], esp
        push dword SEL_DATA_R3
        push dword R3_STACK_TOP-0x10
        push dword 0x0002
        push dword SEL_CODE32_R3
        push dword .iret3
        iretd
.iret3: mov [es:T+0x00], esp
        mov [es:T+0x04], ss
        mov [es:T+0x08], cs
        mov [es:T+0x0C], ds
        mov [es:T+0x10], es
        mov [es:T+0x14], fs
        mov [es:T+0x18], gs
        RING0
        CHK32 [T+0x00], R3_STACK_TOP-0x10, "iret_r3_esp_popped"
        CHK16 [T+0x04], SEL_DATA_R3, "iret_r3_ss_popped"
        CHK16 [T+0x08], SEL_CODE32_R3, "iret_r3_cs"
        CHK16 [T+0x0C], 0, "iret_r3_ds_dpl0_nulled"
        CHK16 [T+0x10], SEL_DATA_R3, "iret_r3_es_dpl3_kept"
        CHK16 [T+0x14], S_CONF, "iret_r3_fs_conforming_kept"
        CHK16 [T+0x18], 0, "iret_r3_gs_dpl0_code_nulled"
        ; IRETD to ring 3 with an SS whose RPL differs from the new CPL
        TRY
        push dword SEL_DATA
        push dword R3_STACK_TOP
        push dword 0x0002
        push dword SEL_CODE32_R3
        push dword .iretbad
.iretbad_at:
        iretd
.iretbad:
        RING0
        CATCH 13, SEL_DATA, "iret_r3_ss_rpl0"
        CHK32 [EXC_EIP], .iretbad_at-$$, "iret_r3_ss_rpl0_eip"
        ; same-privilege IRETD pops only EIP, CS, EFLAGS
        mov ebx, esp
        pushfd
        push dword SEL_CODE32
        push dword .iret0
        iretd
.iret0: sub ebx, esp
        CHK32 ebx, 0, "iret_same_level_pops_12"

; ------------------------------------------------------------ RETF to ring 3
        CLEAR_T
        mov ax, SEL_DATA_R3
        mov fs, ax
        mov [R3_RET_ESP], esp
        push dword SEL_DATA_R3
        push dword R3_STACK_TOP-0x20
        push dword SEL_CODE32_R3
        push dword .retf3
        retf
.retf3: mov [fs:T+0x00], esp
        mov [fs:T+0x04], ss
        mov [fs:T+0x08], cs
        mov [fs:T+0x0C], ds
        mov [fs:T+0x10], es
        RING0
        CHK32 [T+0x00], R3_STACK_TOP-0x20, "retf_r3_esp_popped"
        CHK16 [T+0x04], SEL_DATA_R3, "retf_r3_ss_popped"
        CHK16 [T+0x08], SEL_CODE32_R3, "retf_r3_cs"
        CHK16 [T+0x0C], 0, "retf_r3_ds_nulled"
        CHK16 [T+0x10], 0, "retf_r3_es_nulled"
        ; RETF 8: releases 8 bytes on the inner and on the outer stack
        CLEAR_T
        mov ax, SEL_DATA_R3
        mov fs, ax
        mov [R3_RET_ESP], esp
        push dword SEL_DATA_R3
        push dword R3_STACK_TOP-0x20
        push dword 0xAAAAAAAA
        push dword 0xBBBBBBBB
        push dword SEL_CODE32_R3
        push dword .retf8
        retf 8
.retf8: mov [fs:T+0x00], esp
        RING0
        CHK32 [T+0x00], R3_STACK_TOP-0x20+8, "retf8_r3_outer_esp"

; ------------------------------------------------------------ interrupt / trap gates from ring 3
        TRY
        RING3 IFL|0x0002
        stc
        push dword NTF|IFL|CF|0x0002    ; NT is not IOPL-sensitive
        popfd
        int 0x40
.ig:    RING0
        CATCH 0x40, 0, "intgate_r3"
        CHK32 [EXC_EIP], .ig-$$, "intgate_r3_eip"
        CHK32 [EXC_CS], SEL_CODE32_R3, "intgate_r3_cs"
        CHK32 [EXC_EFL], NTF|IFL|CF|0x0002, "intgate_r3_eflags"
        CHK32 [EXC_ESP], R3_STACK_TOP, "intgate_r3_esp"
        CHK32 [EXC_SS], SEL_DATA_R3, "intgate_r3_ss"
        CHK32 [EXC_HSS], S_SS0, "intgate_r3_ss0_from_tss"
        CHK32 [EXC_FRAME], ESP0-20, "intgate_r3_esp0_from_tss"
        mov eax, [EXC_INEFL]
        and eax, IFL|NTF|TFL
        CHK32 eax, 0, "intgate_r3_if_nt_cleared"
        TRY
        RING3 IFL|0x0002
        int 0x41
.tg:    RING0
        CATCH 0x41, 0, "trapgate_r3"
        CHK32 [EXC_EIP], .tg-$$, "trapgate_r3_eip"
        CHK32 [EXC_ESP], R3_STACK_TOP, "trapgate_r3_esp"
        CHK32 [EXC_FRAME], ESP0-20, "trapgate_r3_esp0_from_tss"
        mov eax, [EXC_INEFL]
        and eax, IFL
        CHK32 eax, IFL, "trapgate_r3_if_kept"
        cli
        ; at ring 0 (no stack switch, the frame is 3 dwords)
        TRY
        push dword IFL|0x0002
        popfd
        int 0x40
        CATCH 0x40, 0, "intgate_r0"
        CHK32 [EXC_SS], -1, "intgate_r0_no_stack_switch"
        CHK32 [EXC_FRAME], STACK_TOP-12, "intgate_r0_frame_on_current_stack"
        mov eax, [EXC_INEFL]
        and eax, IFL
        CHK32 eax, 0, "intgate_r0_if_cleared"
        TRY
        push dword IFL|0x0002
        popfd
        int 0x41
        CATCH 0x41, 0, "trapgate_r0"
        mov eax, [EXC_INEFL]
        and eax, IFL
        CHK32 eax, IFL, "trapgate_r0_if_kept"
        cli
        ; returning from a ring-3 interrupt with IRETD (handler IRET mode)
        mov dword [EXC_RESUME], 1
        mov dword [EXC_COUNT], 0
        CLEAR_T
        RING3
        mov eax, 0x12345678
        int 0x40
        mov [es:T+0x00], esp
        mov [es:T+0x04], eax
        mov [es:T+0x08], ss
        RING0
        mov dword [EXC_RESUME], 0
        CHK32 [EXC_COUNT], 1, "intgate_iret_back_count"
        CHK32 [T+0x00], R3_STACK_TOP, "intgate_iret_back_esp"
        CHK32 [T+0x04], 0x12345678, "intgate_iret_back_eax"
        CHK16 [T+0x08], SEL_DATA_R3, "intgate_iret_back_ss"

; ------------------------------------------------------------ INT n through DPL0 gates from ring 3
        TRY
        RING3
.i42:   int 0x42
        RING0
        CATCH 13, 0x42*8+2, "int_dpl0_gate_from_r3"
        CHK32 [EXC_EIP], .i42-$$, "int_dpl0_gate_from_r3_eip"
        TRY
        RING3
.i3:    int3
        RING0
        CATCH 13, 3*8+2, "int3_dpl0_gate_from_r3"
        CHK32 [EXC_EIP], .i3-$$, "int3_dpl0_gate_from_r3_eip"
        TRY
        RING3
        mov al, 0x7F
        add al, 1                       ; OF=1
.io:    into
        RING0
        CATCH 13, 4*8+2, "into_dpl0_gate_from_r3"
        CHK32 [EXC_EIP], .io-$$, "into_dpl0_gate_from_r3_eip"
        TRY
        RING3
.ud:    ud2                             ; exceptions ignore the gate DPL
        RING0
        CATCH 6, 0, "ud_from_r3_dpl0_gate"
        CHK32 [EXC_EIP], .ud-$$, "ud_from_r3_dpl0_gate_eip"
        CHK32 [EXC_SS], SEL_DATA_R3, "ud_from_r3_stack_switch"

; ------------------------------------------------------------ call gates
        ; ring 3 -> ring 0 with 3 parameters
        CLEAR_T
        TRY
        RING3
        push dword 0x33333333
        push dword 0x22222222
        push dword 0x11111111
.cg:    call S_CG3:0xDEAD               ; the offset is ignored
.cgret: mov [es:T+0x40], esp
        mov [es:T+0x44], ds
        mov [es:T+0x48], gs
        mov [es:T+0x4C], cs
        RING0
        NOFAULT "callgate_r3_to_r0"
        CHK32 [T+0x00], ESP0-28, "callgate_inner_esp"
        CHK32 [T+0x04], .cgret-$$, "callgate_frame_eip"
        CHK16 [T+0x08], SEL_CODE32_R3, "callgate_frame_cs"
        CHK32 [T+0x0C], 0x11111111, "callgate_param_1"
        CHK32 [T+0x10], 0x22222222, "callgate_param_2"
        CHK32 [T+0x14], 0x33333333, "callgate_param_3"
        CHK32 [T+0x18], R3_STACK_TOP-12, "callgate_frame_outer_esp"
        CHK16 [T+0x1C], SEL_DATA_R3, "callgate_frame_outer_ss"
        CHK16 [T+0x20], SEL_CODE32, "callgate_handler_cs"
        CHK16 [T+0x24], S_SS0, "callgate_handler_ss0"
        CHK32 [T+0x40], R3_STACK_TOP, "callgate_retf12_outer_esp"
        CHK16 [T+0x44], 0, "callgate_retf_ds_nulled"
        CHK16 [T+0x48], 0, "callgate_retf_gs_nulled"
        CHK16 [T+0x4C], SEL_CODE32_R3, "callgate_retf_cs"
        ; same privilege: no stack switch
        CLEAR_T
        mov ebx, esp
        call S_CG0:0
        sub ebx, esp
        CHK32 ebx, 0, "callgate_r0_balanced"
        CHK32 [T+0x00], STACK_TOP-8, "callgate_r0_no_stack_switch"
        CHK16 [T+0x04], SEL_CODE32, "callgate_r0_pushed_cs"
        TRY
        RING3
.cg0:   call S_CG0:0
        RING0
        CATCH 13, S_CG0, "callgate_dpl0_from_r3"
        CHK32 [EXC_EIP], .cg0-$$, "callgate_dpl0_from_r3_eip"
        TRY
        call (S_CG0|3):0
        CATCH 13, S_CG0, "callgate_rpl3_dpl0"
        TRY
        RING3
        call S_CGNP:0
        RING0
        CATCH 11, S_CGNP, "callgate_not_present"
        TRY
        RING3
        jmp S_CG3:0                     ; JMP cannot change CPL
        RING0
        CATCH 13, SEL_CODE32, "jmp_callgate_to_inner_ring"
        ; call gate to conforming code: no privilege change
        CLEAR_T
        TRY
        RING3
        call S_CGC:0
        RING0
        NOFAULT "callgate_to_conforming"
        CHK32 [T+0x04], R3_STACK_TOP-8, "callgate_conforming_no_stack_switch"
        CHK16 [T+0x08], SEL_DATA_R3, "callgate_conforming_ss"
%ifdef SDM_EXTRA
        ; SDM CALL, SAME-PRIVILEGE: CS(RPL) <- CPL, CPL unchanged.  QEMU
        ; (helper_lcall_protected) loads CPL with the conforming segment's
        ; DPL instead, so there the code runs at CPL0 with CS RPL 0.
        CHK16 [T+0x00], S_CONF|3, "callgate_conforming_cs_rpl3"
        TRY
        RING3
        call S_CGCC:0
        RING0
        CATCH 13, 0, "callgate_conforming_cli_at_cpl3"
%endif

; ------------------------------------------------------------ conforming code
        CLEAR_T
        TRY
        RING3
        call S_CONF:conf_fn
        RING0
        NOFAULT "call_conforming_from_r3"
        CHK16 [T+0x00], S_CONF|3, "conforming_cpl_stays_3"
        CHK32 [T+0x04], R3_STACK_TOP-8, "conforming_no_stack_switch"
        TRY
        RING3
        call S_CONF:conf_cli
        RING0
        CATCH 13, 0, "conforming_cli_at_cpl3"
        CHK16 [EXC_CS], S_CONF|3, "conforming_cli_at_cpl3_cs"
        CHK32 [EXC_EIP], conf_cli-$$, "conforming_cli_at_cpl3_eip"
        TRY
        RING3
        call SEL_CODE32:conf_fn         ; non-conforming DPL0: no
        RING0
        CATCH 13, SEL_CODE32, "call_nonconforming_r0_from_r3"

; ------------------------------------------------------------ IOPL
        TRY
        RING3
.cli:   cli
        RING0
        CATCH 13, 0, "cli_cpl3_iopl0"
        CHK32 [EXC_EIP], .cli-$$, "cli_cpl3_iopl0_eip"
        TRY
        RING3
        sti
        RING0
        CATCH 13, 0, "sti_cpl3_iopl0"
        TRY
        RING3 IOPL3|0x0002
        cli
        sti
        cli
        RING0
        NOFAULT "cli_sti_cpl3_iopl3"
        push dword 2
        popfd
        ; POPF at CPL3 with IOPL0: IF and IOPL silently unchanged
        CLEAR_T
        TRY
        RING3
        push dword IOPL3|IFL|CF|0x0002
        popfd
        pushfd
        pop dword [es:T]
        RING0
        NOFAULT "popf_cpl3_iopl0"
        CHK32 [T], CF|0x0002, "popf_cpl3_iopl0_keeps_if_iopl"
        ; POPF at CPL3 with IOPL3: IF changes, IOPL does not
        TRY
        RING3 IOPL3|0x0002
        push dword IFL|0x0002
        popfd
        pushfd
        pop dword [es:T]
        cli
        RING0
        NOFAULT "popf_cpl3_iopl3"
        CHK32 [T], IOPL3|IFL|0x0002, "popf_cpl3_iopl3_sets_if_keeps_iopl"
        push dword 2
        popfd
        ; IRETD at CPL3 (same level): same rules as POPF
        TRY
        RING3
        push dword IOPL3|IFL|0x0002
        push dword SEL_CODE32_R3
        push dword .iret33
        iretd
.iret33:
        pushfd
        pop dword [es:T]
        RING0
        NOFAULT "iret_cpl3_iopl0"
        CHK32 [T], 0x0002, "iret_cpl3_keeps_if_iopl"
        ; POPF at CPL0 changes IOPL
        push dword IOPL3|0x0002
        popfd
        pushfd
        pop eax
        CHK32 eax, IOPL3|0x0002, "popf_cpl0_sets_iopl"
        push dword 2
        popfd

; ------------------------------------------------------------ I/O permission bitmap
        ; the main TSS bitmap covers ports 0-FFh (all denied); allow 80h
        and byte [TSS_BASE+TSS_IOMAP+0x80/8], ~1
        TRY
        RING3
        out 0x80, al
        in al, 0x80
        mov dx, 0x80
        out dx, al
        mov esi, T
        outsb
        RING0
        NOFAULT "io_bitmap_port80_allowed"
        TRY
        RING3
.in81:  in al, 0x81
        RING0
        CATCH 13, 0, "io_bitmap_port81_denied"
        CHK32 [EXC_EIP], .in81-$$, "io_bitmap_port81_denied_eip"
        TRY
        RING3
        in ax, 0x80                     ; ports 80h and 81h
        RING0
        CATCH 13, 0, "io_bitmap_word_spanning_denied"
        TRY
        RING3
        mov dx, 0x7F
        in al, dx
        RING0
        CATCH 13, 0, "io_bitmap_port7f_denied"
        TRY
        RING3
        mov dx, 0x3F8                   ; bitmap byte beyond the TSS limit
        in al, dx
        RING0
        CATCH 13, 0, "io_port_beyond_tss_limit"
        TRY
        RING3 IOPL3|0x0002
        in al, 0x81
        mov dx, 0x3F9
        in al, dx
        RING0
        NOFAULT "io_iopl3_ignores_bitmap"
        push dword 2
        popfd
        and byte [TSS_BASE+TSS_IOMAP+0x81/8], ~2
        TRY
        RING3
        in ax, 0x80
        RING0
        NOFAULT "io_bitmap_word_both_allowed"
        TRY
        in al, 0x81                     ; CPL0 <= IOPL0: no bitmap check
        NOFAULT "io_cpl0"

; ------------------------------------------------------------ privileged instructions at ring 3
        PRIV3 {lgdt [es:T]}, "lgdt_cpl3"
        PRIV3 {lidt [es:T]}, "lidt_cpl3"
        PRIV3 {lldt ax}, "lldt_cpl3"
        PRIV3 {ltr ax}, "ltr_cpl3"
        PRIV3 {mov eax, cr0}, "mov_from_cr0_cpl3"
        PRIV3 {mov cr0, eax}, "mov_to_cr0_cpl3"
        PRIV3 {mov eax, cr3}, "mov_from_cr3_cpl3"
        PRIV3 {mov cr4, eax}, "mov_to_cr4_cpl3"
        PRIV3 {mov eax, dr7}, "mov_from_dr7_cpl3"
        PRIV3 {mov dr0, eax}, "mov_to_dr0_cpl3"
        PRIV3 {clts}, "clts_cpl3"
        PRIV3 {lmsw ax}, "lmsw_cpl3"
        PRIV3 {invlpg [es:T]}, "invlpg_cpl3"
        PRIV3 {wbinvd}, "wbinvd_cpl3"
        PRIV3 {invd}, "invd_cpl3"
        mov ecx, 0x10
        PRIV3 {rdmsr}, "rdmsr_cpl3"
        PRIV3 {wrmsr}, "wrmsr_cpl3"
        TRY
        RING3
        rdtsc
        cpuid
        RING0
        NOFAULT "rdtsc_cpuid_cpl3"
        mov eax, cr4
        or eax, 4                       ; TSD
        mov cr4, eax
        PRIV3 {rdtsc}, "rdtsc_cpl3_tsd"
        TRY
        rdtsc
        NOFAULT "rdtsc_cpl0_tsd"
        mov eax, cr4
        and eax, ~4
        mov cr4, eax

; ------------------------------------------------------------ SYSENTER / SYSEXIT
        mov eax, 1
        cpuid
        and edx, 1 << 11
        CHK32 edx, 1 << 11, "cpuid_sep"
        xor edx, edx
        mov ecx, 0x174
        mov eax, S_SE
        wrmsr
        mov ecx, 0x175
        mov eax, 0x6400
        wrmsr
        mov ecx, 0x176
        mov eax, 0xF0000+se_target
        wrmsr
        mov ecx, 0x175
        mov edx, 0xFFFFFFFF
        rdmsr
        CHK32 eax, 0x6400, "rdmsr_sysenter_esp"
        CHK32 edx, 0, "rdmsr_sysenter_esp_high"
        mov ecx, 0x174
        rdmsr
        CHK32 eax, S_SE, "rdmsr_sysenter_cs"
        ; SYSENTER from ring 3
        CLEAR_T
        TRY
        RING3 IFL|0x0002
        mov dword [es:T+0x20], 0x1234
        sysenter
        ; not reached: se_target continues at se_back (ring 0)
        RING0
se_back:
        NOFAULT "sysenter"
        CHK16 [T+0x00], S_SE, "sysenter_cs"
        CHK16 [T+0x04], S_SE+8, "sysenter_ss"
        CHK32 [T+0x08], 0x6400, "sysenter_esp"
        mov eax, [T+0x0C]
        and eax, IFL|VMF|RFF
        CHK32 eax, 0, "sysenter_clears_if"
        CHK32 [T+0x20], 0x1234, "sysenter_ring3_ran"
        ; SYSEXIT to ring 3
        CLEAR_T
        TRY
        mov [R3_RET_ESP], esp
        mov ecx, R3_STACK_TOP-0x30
        mov edx, 0xF0000+sx_target
        sysexit
sx_r3:  RING0
        NOFAULT "sysexit"
        CHK16 [T+0x00], S_SE+16+3, "sysexit_cs"
        CHK16 [T+0x04], S_SE+24+3, "sysexit_ss"
        CHK32 [T+0x08], R3_STACK_TOP-0x30, "sysexit_esp_from_ecx"
        TRY
        RING3
.sx3:   sysexit
        RING0
        CATCH 13, 0, "sysexit_cpl3"
        CHK32 [EXC_EIP], .sx3-$$, "sysexit_cpl3_eip"
        xor eax, eax
        xor edx, edx
        mov ecx, 0x174
        wrmsr                           ; SYSENTER_CS = 0
        TRY
        RING3
        sysenter
        RING0
        CATCH 13, 0, "sysenter_cs_msr_zero"
        TRY
        mov ecx, R3_STACK_TOP
        mov edx, 0xF0000+sx_target
        sysexit
        CATCH 13, 0, "sysexit_cs_msr_zero"

; ------------------------------------------------------------ HLT at ring 3 (last: a
; missing fault would halt the machine with IF=0)
        PRIV3 {hlt}, "hlt_cpl3"
        PM_FINISH

; ------------------------------------------------------------ out-of-line code
cg_handler:                             ; ring 0 via S_CG3, 3 parameters
        mov [ss:T+0x00], esp
        mov eax, [esp]
        mov [ss:T+0x04], eax
        mov eax, [esp+4]
        mov [ss:T+0x08], eax
        mov eax, [esp+8]
        mov [ss:T+0x0C], eax
        mov eax, [esp+12]
        mov [ss:T+0x10], eax
        mov eax, [esp+16]
        mov [ss:T+0x14], eax
        mov eax, [esp+20]
        mov [ss:T+0x18], eax
        mov eax, [esp+24]
        mov [ss:T+0x1C], eax
        mov [ss:T+0x20], cs
        mov [ss:T+0x24], ss
        mov ax, SEL_DATA                ; DPL0 selectors: nulled by RETF
        mov ds, ax
        mov gs, ax
        retf 12

cg0_handler:                            ; ring 0 via S_CG0 from ring 0
        mov [T+0x00], esp
        mov eax, [esp+4]
        mov [T+0x04], ax
        retf

conf_fn:                                ; conforming, called from ring 3
        mov [es:T+0x00], cs
        mov [es:T+0x04], esp
        mov [es:T+0x08], ss
        retf
conf_cli:
        cli
        retf

se_target:                              ; SYSENTER: CS base 0, EIP linear
        mov [ss:T+0x00], cs
        mov [ss:T+0x04], ss
        mov [ss:T+0x08], esp
        pushfd
        pop dword [ss:T+0x0C]
        jmp SEL_CODE32:se_back

sx_target:                              ; SYSEXIT: CPL3, CS base 0
        mov [ss:T+0x00], cs
        mov [ss:T+0x04], ss
        mov [ss:T+0x08], esp
        jmp SEL_CODE32_R3:sx_r3

        PM_ROM_END
