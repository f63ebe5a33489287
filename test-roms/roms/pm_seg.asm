; pm_seg.asm - protected-mode segmentation: entering protected mode (LGDT,
; CR0.PE, far JMP), 32- and 16-bit code segments (default operand size,
; far CALL/RETF between them, SS.B selecting SP or ESP), data and stack
; segment loads with every check and its exception and error code (null,
; beyond the GDT limit, execute-only code, system descriptors, DPL/RPL/CPL,
; conforming code, not present, the SS rules), CS loads by far JMP, limit
; checks through DS and SS, byte- and page-granular limits, expand-down
; segments with B=0 and B=1, read-only data, execute-only code read through
; CS, writes through CS, the accessed bit, the LDT (LLDT, TI=1 selectors,
; LDT limit), LAR/LSL/VERR/VERW/ARPL with ZF, SGDT/SIDT/SLDT/STR/SMSW,
; LMSW/CLTS, and finally the return to real mode (CR0.PE cleared) with real
; mode working again (segment arithmetic, an INT through the IVT).
;
; Expected values come from the Intel SDM (vol. 2 instruction pages and
; vol. 3 chapters 3, 5 and 6): a selector error code is the selector with
; its RPL bits cleared (bits 0-1 are EXT/IDT, both 0 here).
%include "pm.inc"

; test descriptors (GDT)
S_XO    equ 0x48        ; 32-bit code, execute-only, base F0000, limit FFFF
S_D3    equ 0x50        ; data DPL3, flat
S_D1    equ 0x58        ; data DPL1, flat
S_NP    equ 0x60        ; data DPL0, not present
S_RO    equ 0x68        ; data read-only, base 3000h, limit FFFh
S_LIM   equ 0x70        ; data r/w, base 3000h, limit FFFh (byte granular)
S_LIMG  equ 0x78        ; data r/w, base 3000h, limit 0 with G=1 (= FFFh)
S_ED16  equ 0x80        ; data expand-down r/w, base 3000h, limit FFFh, B=0
S_ED32  equ 0x88        ; data expand-down r/w, base 3000h, limit FFFh, B=1
S_SSNP  equ 0x90        ; data r/w DPL0 not present
S_CONF  equ 0x98        ; 32-bit code conforming readable DPL0
S_LDT   equ 0xA0        ; LDT, base LDT_BASE, limit 17h (3 entries)
S_NA    equ 0xA8        ; data r/w flat with the accessed bit clear
S_CNP   equ 0xB0        ; 32-bit code, not present
S_C3    equ 0xB8        ; 32-bit code non-conforming DPL3
S_IG    equ 0xC0        ; a 32-bit interrupt gate (in the GDT)
S_ED3   equ 0xC8        ; data expand-down r/w DPL3, base 3000h, limit FFFh, B=1
; test descriptors (LDT): index 1 data r/w base 3000h limit FFFFh,
; index 2 data DPL3 flat
L_DATA  equ 0x0C
L_D3    equ 0x14
L_BEYOND equ 0x1C       ; index 3: beyond the LDT limit

BUF     equ 0x3000      ; base of the small segments

; SEGFAULT sreg, selector, vector, errcode, name: loading the selector
; faults at the MOV.
%macro SEGFAULT 5
        TRY
        mov ax, %2
%%at:   mov %1, ax
        CATCH %3, %4, %5
        CHK32 [EXC_EIP], %%at-$$, %5, "_eip"
%endmacro
; SEGOK sreg, selector, name: the load succeeds.
%macro SEGOK 3
        TRY
        mov ax, %2
        mov %1, ax
        mov bx, %1
        NOFAULT %3
        CHK16 bx, %2, %3, "_value"
%endmacro
; LARCHK selector, expected_zf (1/0), expected_value, name (value & 00F0FF00h;
; when ZF=0 the destination must be unchanged)
%macro LARCHK 4
        mov eax, 0x5A5A5A5A
        mov bx, %1
        lar eax, bx
        CHKF ZF, (%2)*ZF, %4, "_zf"
  %if %2
        and eax, 0x00F0FF00
  %endif
        CHK32 eax, %3, %4
%endmacro
%macro LSLCHK 4
        mov eax, 0x5A5A5A5A
        mov bx, %1
        lsl eax, bx
        CHKF ZF, (%2)*ZF, %4, "_zf"
        CHK32 eax, %3, %4
%endmacro
%macro VERCHK 4         ; verr/verw, selector, expected zf, name
        mov bx, %2
        %1 bx
        CHKF ZF, (%3)*ZF, %4
%endmacro

        INIT
        PM_INIT

