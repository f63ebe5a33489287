; pm_cpuid_msr.asm - the i686 model: CPUID leaf 1 (family 6 and the feature
; bits for what this ROM then uses: FPU, TSC, MSR, CX8, CMOV, MTRR),
; EFLAGS.ID toggling, RDTSC reads close together (RDMSR of the TSC between
; two RDTSCs and WRMSR of the TSC only under SDM_EXTRA), SYSENTER_EIP
; and the MTRR MSRs (variable pair, default type, a fixed range) round trips,
; MTRRcap, RDMSR/WRMSR at CPL3 -> #GP(0), CMOVcc (taken / not taken, 16/32
; bit, memory source), CMPXCHG8B (equal / not equal, register form #UD).
; Expected values from the Intel SDM vol. 2 (CPUID, RDMSR, WRMSR, RDTSC,
; CMOVcc, CMPXCHG8B) and vol. 3 chapter 11 (MTRRs) and vol. 4 (MSR numbers).
;
; qemu-args: -cpu pentium2
%include "pm.inc"

T       equ T_SCRATCH

        INIT
        PM_INIT

; ------------------------------------------------------------ CPUID
        mov eax, 1
        cpuid
        mov esi, eax
        shr esi, 8
        and esi, 0xF
        CHK32 esi, 6, "cpuid1_family_6"
        mov esi, edx
        and esi, 1
        CHK32 esi, 1, "cpuid1_fpu"
        mov esi, edx
        and esi, 1 << 5
        CHK32 esi, 1 << 5, "cpuid1_msr"
        mov esi, edx
        and esi, 1 << 8
        CHK32 esi, 1 << 8, "cpuid1_cx8"
        mov esi, edx
        and esi, 1 << 15
        CHK32 esi, 1 << 15, "cpuid1_cmov"
        mov esi, edx
        and esi, 1 << 12
        CHK32 esi, 1 << 12, "cpuid1_mtrr"
        ; EFLAGS.ID (bit 21) can be set and cleared when CPUID exists
        pushfd
        pop eax
        or eax, IDF
        push eax
        popfd
        pushfd
        pop eax
        and eax, IDF
        CHK32 eax, IDF, "eflags_id_set"
        pushfd
        pop eax
        and eax, ~IDF
        push eax
        popfd
        pushfd
        pop eax
        and eax, IDF
        CHK32 eax, 0, "eflags_id_clear"

; ------------------------------------------------------------ TSC MSR
        ; RDTSC, RDMSR(10h), RDTSC read one counter: t1 <= m <= t2 (64-bit)
        rdtsc
        mov [T+0x20], eax
        mov [T+0x24], edx
        mov ecx, 0x10
        rdmsr
        mov [T+0x28], eax
        mov [T+0x2C], edx
        rdtsc
        mov [T+0x30], eax
        mov [T+0x34], edx
%ifdef SDM_EXTRA
        ; QEMU's TCG returns the last value written to the TSC MSR (0
        ; here) from RDMSR(10h) instead of the counter RDTSC reads
        mov eax, [T+0x28]
        mov edx, [T+0x2C]
        sub eax, [T+0x20]
        sbb edx, [T+0x24]
        setnc al
        CHK8 al, 1, "tsc_msr_not_below_rdtsc_before"
        mov eax, [T+0x30]
        mov edx, [T+0x34]
        sub eax, [T+0x28]
        sbb edx, [T+0x2C]
        setnc al
        CHK8 al, 1, "tsc_msr_not_above_rdtsc_after"
%endif
        ; the three reads are close together: t2 - t1 < 2^24
        mov eax, [T+0x30]
        mov edx, [T+0x34]
        sub eax, [T+0x20]
        sbb edx, [T+0x24]
        shr eax, 24
        or eax, edx
        CHK32 eax, 0, "tsc_reads_close_together"
