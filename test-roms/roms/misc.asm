; misc.asm - CPUID (EFLAGS.ID toggles; leaf 0 max leaf >= 1 and a printable
; 12-byte vendor; leaf 1 family >= 4 and the TSC feature bit), RDTSC (a
; second read is >= the first), NOP forms, CLC/STC/CMC, CLD/STD, CLI/STI,
; redundant prefixes, CR0.PE/MSW.PE clear in real mode, and LOCK-prefixed
; read-modify-write instructions on memory.
%include "common.inc"

DATA    equ 0x1000

        INIT

; ------------------------------------------------------------ CPUID
        pushfd
        pop eax
        mov ecx, eax
        xor eax, 0x00200000             ; flip ID (bit 21)
        push eax
        popfd
        pushfd
        pop eax
        push ecx
        popfd                           ; restore
        xor eax, ecx
        and eax, 0x00200000
        CHECK32 eax, 0x00200000, "eflags_id_toggles"

        xor eax, eax
        cpuid
        mov [DATA], ebx                 ; vendor string: EBX EDX ECX
        mov [DATA+4], edx
        mov [DATA+8], ecx
        cmp eax, 1
        setae al
        CHECK8 al, 1, "cpuid0_max_leaf_ge_1"
        mov si, DATA
        mov cx, 12
        mov bl, 1
.vend:  lodsb
        cmp al, 0x20
        jb .bad
        cmp al, 0x7E
        jbe .ok
.bad:   mov bl, 0
.ok:    loop .vend
        CHECK8 bl, 1, "cpuid0_vendor_printable"

        mov eax, 1
        cpuid
        mov ebx, eax
        shr ebx, 8
        and ebx, 0x0F
        cmp ebx, 4
        setae al
        CHECK8 al, 1, "cpuid1_family_ge_4"
        and edx, 0x10
        CHECK32 edx, 0x10, "cpuid1_tsc_feature"

; ------------------------------------------------------------ RDTSC
        rdtsc
        mov esi, eax
        mov edi, edx
        mov cx, 100
.spin:  loop .spin
        rdtsc
        sub eax, esi
        sbb edx, edi                    ; CF=1 iff second < first
        setnc al
        CHECK8 al, 1, "rdtsc_monotonic"

; ------------------------------------------------------------ NOP
        mov eax, 0x12345678
        SETF CF|ZF|SF
        nop
        xchg ax, ax                     ; 90 again
        o32 nop                         ; 66 90
        CHECKF ARITH, CF|ZF|SF, "nop_flags"
        CHECK32 eax, 0x12345678, "nop_eax"

; ------------------------------------------------------------ flag instructions
        SETF ZF|SF
        stc
        CHECKF ARITH, ZF|SF|CF, "stc"
        cmc
        CHECKF ARITH, ZF|SF, "cmc_to_0"
        cmc
        CHECKF ARITH, ZF|SF|CF, "cmc_to_1"
        clc
        CHECKF ARITH, ZF|SF, "clc"
        SETF 0
        std
        CHECKF DFL|ARITH, DFL, "std"
        cld
        CHECKF DFL|ARITH, 0, "cld"
        sti                             ; both PICs are masked
        CHECKF IFL|ARITH, IFL, "sti"
        cli
        CHECKF IFL|ARITH, 0, "cli"

; ------------------------------------------------------------ prefixes, control registers
        mov eax, 0xFFFFFFFF
        db 0x66, 0x66, 0x40             ; redundant operand-size prefix: inc eax
        CHECK32 eax, 0, "redundant_66_prefix"
        mov word [DATA+0x10], 0x4242
        mov bx, DATA+0x10
        db 0x3E, 0x3E, 0x8B, 0x07       ; ds ds mov ax, [bx]
        CHECK16 ax, 0x4242, "redundant_segment_prefix"
        mov eax, cr0
        and eax, 1
        CHECK32 eax, 0, "cr0_pe_clear"
        smsw ax
        and ax, 1
        CHECK16 ax, 0, "msw_pe_clear"

; ------------------------------------------------------------ LOCK
        mov word [DATA+0x20], 0xFFFE
        lock add word [DATA+0x20], 5
        CHECKF ARITH, CF|AF|PF, "lock_add.f"
        CHECK16 [DATA+0x20], 0x0003, "lock_add"
        mov dword [DATA+0x24], 0x7FFFFFFF
        lock inc dword [DATA+0x24]
        CHECK32 [DATA+0x24], 0x80000000, "lock_inc"
        lock dec dword [DATA+0x24]
        CHECK32 [DATA+0x24], 0x7FFFFFFF, "lock_dec"
        mov byte [DATA+0x28], 0x0F
        lock or byte [DATA+0x28], 0xF0
        CHECK8 [DATA+0x28], 0xFF, "lock_or"
        lock and byte [DATA+0x28], 0x3C
        CHECK8 [DATA+0x28], 0x3C, "lock_and"
        lock xor byte [DATA+0x28], 0xFF
        CHECK8 [DATA+0x28], 0xC3, "lock_xor"
        mov ax, 0x0100
        mov word [DATA+0x2A], 0x0200
        lock sub [DATA+0x2A], ax
        CHECK16 [DATA+0x2A], 0x0100, "lock_sub"
        stc
        lock adc word [DATA+0x2A], 0
        CHECK16 [DATA+0x2A], 0x0101, "lock_adc"
        stc
        lock sbb word [DATA+0x2A], 1
        CHECK16 [DATA+0x2A], 0x00FF, "lock_sbb"
        lock neg word [DATA+0x2A]
        CHECK16 [DATA+0x2A], 0xFF01, "lock_neg"
        lock not word [DATA+0x2A]
        CHECK16 [DATA+0x2A], 0x00FE, "lock_not"
        mov dword [DATA+0x2C], 10
        mov eax, 5
        lock xadd [DATA+0x2C], eax
        CHECK32 [DATA+0x2C], 15, "lock_xadd_mem"
        CHECK32 eax, 10, "lock_xadd_reg"
        mov eax, 15
        mov ebx, 99
        lock cmpxchg [DATA+0x2C], ebx
        CHECKF ZF, ZF, "lock_cmpxchg.f"
        CHECK32 [DATA+0x2C], 99, "lock_cmpxchg"
        mov word [DATA+0x30], 0
        lock bts word [DATA+0x30], 3
        CHECKF CF, 0, "lock_bts.f"
        CHECK16 [DATA+0x30], 0x0008, "lock_bts"
        lock btr word [DATA+0x30], 3
        CHECKF CF, CF, "lock_btr.f"
        lock btc word [DATA+0x30], 15
        CHECK16 [DATA+0x30], 0x8000, "lock_btc"
        mov ax, 0x1234
        lock xchg [DATA+0x30], ax
        CHECK16 ax, 0x8000, "lock_xchg_reg"
        CHECK16 [DATA+0x30], 0x1234, "lock_xchg_mem"

        FINISH
        ROM_END