; ------------------------------------------------------------ in protected mode
        mov eax, cr0
        and eax, 1
        CHK32 eax, 1, "cr0_pe_set"
        CHK16 cs, SEL_CODE32, "cs_is_code32"
        CHK16 ds, SEL_DATA, "ds_is_data"
        call .here
.here:  pop eax
        CHK32 eax, .here-$$, "cs_base_f0000_offsets"
        mov eax, [cs:gdt_template+8]        ; readable code: CS override read
        CHK32 eax, 0x0000FFFF, "cs_read_readable_code"
        mov ebx, esp
        push eax
        sub ebx, esp
        pop eax
        CHK32 ebx, 4, "code32_push_is_4_bytes"

; ------------------------------------------------------------ descriptors
        SETDESC S_XO,   0xF0000, 0xFFFF, 0x4099
        SETDESC S_D3,   0, 0xFFFFF, 0xC0F3
        SETDESC S_D1,   0, 0xFFFFF, 0xC0B3
        SETDESC S_NP,   0, 0xFFFFF, 0xC013
        SETDESC S_RO,   BUF, 0xFFF, 0x4091
        SETDESC S_LIM,  BUF, 0xFFF, 0x4093
        SETDESC S_LIMG, BUF, 0, 0xC093
        SETDESC S_ED16, BUF, 0xFFF, 0x0097
        SETDESC S_ED32, BUF, 0xFFF, 0x4097
        SETDESC S_SSNP, 0, 0xFFFFF, 0xC013
        SETDESC S_CONF, 0xF0000, 0xFFFF, 0x409F
        SETDESC S_LDT,  LDT_BASE, 0x17, 0x0082
        SETDESC S_NA,   0, 0xFFFFF, 0xC092
        SETDESC S_CNP,  0xF0000, 0xFFFF, 0x401B
        SETDESC S_C3,   0xF0000, 0xFFFF, 0x40FB
        SETDESC S_ED3,  BUF, 0xFFF, 0x40F7
        SETGATE GDT_BASE+S_IG, SEL_CODE32, exc_stubs, 0x8E
        ; LDT: null, data r/w base BUF limit FFFFh, data DPL3 flat
        mov dword [LDT_BASE], 0
        mov dword [LDT_BASE+4], 0
        SETDESC L_DATA, BUF, 0xFFFF, 0x4093
        SETDESC L_D3, 0, 0xFFFFF, 0xC0F3
        ; buffer contents: dword at BUF+i = i*4 pattern for the first 4 KiB
        mov edi, BUF
        xor eax, eax
.fill:  mov [edi], eax
        add eax, 0x04040404
        add edi, 4
        cmp edi, BUF+0x1000
        jb .fill

; ------------------------------------------------------------ 16-bit code
        mov eax, 0xAAAA5555
        xor ecx, ecx
        xor edx, edx
        mov ebx, esp
        call SEL_CODE16:code16_fn
.ret16: sub ebx, esp
        CHK32 ebx, 0, "far_call_retf_o32_balanced"
        CHK32 eax, 0xAAAA1234, "code16_b8_is_mov_ax_imm16"
        CHK32 ecx, 2, "code16_push_ax_is_2_bytes"
        CHK16 dx, SEL_CODE32, "code16_sees_pushed_cs"
        CHK32 esi, .ret16-$$, "code16_sees_pushed_eip"
        ; far JMP into 16-bit code and back
        jmp SEL_CODE16:code16_jmp
code16_back:
        CHK32 edi, 0x00000011, "jmp_to_code16_and_back"
        ; SS.B = 0: pushes use SP, the high half of ESP is kept
        mov ax, SEL_DATA16
        mov ss, ax
        mov esp, 0xABCD6800
        push dword 0x11223344
        mov ebx, esp
        mov ax, SEL_DATA
        mov ss, ax
        mov esp, STACK_TOP
        CHK32 ebx, 0xABCD67FC, "ss_b0_push_uses_sp"
        CHK32 [0x67FC], 0x11223344, "ss_b0_push_writes_ss_sp"

; ------------------------------------------------------------ data segment loads
        ; LDTR after reset is selector 0 with base 0 and limit FFFFh (SDM
        ; vol. 3 table 10-1), i.e. usable; LLDT with a null selector makes
        ; it invalid, so TI=1 selectors fault until the LLDT further down.
        xor eax, eax
        lldt ax
        ; null selector: loading is fine, using it is #GP(0)
        TRY
        xor eax, eax
        mov es, ax
        mov ax, 3                   ; null with RPL 3
        mov fs, ax
        mov bx, es
        mov cx, fs
        NOFAULT "null_selector_loads"
        CHK16 bx, 0, "null_es_value"
        CHK16 cx, 3, "null_rpl3_fs_value"