%ifdef SDM_EXTRA
        ; WRMSR to the TSC sets the counter (SDM vol. 3 17.17; EDX = 0 so
        ; the P6 rule that only the low 32 bits are written does not
        ; matter).  QEMU's TCG ignores the written value.
        mov ecx, 0x10
        xor edx, edx
        mov eax, 0x00000100
        wrmsr
        rdmsr
        CHK32 edx, 0, "tsc_wrmsr_rdmsr_high"
        mov ebx, eax
        sub ebx, 0x100
        shr ebx, 24
        CHK32 ebx, 0, "tsc_wrmsr_rdmsr_low_small_delta"
        mov ecx, 0x10
        xor edx, edx
        mov eax, 0xFFFF0000
        wrmsr
        mov edi, 4000
.spin:  dec edi
        jnz .spin
        rdtsc
        mov esi, 1
        test edx, edx
        jnz .tscok
        cmp eax, 0xFFFF0000
        ja .tscok
        xor esi, esi
.tscok: CHK32 esi, 1, "tsc_after_spin_above_written"
%endif

; ------------------------------------------------------------ SYSENTER_EIP, MTRRs
        mov ecx, 0x176
        xor edx, edx
        mov eax, 0x12345678
        wrmsr
        xor eax, eax
        rdmsr
        CHK32 eax, 0x12345678, "sysenter_eip_roundtrip"
        CHK32 edx, 0, "sysenter_eip_high_zero"
        mov ecx, 0x176
        mov eax, 0xFFFFFFF0
        wrmsr
        rdmsr
        CHK32 eax, 0xFFFFFFF0, "sysenter_eip_roundtrip_2"
        ; MTRRcap: at least one variable range (VCNT, bits 7:0) and
        ; fixed ranges supported (bit 8)
        mov ecx, 0xFE
        rdmsr
        mov ebx, eax
        and ebx, 0x100
        CHK32 ebx, 0x100, "mtrrcap_fix"
        test al, al
        setnz al
        CHK8 al, 1, "mtrrcap_vcnt_nonzero"
        ; variable range 0: base 0x00100000 type WB (6), mask valid
        mov ecx, 0x200
        xor edx, edx
        mov eax, 0x00100006
        wrmsr
        mov ecx, 0x201
        mov edx, 0xF
        mov eax, 0xFFF00800
        wrmsr
        mov ecx, 0x200
        rdmsr
        CHK32 eax, 0x00100006, "mtrr_physbase0_roundtrip"
        mov ecx, 0x201
        rdmsr
        CHK32 eax, 0xFFF00800, "mtrr_physmask0_roundtrip_low"
        CHK32 edx, 0xF, "mtrr_physmask0_roundtrip_high"
        mov ecx, 0x2FF
        xor edx, edx
        mov eax, 0xC06
        wrmsr
        xor eax, eax
        rdmsr
        CHK32 eax, 0xC06, "mtrr_def_type_roundtrip"
        mov ecx, 0x250
        mov edx, 0x06060606
        mov eax, 0x05050404
        wrmsr
        xor eax, eax
        xor edx, edx
        rdmsr
        CHK32 eax, 0x05050404, "mtrr_fix64k_roundtrip_low"
        CHK32 edx, 0x06060606, "mtrr_fix64k_roundtrip_high"
        ; leave the MTRRs disabled again
        mov ecx, 0x2FF
        xor edx, edx
        xor eax, eax
        wrmsr
%ifdef SDM_EXTRA
        ; a reserved bit (bit 12) of IA32_MTRR_DEF_TYPE -> #GP(0); QEMU
        ; stores the value without checking
        TRY
        mov ecx, 0x2FF
        xor edx, edx
        mov eax, 0x1000
        wrmsr
        CATCH 13, 0, "mtrr_def_type_reserved_gp"
%endif

; ------------------------------------------------------------ MSRs at CPL3
        TRY
        RING3
        mov ecx, 0x10
.r3r:   rdmsr
        RING0
        CATCH 13, 0, "rdmsr_cpl3_gp"
        CHK32 [EXC_EIP], .r3r-$$, "rdmsr_cpl3_gp_eip"
        TRY
        RING3
        mov ecx, 0x176
        xor eax, eax
        xor edx, edx
