; v86.asm - virtual-8086 mode: IRETD at CPL0 with EFLAGS.VM in the frame
; (CS:IP, SS:SP and ES/DS/FS/GS popped), real-mode style code in V86 (the
; ROM runs as F000:IP, segment arithmetic, far CALL/RETF, PUSHF/PUSHFD
; images without VM), IOPL=3 letting CLI/STI/PUSHF/POPF/INT n through (POPF
; cannot change IOPL), the ring-0 frame of an interrupt from V86 (GS, FS,
; DS, ES, SS, ESP, EFLAGS with VM, CS, EIP, taken on TSS.SS0:ESP0) with the
; data segment registers null in the handler, IRETD back to V86 with a
; handler-modified frame, the IOPL-sensitive instructions faulting with
; #GP(0) at IOPL<3 (CLI, STI, PUSHF(D), POPF(D), INT n, IRET) while INT3
; goes through the IDT, privileged instructions (#GP(0)) and protected-mode-
; only instructions (#UD) in V86, gate checks for INT n from V86 (gate DPL,
; handler DPL must be 0), I/O in V86 checked against the TSS bitmap even at
; IOPL=3, a #GP monitor skipping sensitive instructions and returning to V86
; with IRETD, and VM never being set by POPFD at CPL0 or by IRETD at CPL3.
; Expected values from the Intel SDM vol. 3 chapter 20 and the vol. 2
; IRET/INT/PUSHF/POPF pages.  VME is not used (the i686 model does not
; report it).
%include "pm.inc"

V86_SP  equ 0x5C00      ; V86 stack 0000:5C00
T       equ T_SCRATCH
MON_EXIT equ T+0x7C

; V86_ENTER ip, eflags: IRETD into V86 at F000:ip with SS:SP = 0:V86_SP and
; all data segments 0.
%macro V86_ENTER 2
        push dword 0                    ; GS
        push dword 0                    ; FS
        push dword 0                    ; DS
        push dword 0                    ; ES
        push dword 0                    ; SS
        push dword V86_SP               ; ESP
        push dword VMF|(%2)|0x0002      ; EFLAGS
        push dword ROMSEG               ; CS
        push dword %1                   ; EIP
        iretd
%endmacro

; V86FAULT ip, iopl, vector, errcode, name: the V86 code at ip faults at
; its first instruction
%macro V86FAULT 5
        TRY
        V86_ENTER %1, %2
        CATCH %3, %4, %5
        CHK32 [EXC_EIP], %1-$$, %5, "_eip"
        CHK32 [EXC_CS], ROMSEG, %5, "_cs"
%endmacro

        INIT
        PM_INIT
        SETIDT 3, SEL_CODE32, exc_stubs+3*12, 0xEE              ; DPL3
        SETIDT 0x40, SEL_CODE32, exc_stubs+0x40*12, 0xEE        ; DPL3
        SETIDT 0x41, SEL_CODE32, v86_int41, 0xEE                ; DPL3
        SETIDT 0x43, SEL_CODE32_R3, exc_stubs+0x43*12, 0xEE     ; DPL3 code
        and byte [TSS_BASE+TSS_IOMAP+0x80/8], ~1                ; port 80h

; ------------------------------------------------------------ IRETD into V86, IOPL 3
        mov dword [0x3110], 0
        TRY
        V86_ENTER v86_a, IOPL3
        CATCH 3, 0, "v86_a_int3_exit"
        CHK32 [EXC_EIP], v86_a_end-$$, "v86_a_int3_eip"
        CHK16 [T+0x00], ROMSEG, "v86_cs_popped"
        CHK16 [T+0x02], 0, "v86_ss_popped"
        CHK16 [T+0x04], V86_SP, "v86_sp_popped"
        mov ax, [T+0x06]
        and ax, 0x3000
        CHK16 ax, 0x3000, "v86_pushf_iopl3"
        mov eax, [T+0x08]
        and eax, VMF|RFF
        CHK32 eax, 0, "v86_pushfd_vm_rf_clear"
        CHK16 [T+0x0C], 0xBEEF, "v86_segment_arithmetic"
        CHK16 [0x3110], 0xBEEF, "v86_segment_linear_address"
        CHK16 [T+0x0E], 0x7777, "v86_far_call"
        CHK16 [T+0x10], 0, "v86_iopl3_cli"
        CHK16 [T+0x12], IFL, "v86_iopl3_sti"
        mov ax, [T+0x14]
        and ax, 0x3000
        CHK16 ax, 0x3000, "v86_popf_keeps_iopl"
        CHK16 [T+0x16], 0x5A5A, "v86_ds_reads_segment_base"

; ------------------------------------------------------------ interrupt frame from V86
        TRY
        V86_ENTER v86_b, IOPL3
        CATCH 0x40, 0, "v86_int40"
        CHK32 [EXC_EIP], v86_b_after-$$, "v86_frame_eip"
        CHK32 [EXC_CS], ROMSEG, "v86_frame_cs"
        CHK32 [EXC_EFL], VMF|IOPL3|CF|0x0002, "v86_frame_eflags_vm"
        CHK32 [EXC_ESP], 0x0800, "v86_frame_esp"
        CHK32 [EXC_SS], 0x0500, "v86_frame_ss"
        CHK32 [EXC_VES], 0x0022, "v86_frame_es"
        CHK32 [EXC_VDS], 0x0011, "v86_frame_ds"
        CHK32 [EXC_VFS], 0x0033, "v86_frame_fs"
        CHK32 [EXC_VGS], 0x0044, "v86_frame_gs"
        CHK32 [EXC_FRAME], R0_INT_STACK-36, "v86_frame_on_esp0"
        CHK32 [EXC_HSS], SEL_DATA, "v86_handler_ss0"
        CHK32 [EXC_DS], 0, "v86_handler_ds_null"
        CHK32 [EXC_ES], 0, "v86_handler_es_null"
        CHK32 [EXC_FS], 0, "v86_handler_fs_null"
        CHK32 [EXC_GS], 0, "v86_handler_gs_null"
        mov eax, [EXC_INEFL]
        and eax, VMF|IFL|TFL|NTF
        CHK32 eax, 0, "v86_handler_vm_if_tf_nt_clear"
        ; an error-code exception from V86: the same frame plus the code
        TRY
        V86_ENTER v86_cli, 0
        CATCH 13, 0, "v86_gp_frame"
        CHK32 [EXC_FRAME], R0_INT_STACK-36, "v86_gp_frame_on_esp0"
        CHK32 [EXC_ESP], V86_SP, "v86_gp_frame_esp"

; ------------------------------------------------------------ IRETD back to V86
        mov dword [T+0x30], 0
        TRY
        V86_ENTER v86_c, IOPL3
        CATCH 3, 0, "v86_iret_back_exit"
        CHK32 [T+0x30], 1, "v86_int41_handler_ran"
        mov eax, [T+0x34]
        and eax, VMF
        CHK32 eax, VMF, "v86_int41_frame_vm"
        CHK16 [T+0x20], 0x0123, "v86_iret_loads_ds_from_frame"
        CHK16 [T+0x22], 0x4141, "v86_iret_back_ax"
        CHK16 [T+0x24], 0x0456, "v86_iret_loads_fs_from_frame"

; ------------------------------------------------------------ IOPL-sensitive instructions at IOPL 0
        V86FAULT v86_cli, 0, 13, 0, "v86_cli_iopl0"
        V86FAULT v86_sti, 0, 13, 0, "v86_sti_iopl0"
        V86FAULT v86_pushf, 0, 13, 0, "v86_pushf_iopl0"
        V86FAULT v86_popf, 0, 13, 0, "v86_popf_iopl0"
        V86FAULT v86_pushfd, 0, 13, 0, "v86_pushfd_iopl0"
        V86FAULT v86_popfd, 0, 13, 0, "v86_popfd_iopl0"
        V86FAULT v86_int40, 0, 13, 0, "v86_int_n_iopl0"
        V86FAULT v86_iret, 0, 13, 0, "v86_iret_iopl0"
        V86FAULT v86_iret, 0x1000, 13, 0, "v86_iret_iopl1"
        V86FAULT v86_cli, 0x2000, 13, 0, "v86_cli_iopl2"
        TRY
        V86_ENTER v86_int3, 0           ; INT3 is not IOPL-sensitive
        CATCH 3, 0, "v86_int3_iopl0_through_idt"
        CHK32 [EXC_EIP], v86_int3+1-$$, "v86_int3_iopl0_eip"
        ; gate checks for INT n at IOPL 3
        V86FAULT v86_int42, IOPL3, 13, 0x42*8+2, "v86_int_dpl0_gate"
        V86FAULT v86_int43, IOPL3, 13, SEL_CODE32_R3 & 0xFFFC, "v86_int_handler_dpl3"
        ; privileged and protected-mode-only instructions
        V86FAULT v86_hlt, IOPL3, 13, 0, "v86_hlt"
        V86FAULT v86_movcr, IOPL3, 13, 0, "v86_mov_cr0"
        V86FAULT v86_lgdt, IOPL3, 13, 0, "v86_lgdt"
        V86FAULT v86_lar, IOPL3, 6, 0, "v86_lar_ud"
        V86FAULT v86_lsl, IOPL3, 6, 0, "v86_lsl_ud"
        V86FAULT v86_verr, IOPL3, 6, 0, "v86_verr_ud"
        V86FAULT v86_arpl, IOPL3, 6, 0, "v86_arpl_ud"
        V86FAULT v86_sldt, IOPL3, 6, 0, "v86_sldt_ud"
        V86FAULT v86_str, IOPL3, 6, 0, "v86_str_ud"
        V86FAULT v86_lldt, IOPL3, 6, 0, "v86_lldt_ud"
        V86FAULT v86_ltr, IOPL3, 6, 0, "v86_ltr_ud"

; ------------------------------------------------------------ I/O from V86
        TRY
        V86_ENTER v86_io_ok, 0
        CATCH 3, 0, "v86_io_bitmap_allowed_iopl0"
        CHK32 [EXC_EIP], v86_io_ok_end-$$, "v86_io_bitmap_allowed_eip"
        V86FAULT v86_in81, 0, 13, 0, "v86_io_bitmap_denied_iopl0"
        V86FAULT v86_in81, IOPL3, 13, 0, "v86_io_bitmap_denied_iopl3"
        V86FAULT v86_inw80, IOPL3, 13, 0, "v86_io_bitmap_word_spanning"

; ------------------------------------------------------------ a #GP monitor
        ; each #GP skips the 1-byte sensitive instruction and IRETDs back to
        ; V86; the INT3 at the end switches to recovery
        mov dword [T+0x44], 0
        mov word [T+0x40], 0
        TRY
        mov eax, [EXC_RESUME]
        mov [MON_EXIT], eax
        mov dword [EXC_RESUME], 1
        mov dword [EXC_HOOK], mon_hook
        V86_ENTER v86_mon, 0
        ENDTRY
        mov dword [EXC_HOOK], 0
        CHK32 [EXC_COUNT], 5, "v86_monitor_event_count"
        CHK32 [EXC_VEC], 3, "v86_monitor_last_vector"
        CHK32 [T+0x44], 4, "v86_monitor_gp_count"
        CHK16 [T+0x40], 0x6666, "v86_monitor_code_continued"
        CHK32 [T+0x48], v86_mon-$$, "v86_monitor_gp_1_eip"
        CHK32 [T+0x54], v86_mon+3-$$, "v86_monitor_gp_4_eip"
        CHK32 [EXC_ESP], V86_SP, "v86_monitor_sp_balanced"

; ------------------------------------------------------------ VM is only set by IRETD at CPL0
        TRY
        push dword VMF|0x0002
        popfd
        lar eax, ax                     ; #UD if this were V86
        pushfd
        pop eax
        NOFAULT "popfd_cpl0_cannot_set_vm"
%ifdef SDM_EXTRA
        ; SDM IRET: only CPL0 returns to V86 (tempEFLAGS(VM) = 1 and CPL = 0);
        ; QEMU (helper_ret_protected) enters V86 from any CPL.
        TRY
        RING3
        push dword VMF|0x0002           ; same-level IRETD: VM not loaded
        push dword SEL_CODE32_R3
        push dword .r3
        iretd
.r3:    lar eax, ax
        RING0
        NOFAULT "iretd_cpl3_cannot_set_vm"
%endif
        PM_FINISH

; ------------------------------------------------------------ PM helpers
v86_int41:                              ; INT 41h from V86, IRETD back
        inc dword [ss:T+0x30]
        mov eax, [esp+8]
        mov [ss:T+0x34], eax
        mov dword [esp+24], 0x0123      ; DS image
        mov dword [esp+28], 0x0456      ; FS image
        mov eax, 0x4141
        iretd

mon_hook:                               ; EBP -> exc_common frame
        cmp dword [EXC_VEC], 13
        jne .exit
        mov eax, [T+0x44]
        mov ecx, [ebp+EXF_EIP]
        mov [T+0x48+eax*4], ecx
        inc dword [T+0x44]
        inc dword [ebp+EXF_EIP]
        ret
.exit:  mov eax, [MON_EXIT]
        mov [EXC_RESUME], eax
        ret

; ------------------------------------------------------------ V86 code (CS = F000)
        bits 16
v86_a:
        mov [T+0x00], cs
        mov [T+0x02], ss
        mov [T+0x04], sp
        pushf
        pop word [T+0x06]
        pushfd
        pop dword [T+0x08]
        mov ax, 0x0310
        mov es, ax
        mov word [es:0x10], 0xBEEF
        mov bx, 0x0300
        mov ds, bx
        mov ax, [0x0110]
        xor bx, bx
        mov ds, bx
        mov [T+0x0C], ax
        call ROMSEG:v86_far
        cli
        pushf
        pop ax
        and ax, IFL
        mov [T+0x10], ax
        sti
        pushf
        pop ax
        and ax, IFL
        mov [T+0x12], ax
        cli
        push word 0x0002                ; IOPL 0 in the image
        popf
        pushf
        pop word [T+0x14]
        mov word [0x3000], 0x5A5A       ; DS=0300h -> linear 3000h+offset 0
        mov ax, 0x0300
        mov ds, ax
        mov ax, [0]
        xor bx, bx
        mov ds, bx
        mov [T+0x16], ax
        int3
v86_a_end:
v86_far:
        mov word [T+0x0E], 0x7777
        retf

v86_b:
        mov ax, 0x0022
        mov es, ax
        mov ax, 0x0011
        mov ds, ax
        mov ax, 0x0033
        mov fs, ax
        mov ax, 0x0044
        mov gs, ax
        mov ax, 0x0500
        mov ss, ax
        mov sp, 0x0800
        stc
        int 0x40
v86_b_after:
        int3

v86_c:
        xor ax, ax
        mov es, ax
        mov ax, 0x1234
        int 0x41
        mov bx, ds
        mov [es:T+0x20], bx
        mov [es:T+0x22], ax
        mov bx, fs
        mov [es:T+0x24], bx
        int3

v86_cli:        cli
                int3
v86_sti:        sti
                int3
v86_pushf:      pushf
                int3
v86_popf:       popf
                int3
v86_pushfd:     pushfd
                int3
v86_popfd:      popfd
                int3
v86_int40:      int 0x40
                int3
v86_iret:       iret
                int3
v86_int3:       int3
                int3
v86_int42:      int 0x42
                int3
v86_int43:      int 0x43
                int3
v86_hlt:        hlt
                int3
v86_movcr:      mov eax, cr0
                int3
v86_lgdt:       lgdt [T]
                int3
v86_lar:        lar ax, bx
                int3
v86_lsl:        lsl ax, bx
                int3
v86_verr:       verr ax
                int3
v86_arpl:       arpl ax, bx
                int3
v86_sldt:       sldt ax
                int3
v86_str:        str ax
                int3
v86_lldt:       lldt ax
                int3
v86_ltr:        ltr ax
                int3
v86_io_ok:      out 0x80, al
                in al, 0x80
                mov dx, 0x80
                out dx, al
                int3
v86_io_ok_end:
v86_in81:       in al, 0x81
                int3
v86_inw80:      in ax, 0x80
                int3

v86_mon:
        cli                             ; each one: #GP, skipped
        sti
        pushf
        popf
        mov word [T+0x40], 0x6666
        int3
        bits 32

        PM_ROM_END