%ifdef SDM_EXTRA
        TRY
        xor eax, eax
        mov es, ax
.nulluse:
        mov eax, [es:BUF]
        CATCH 13, 0, "null_es_use"
        CHK32 [EXC_EIP], .nulluse-$$, "null_es_use_eip"
        TRY
        mov ax, 3
        mov fs, ax
        mov dword [fs:BUF], eax
        CATCH 13, 0, "null_rpl3_fs_write"
%endif
        ; selector checks, in the SDM's order
        SEGFAULT ds, GDT_SLOTS*8, 13, GDT_SLOTS*8, "ds_beyond_gdt_limit"
        SEGFAULT ds, GDT_SLOTS*8+3, 13, GDT_SLOTS*8, "ds_beyond_gdt_limit_rpl3"
        SEGFAULT es, (GDT_SLOTS-1)*8, 13, (GDT_SLOTS-1)*8, "es_zero_descriptor"
        SEGFAULT ds, S_XO, 13, S_XO, "ds_execute_only_code"
        SEGFAULT ds, SEL_TSS, 13, SEL_TSS, "ds_tss_descriptor"
        SEGFAULT gs, S_LDT, 13, S_LDT, "gs_ldt_descriptor"
        SEGFAULT ds, S_IG, 13, S_IG, "ds_interrupt_gate"
        SEGFAULT ds, SEL_DATA|3, 13, SEL_DATA, "ds_rpl3_dpl0"
        SEGFAULT es, S_D1|2, 13, S_D1, "es_rpl2_dpl1"
        SEGFAULT ds, S_NP, 11, S_NP, "ds_not_present"
        SEGFAULT fs, S_NP|3, 13, S_NP, "fs_not_present_rpl3_gp_first"
        SEGFAULT ds, L_DATA, 13, L_DATA, "ds_ti1_null_ldtr"
        SEGOK es, S_D1|1, "es_rpl1_dpl1"
        SEGOK es, S_D3, "es_rpl0_dpl3"
        SEGOK fs, S_D3|3, "fs_rpl3_dpl3"
        SEGOK gs, SEL_CODE32, "gs_readable_code"
        SEGOK es, S_CONF|3, "es_conforming_code_rpl3"
        ; the accessed bit is set by a load
        mov al, [GDT_BASE+S_NA+5]
        CHK8 al, 0x92, "accessed_clear_before"
        mov ax, S_NA
        mov es, ax
        mov al, [GDT_BASE+S_NA+5]
        CHK8 al, 0x93, "accessed_set_by_es_load"
        ; loaded segments read through their base
        mov ax, S_LIM
        mov es, ax
        mov eax, [es:0x10]
        CHK32 eax, 0x04040404*4, "es_base_3000_read"
        mov ax, SEL_CODE32
        mov gs, ax
        mov eax, [gs:gdt_template+8]
        CHK32 eax, 0x0000FFFF, "gs_readable_code_read"

; ------------------------------------------------------------ ring 3 data loads
        TRY
        RING3
.r3a:   mov ax, SEL_DATA|3
        mov ds, ax
        RING0
        CATCH 13, SEL_DATA, "r3_ds_dpl0_data"
        CHK16 [EXC_CS], SEL_CODE32_R3, "r3_ds_dpl0_data_cs"
        TRY
        RING3
        mov ax, S_D1|3
        mov es, ax
        RING0
        CATCH 13, S_D1, "r3_es_dpl1_data"
        TRY
        RING3
        mov ax, S_CONF|3                ; conforming code: no privilege check
        mov ds, ax
        mov eax, [ds:gdt_template+8]
        mov [es:T_SCRATCH], eax
        RING0
        NOFAULT "r3_ds_conforming_code"
        CHK32 [T_SCRATCH], 0x0000FFFF, "r3_ds_conforming_code_read"
        TRY
        RING3
        mov ax, SEL_CODE32|3            ; non-conforming DPL0 code
        mov ds, ax
        RING0
        CATCH 13, SEL_CODE32, "r3_ds_nonconforming_code"
        TRY
        RING3
        mov ax, L_D3|3                  ; (LDTR is null here)
        mov ds, ax
        RING0
        CATCH 13, L_D3, "r3_ds_ldt_null_ldtr"