.r3w:   wrmsr
        RING0
        CATCH 13, 0, "wrmsr_cpl3_gp"
        CHK32 [EXC_EIP], .r3w-$$, "wrmsr_cpl3_gp_eip"
        mov ecx, 0x176
        rdmsr
        CHK32 eax, 0xFFFFFFF0, "wrmsr_cpl3_did_not_write"

; ------------------------------------------------------------ CMOVcc
        mov eax, 0x11111111
        mov ebx, 0x22222222
        xor ecx, ecx                    ; ZF=1
        cmovz eax, ebx
        CHK32 eax, 0x22222222, "cmovz_taken"
        mov eax, 0x11111111
        cmovnz eax, ebx
        CHK32 eax, 0x11111111, "cmovnz_not_taken"
        mov eax, 0x11111111
        mov ecx, 1
        cmp ecx, 2                      ; 1 < 2: CF=1, SF=1, OF=0
        cmovl eax, ebx
        CHK32 eax, 0x22222222, "cmovl_taken"
        mov eax, 0x11111111
        cmova eax, ebx
        CHK32 eax, 0x11111111, "cmova_not_taken"
        cmovb eax, ebx
        CHK32 eax, 0x22222222, "cmovb_taken"
        mov eax, 0x11111111
        mov ecx, 0x7FFFFFFF
        add ecx, 1                      ; OF=1, SF=1
        cmovo eax, ebx
        CHK32 eax, 0x22222222, "cmovo_taken"
        mov eax, 0x11111111
        cmovl eax, ebx                  ; SF == OF: not less
        CHK32 eax, 0x11111111, "cmovl_sf_eq_of_not_taken"
        mov eax, 0x11111111
        mov bx, 0xBEEF
        stc
        cmovc ax, bx
        CHK32 eax, 0x1111BEEF, "cmovc16_taken_high_kept"
        mov dword [T], 0xCAFEF00D
        xor ecx, ecx
        cmove eax, [T]
        CHKF ZF, ZF, "cmov_keeps_flags"
        CHK32 eax, 0xCAFEF00D, "cmove_memory_source"

; ------------------------------------------------------------ CMPXCHG8B
        mov dword [T+0x10], 0x89ABCDEF
        mov dword [T+0x14], 0x01234567
        mov eax, 0x89ABCDEF
        mov edx, 0x01234567
        mov ebx, 0x11112222
        mov ecx, 0x33334444
        cmpxchg8b [T+0x10]
        CHKF ZF, ZF, "cmpxchg8b_equal_zf"
        CHK32 [T+0x10], 0x11112222, "cmpxchg8b_equal_stores_ebx"
        CHK32 [T+0x14], 0x33334444, "cmpxchg8b_equal_stores_ecx"
        CHK32 eax, 0x89ABCDEF, "cmpxchg8b_equal_eax_kept"
        mov eax, 0x11112222
        mov edx, 0x99999999             ; high half differs
        mov ebx, 0x55555555
        mov ecx, 0x66666666
        cmpxchg8b [T+0x10]
        CHKF ZF, 0, "cmpxchg8b_unequal_zf"
        CHK32 eax, 0x11112222, "cmpxchg8b_unequal_loads_eax"
        CHK32 edx, 0x33334444, "cmpxchg8b_unequal_loads_edx"
        CHK32 [T+0x10], 0x11112222, "cmpxchg8b_unequal_mem_low_kept"
        CHK32 [T+0x14], 0x33334444, "cmpxchg8b_unequal_mem_high_kept"
        TRY
.c8r:   db 0x0F, 0xC7, 0xC8             ; cmpxchg8b with a register operand
        CATCH 6, 0, "cmpxchg8b_register_ud"
        CHK32 [EXC_EIP], .c8r-$$, "cmpxchg8b_register_ud_eip"

        PM_FINISH
        PM_ROM_END