; ------------------------------------------------------------ SS loads
        SEGFAULT ss, 0, 13, 0, "ss_null"
        SEGFAULT ss, 3, 13, 0, "ss_null_rpl3"
        SEGFAULT ss, SEL_DATA|3, 13, SEL_DATA, "ss_rpl_ne_cpl"
        SEGFAULT ss, S_D3, 13, S_D3, "ss_dpl_ne_cpl"
        SEGFAULT ss, S_RO, 13, S_RO, "ss_read_only"
        SEGFAULT ss, SEL_CODE32, 13, SEL_CODE32, "ss_code"
        SEGFAULT ss, S_XO, 13, S_XO, "ss_execute_only_code"
        SEGFAULT ss, S_SSNP, 12, S_SSNP, "ss_not_present"
        SEGFAULT ss, GDT_SLOTS*8, 13, GDT_SLOTS*8, "ss_beyond_gdt_limit"

; ------------------------------------------------------------ CS loads (far JMP)
        TRY
.jd:    jmp SEL_DATA:0
        CATCH 13, SEL_DATA, "jmp_far_data_segment"
        CHK32 [EXC_EIP], .jd-$$, "jmp_far_data_segment_eip"
        TRY
        jmp 0:0
        CATCH 13, 0, "jmp_far_null"
        TRY
        jmp S_CNP:0
        CATCH 11, S_CNP, "jmp_far_not_present"
        TRY
        jmp S_C3:0
        CATCH 13, S_C3, "jmp_far_dpl3_nonconforming"
        TRY
        jmp (SEL_CODE32|3):0
        CATCH 13, SEL_CODE32, "jmp_far_rpl3_nonconforming"
        TRY
        jmp S_LDT:0
        CATCH 13, S_LDT, "jmp_far_ldt_descriptor"
        TRY
.jl:    jmp SEL_CODE32:0x10000
        CATCH 13, 0, "jmp_far_past_cs_limit"
        CHK32 [EXC_EIP], .jl-$$, "jmp_far_past_cs_limit_eip"
        CHK16 [EXC_CS], SEL_CODE32, "jmp_far_past_cs_limit_cs"
        ; a conforming segment keeps CPL (RPL of CS stays 0)
        TRY
        jmp (S_CONF|3):.inconf
.inconf:
        mov bx, cs
        jmp SEL_CODE32:.outconf
.outconf:
        NOFAULT "jmp_far_conforming"
        CHK16 bx, S_CONF, "jmp_far_conforming_cs_rpl_is_cpl"

; ------------------------------------------------------------ limits, expand-down, read-only
; Only the accesses inside the limits run by default: QEMU (TCG) does not
; check segment limits and access rights on data accesses ("The x86 segment
; limits and access rights are not tested at every memory access", QEMU's
; implementation notes), so every check that an access faults for limit,
; expand-down, read-only, execute-only or null-selector reasons would fail
; under QEMU although the SDM requires it.  They are assembled only with
; -DSDM_EXTRA (see pm.inc) and were verified with Bochs.
        TRY
        mov ax, S_LIM
        mov ds, ax
        mov al, [0xFFF]
        mov ebx, [0xFFC]
        NOFAULT "limit_fff_last_byte_and_dword"
        CHK32 ebx, 0x04040404*0x3FF, "limit_fff_last_dword_value"
        TRY
        mov ax, S_LIMG
        mov ds, ax
        mov al, [0xFFF]
        NOFAULT "limit_g1_last_byte"
        TRY
        mov ax, S_LIM
        mov ss, ax
        mov esp, 0x800
        push dword 0x12345678
        mov ebx, [ss:0x7FC]
        mov eax, [ds:0x1000]            ; DS (flat): no fault
        mov ebp, 0x1000
        mov eax, [ds:ebp]               ; DS override of an EBP base
        NOFAULT "ss_small_segment"
        CHK32 ebx, 0x12345678, "ss_small_segment_push"
        CHK32 [BUF+0x7FC], 0x12345678, "ss_small_segment_base"
        TRY
        mov ax, S_ED16
        mov ds, ax
        mov al, [0x1000]
        mov al, [0xFFFF]
        mov bx, [0xFFFE]
        NOFAULT "expdown_b0_valid_range"
        TRY
        mov ax, S_ED32
        mov ds, ax
        mov al, [0x1000]
        mov al, [0x10000]
        mov ebx, [0xFFFFFFFC]           ; linear 3000h + FFFFFFFCh = 2FFCh
        NOFAULT "expdown_b1_valid_range"
        mov dword [0x2FFC], 0x600DF00D
        mov ax, S_ED32
        mov es, ax
        mov eax, [es:0xFFFFFFFC]
        CHK32 eax, 0x600DF00D, "expdown_b1_base_plus_offset_wraps"
        mov dword [BUF+0x1000], 0x0FF51000
        mov eax, [es:0x1000]
        CHK32 eax, 0x0FF51000, "expdown_b1_offset_1000"
        TRY
        mov ax, S_ED32
        mov ss, ax
        mov esp, 0x2000
        push dword 0x0BADCAFE
        NOFAULT "expdown_ss_push_in_range"
        CHK32 [BUF+0x1FFC], 0x0BADCAFE, "expdown_ss_push_in_range_value"
        LSLCHK S_ED16, 1, 0xFFF, "lsl_expdown_limit_field"
        TRY
        mov ax, S_RO
        mov ds, ax
        mov eax, [0x10]
        NOFAULT "read_only_data_read"
        CHK32 eax, 0x04040404*4, "read_only_data_read_value"
        mov dword [T_SCRATCH], 0
        TRY
        jmp S_XO:xo_code
xo_back:
        mov dword [T_SCRATCH+4], 0x1111
        NOFAULT "execute_only_code_runs"
        CHK32 [T_SCRATCH], 0x5A5A, "execute_only_code_ds_write"
        CHK32 [T_SCRATCH+4], 0x1111, "execute_only_code_jumped_back"

%ifdef SDM_EXTRA
        TRY
        mov ax, S_LIM
        mov ds, ax
.l1:    mov eax, [0xFFD]
        CATCH 13, 0, "limit_dword_crossing"
        CHK32 [EXC_EIP], .l1-$$, "limit_dword_crossing_eip"
        TRY
        mov ax, S_LIM
        mov ds, ax
        mov al, [0x1000]
        CATCH 13, 0, "limit_byte_past"
        TRY
        mov ax, S_LIM
        mov es, ax
        mov edi, 0x1000
        stosb
        CATCH 13, 0, "limit_stosb_past"
        TRY
        mov ax, S_LIMG
        mov ds, ax
        mov al, [0x1000]
        CATCH 13, 0, "limit_g1_byte_past"
        ; through SS: #SS(0), the fault frame is pushed on the same stack
        TRY
        mov ax, S_LIM
        mov ss, ax
        mov esp, 0x800
        mov ebp, 0xFFE
.l2:    mov eax, [ebp]
        CATCH 12, 0, "limit_ss_ebp_dword_crossing"
        CHK32 [EXC_EIP], .l2-$$, "limit_ss_ebp_eip"
        CHK32 [BUF+0x800-12], .l2-$$, "limit_ss_frame_on_faulting_stack"
        TRY
        mov ax, S_LIM
        mov ss, ax
        mov esp, 0x800
        mov eax, [esp+0x800]
        CATCH 12, 0, "limit_ss_esp_past"
        ; expand-down
        TRY
        mov ax, S_ED16
        mov ds, ax
        mov al, [0xFFF]
        CATCH 13, 0, "expdown_b0_at_limit"
        TRY
        mov ax, S_ED16
        mov ds, ax
        mov ax, [0xFFFF]
        CATCH 13, 0, "expdown_b0_word_past_ffff"
        TRY
        mov ax, S_ED16
        mov ds, ax
        mov al, [0x10000]
        CATCH 13, 0, "expdown_b0_10000"
        TRY
        mov ax, S_ED16
        mov ds, ax
        mov eax, [0xFFE]
        CATCH 13, 0, "expdown_b0_dword_into_range"
        TRY
        mov ax, S_ED32
        mov ds, ax
        mov al, [0xFFF]
        CATCH 13, 0, "expdown_b1_at_limit"
        TRY
        mov ax, S_ED32
        mov ds, ax
        mov al, [0]
        CATCH 13, 0, "expdown_b1_zero"
        TRY
        mov ax, S_ED32
        mov ss, ax
        mov esp, 0x2000
        mov ebp, 0x800
        mov eax, [ebp]
        CATCH 12, 0, "expdown_ss_below_range"
        ; a push leaving the valid range: done at CPL3 so that the #SS frame
        ; goes to the ring-0 stack (at CPL0 it would fault again: #DF)
        TRY
        RING3
        mov ax, S_ED3|3
        mov ss, ax
        mov esp, 0x1002
.edp:   push dword 1                    ; would write 0FFEh-1001h
        RING0
        CATCH 12, 0, "expdown_ss_push_below_range_r3"
        CHK32 [EXC_EIP], .edp-$$, "expdown_ss_push_below_range_r3_eip"
        CHK32 [EXC_ESP], 0x1002, "expdown_ss_push_below_range_r3_esp_kept"
        CHK32 [EXC_SS], S_ED3|3, "expdown_ss_push_below_range_r3_ss"
        ; read-only data, code segments
        TRY
        mov ax, S_RO
        mov ds, ax
.ro:    mov [0x10], eax
        CATCH 13, 0, "read_only_data_write"
        CHK32 [EXC_EIP], .ro-$$, "read_only_data_write_eip"
        TRY
        mov ax, S_RO
        mov ds, ax
        inc byte [0x20]
        CATCH 13, 0, "read_only_data_rmw"
        CHK32 [BUF+0x20], 0x04040404*8, "read_only_data_rmw_unchanged"
        TRY
.cw:    mov [cs:T_SCRATCH], eax
        CATCH 13, 0, "code_segment_write_via_cs"
        CHK32 [EXC_EIP], .cw-$$, "code_segment_write_via_cs_eip"
        TRY
        jmp S_XO:xo_code_read
        CATCH 13, 0, "execute_only_read_via_cs"
        CHK32 [EXC_EIP], xo_code_read-$$, "execute_only_read_via_cs_eip"
        CHK16 [EXC_CS], S_XO, "execute_only_read_via_cs_cs"
%endif

; ------------------------------------------------------------ LDT
        TRY
        mov ax, L_DATA
        mov es, ax
        CATCH 13, L_DATA, "ldt_selector_before_lldt"
        mov ax, S_LDT
        lldt ax
        sldt bx
        CHK16 bx, S_LDT, "sldt_after_lldt"
        mov ax, L_DATA
        mov es, ax
        mov dword [es:0x10], 0xCAFEBABE
        CHK32 [BUF+0x10], 0xCAFEBABE, "ldt_data_segment_base"
        mov ax, L_D3|3
        mov fs, ax
        mov eax, [fs:BUF+0x10]
        CHK32 eax, 0xCAFEBABE, "ldt_dpl3_segment"
        SEGFAULT es, L_BEYOND, 13, L_BEYOND, "ldt_selector_beyond_ldt_limit"
        SEGFAULT es, L_BEYOND|3, 13, L_BEYOND, "ldt_selector_beyond_ldt_limit_rpl3"
        SEGFAULT ss, L_D3, 13, L_D3, "ldt_ss_dpl3_at_cpl0"
        SEGFAULT ds, 0x04, 13, 0x04, "ldt_null_slot_ti1"
        TRY
        mov ax, SEL_DATA
        lldt ax
        CATCH 13, SEL_DATA, "lldt_data_descriptor"
        TRY
        mov ax, L_DATA
        lldt ax
        CATCH 13, L_DATA, "lldt_ti1_selector"
        TRY
        mov ax, SEL_TSS
        lldt ax
        CATCH 13, SEL_TSS, "lldt_tss_descriptor"
        sldt bx
        CHK16 bx, S_LDT, "sldt_unchanged_after_failed_lldt"
        TRY
        RING3
        mov ax, S_LDT
        lldt ax
        RING0
        CATCH 13, 0, "lldt_at_cpl3"
        mov ax, L_DATA
        mov es, ax                      ; segment loaded from the LDT stays
        xor eax, eax
        lldt ax                         ; null LDTR is allowed
        mov eax, [es:0x10]
        CHK32 eax, 0xCAFEBABE, "es_cache_survives_lldt_null"
        sldt bx
        CHK16 bx, 0, "sldt_null"
        SEGFAULT fs, L_DATA, 13, L_DATA, "ldt_selector_null_ldtr"
        mov ax, S_LDT
        lldt ax

; ------------------------------------------------------------ LAR / LSL / VERR / VERW / ARPL
        LARCHK SEL_DATA, 1, 0x00C09300, "lar_data_flat"
        LARCHK SEL_CODE32, 1, 0x00409B00, "lar_code32"
        LARCHK SEL_CODE16, 1, 0x00009B00, "lar_code16"
        LARCHK S_ED32, 1, 0x00409700, "lar_expand_down_b1"
        LARCHK SEL_TSS, 1, 0x00008B00, "lar_busy_tss"
        LARCHK S_LDT, 1, 0x00008200, "lar_ldt"
        LARCHK SEL_GATE_R0, 1, 0x0000EC00, "lar_call_gate_dpl3"
        LARCHK S_NP, 1, 0x00C01300, "lar_not_present_data"
        LARCHK S_CONF|3, 1, 0x00409F00, "lar_conforming_rpl3"
        LARCHK L_DATA, 1, 0x00409300, "lar_ldt_selector"
        LARCHK S_IG, 0, 0x5A5A5A5A, "lar_interrupt_gate_invalid"
        LARCHK 0, 0, 0x5A5A5A5A, "lar_null"
        LARCHK GDT_SLOTS*8, 0, 0x5A5A5A5A, "lar_beyond_gdt"
        LARCHK S_D1|2, 0, 0x5A5A5A5A, "lar_rpl2_dpl1"
        LARCHK (GDT_SLOTS-1)*8, 0, 0x5A5A5A5A, "lar_zero_descriptor"
        mov ax, 0x5A5A
        mov bx, SEL_DATA
        lar ax, bx                      ; 16-bit: access byte in AH, AL = 0
        CHK16 ax, 0x9300, "lar16_data"
        LSLCHK SEL_DATA, 1, 0xFFFFFFFF, "lsl_flat_g1"
        LSLCHK S_LIM, 1, 0xFFF, "lsl_byte_granular"
        LSLCHK S_LIMG, 1, 0xFFF, "lsl_g1_limit0"
        LSLCHK SEL_TSS, 1, TSS_LIMIT, "lsl_tss"
        LSLCHK S_LDT, 1, 0x17, "lsl_ldt"
        LSLCHK S_CONF|3, 1, 0xFFFF, "lsl_conforming_rpl3"
        LSLCHK SEL_GATE_R0, 0, 0x5A5A5A5A, "lsl_call_gate_invalid"
        LSLCHK S_IG, 0, 0x5A5A5A5A, "lsl_interrupt_gate_invalid"
        LSLCHK 0, 0, 0x5A5A5A5A, "lsl_null"
        LSLCHK SEL_DATA|3, 0, 0x5A5A5A5A, "lsl_rpl3_dpl0"
        mov ax, 0x5A5A
        mov bx, S_LIMG
        lsl ax, bx
        CHK16 ax, 0x0FFF, "lsl16_limit"
        VERCHK verr, SEL_CODE32, 1, "verr_readable_code"
        VERCHK verr, S_XO, 0, "verr_execute_only"
        VERCHK verr, SEL_DATA, 1, "verr_data"
        VERCHK verr, S_RO, 1, "verr_read_only_data"
        VERCHK verr, S_NP, 1, "verr_not_present_data"
        VERCHK verr, 0, 0, "verr_null"
        VERCHK verr, SEL_TSS, 0, "verr_tss"
        VERCHK verr, S_D1|2, 0, "verr_rpl2_dpl1"
        VERCHK verr, S_CONF|3, 1, "verr_conforming_rpl3"
        VERCHK verr, SEL_CODE32|3, 0, "verr_nonconforming_rpl3"
        VERCHK verr, GDT_SLOTS*8, 0, "verr_beyond_gdt"
        VERCHK verw, SEL_DATA, 1, "verw_data"
        VERCHK verw, S_RO, 0, "verw_read_only"
        VERCHK verw, SEL_CODE32, 0, "verw_code"
        VERCHK verw, S_D3|3, 1, "verw_dpl3_rpl3"
        VERCHK verw, S_D1|3, 0, "verw_rpl3_dpl1"
        VERCHK verw, L_DATA, 1, "verw_ldt_data"
        VERCHK verw, 0, 0, "verw_null"
        TRY
        mov ax, SEL_DATA
        mov ds, ax
        RING3
        mov bx, S_D1
        verr bx
        setz byte [T_SCRATCH]
        mov bx, S_D3
        verr bx
        setz byte [T_SCRATCH+1]
        mov bx, S_CONF
        verr bx
        setz byte [T_SCRATCH+2]
        RING0
        NOFAULT "verr_at_cpl3"
        CHK8 [T_SCRATCH], 0, "verr_cpl3_dpl1"
        CHK8 [T_SCRATCH+1], 1, "verr_cpl3_dpl3"
        CHK8 [T_SCRATCH+2], 1, "verr_cpl3_conforming"
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        CHKF ZF, ZF, "arpl_raise_zf"
        CHK16 ax, 0x0013, "arpl_raise"
        mov ax, 0x0013
        mov bx, 0x0001
        arpl ax, bx
        CHKF ZF, 0, "arpl_keep_zf"
        CHK16 ax, 0x0013, "arpl_keep"
        mov ax, 0xFFFA
        mov bx, 0x1232
        arpl ax, bx
        CHK16 ax, 0xFFFA, "arpl_equal"
        CHKF ZF, 0, "arpl_equal_zf"
        mov word [T_SCRATCH], 0x0029
        mov cx, 0x0002
        arpl [T_SCRATCH], cx
        CHKF ZF, ZF, "arpl_mem_zf"
        CHK16 [T_SCRATCH], 0x002A, "arpl_mem"

; ------------------------------------------------------------ system registers
        mov dword [T_SCRATCH], 0xFFFFFFFF
        mov dword [T_SCRATCH+4], 0xFFFFFFFF
        sgdt [T_SCRATCH]
        CHK16 [T_SCRATCH], GDT_LIMIT, "sgdt_limit"
        CHK32 [T_SCRATCH+2], GDT_BASE, "sgdt_base"
        sidt [T_SCRATCH]
        CHK16 [T_SCRATCH], 0x7FF, "sidt_limit"
        CHK32 [T_SCRATCH+2], IDT_BASE, "sidt_base"
        mov eax, 0xFFFFFFFF
        str eax
        CHK32 eax, SEL_TSS, "str_r32_zero_extended"
        mov word [T_SCRATCH], 0xFFFF
        str [T_SCRATCH]
        CHK16 [T_SCRATCH], SEL_TSS, "str_m16"
        mov eax, 0xFFFFFFFF
        sldt eax
        CHK32 eax, S_LDT, "sldt_r32_zero_extended"
        mov eax, 0xFFFFFFFF
        smsw ax
        CHK16 ax, 0x0011, "smsw_pe_et"
        smsw [T_SCRATCH]
        CHK16 [T_SCRATCH], 0x0011, "smsw_m16"
        mov ax, 0x0009                  ; PE | TS
        lmsw ax
        mov eax, cr0
        and eax, 0x1F
        CHK32 eax, 0x19, "lmsw_sets_ts"
        clts
        mov eax, cr0
        and eax, 0x1F
        CHK32 eax, 0x11, "clts_clears_ts"
        mov word [T_SCRATCH], 0x000E    ; PE=0: LMSW cannot clear PE
        lmsw [T_SCRATCH]
        mov eax, cr0
        and eax, 0x1F
        CHK32 eax, 0x1F, "lmsw_cannot_clear_pe"
        mov ax, 0x0001
        lmsw ax
        mov eax, cr0
        and eax, 0x1F
        CHK32 eax, 0x11, "lmsw_clears_mp_em_ts"
        TRY
        RING3
        smsw ax                         ; allowed at CPL3 (no CR4.UMIP)
        mov [T_SCRATCH], ax
        RING0
        NOFAULT "smsw_at_cpl3"
        CHK16 [T_SCRATCH], 0x0011, "smsw_at_cpl3_value"
        TRY
        RING3
        mov ax, 1
        lmsw ax
        RING0
        CATCH 13, 0, "lmsw_at_cpl3"
        TRY
        RING3
        clts
        RING0
        CATCH 13, 0, "clts_at_cpl3"

; ------------------------------------------------------------ back to real mode
        jmp SEL_CODE16:to_real16

; ------------------------------------------------------------ out-of-line code
xo_code:                                ; in S_XO (execute-only)
        mov dword [T_SCRATCH], 0x5A5A   ; DS write from execute-only code
        jmp SEL_CODE32:xo_back
xo_code_read:
        mov eax, [cs:xo_code]           ; #GP(0)
        jmp SEL_CODE32:xo_back          ; (wrong: go back anyway)

        bits 16
code16_fn:                              ; far-called from 32-bit code
        db 0xB8, 0x34, 0x12             ; mov ax, 1234h (16-bit operand)
        mov ecx, esp
        push ax
        sub ecx, esp
        pop ax
        mov edx, [esp+4]                ; pushed CS (32-bit frame)
        mov esi, [esp]                  ; pushed EIP
        o32 retf
code16_jmp:
        mov edi, 0x11
        jmp dword SEL_CODE32:code16_back

to_real16:
        mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        jmp ROMSEG:.real
.real:  xor ax, ax
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, STACK_TOP
        lidt [cs:rm_idtr]
        smsw ax
        and ax, 1
        CHECK16 ax, 0, "real_mode_pe_clear"
        CHECK16 cs, ROMSEG, "real_mode_cs"
        mov ax, 0x0310                  ; segment arithmetic: 3100h + 10h
        mov es, ax
        mov dword [es:0x10], 0x12345678
        CHECK32 [0x3110], 0x12345678, "real_mode_segment_arithmetic"
        SETVEC 0x40, rm_int40
        mov word [T_SCRATCH], 0
        int 0x40
        CHECK16 [T_SCRATCH], 0x4040, "real_mode_int_through_ivt"
        push ROMSEG
        push .fret
        retf
.fret:  CHECK16 sp, STACK_TOP, "real_mode_retf"
        FINISH

rm_int40:
        mov word [T_SCRATCH], 0x4040
        iret

rm_idtr:
        dw 0x3FF
        dd 0

        ROM_END
