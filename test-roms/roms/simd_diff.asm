; simd_diff.asm - differential test of MMX, SSE and SSE2: three sections of
; pseudo-random operations (NMMX, NSSE, NSSE2), each printed on port E9h as
; one line with its operands, its results and MXCSR (and EFLAGS, the x87
; tag word, the exception taken) for comparison with a reference run.
;
; The reference is this ROM under QEMU (soft-float SSE):
;       qemu-system-i386 -cpu max -display none -bios simd_diff.bin \
;           -debugcon file:simd_diff.qemu \
;           -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
; simd_diff_ref.py turns that output, with the SDM corrections of
; simd_diff.sdm (docs/simd-differences.md), into simd_diff.expected: one
; short hash per output line, so the committed reference stays small while
; machine/tests/simd_diff.rs can still name every line that differs.
; simd_diff_host.c replays the floating-point lines on a host's own SSE.
;
; Each operation: random inputs a (IN0) and b (IN1) of the op's kind, a
; random MXCSR (rounding control, DAZ, FTZ, sticky flags, sometimes some
; exceptions unmasked; CR4.OSXMMEXCPT = 1 so those raise #XM, which is
; caught and logged as "exc=13", except in 1/8 of the SSE/SSE2 ops, marked
; "osx=0", where it is cleared and they raise #UD, "exc=06"), random
; EFLAGS status bits, then
;       xmm0 = mm0 = a, xmm1 = mm1 = b, EAX = low dword of b,
;       EDI = OUTM (random bytes; the memory destination), MXCSR,
;       the instruction (register forms on xmm0/xmm1, mm0/mm1, EAX;
;       memory forms read IN1 and write OUTM, "_u" forms read and write
;       a misaligned copy of b that crosses a 4 KiB boundary, printed
;       afterwards as o=; the aligned-only ones log exc=0D),
; and prints
;
;   IIIII name[.ii] a=.. b=.. [r=EAX] [osx=0] [m=MXCSR] > [x=xmm0] [q=mm0] [r=EAX]
;         [o=OUTM] [f=EFLAGS&8D5] [m=MXCSR] [tw=x87 tag word] [exc=vector]
;
; (values hex, most significant digit first; 64-bit operands for ops on
; MMX registers; "ii" the immediate).  Section MMX starts every op with
; FNINIT and prints the tag word FNSTENV reports afterwards.  RCPPS/RCPSS/
; RSQRTPS/RSQRTSS are approximations whose exact bits the SDM leaves to the
; implementation: the test checks their documented error bound instead.
;
; Operands: floats from typical, whole-range, near-overflow and
; near-underflow exponents, denormals, integers with 0-2 fraction bits
; (conversion ties), zeros, infinities, QNaNs, SNaNs and constants (largest
; and smallest finite and denormal, 2^31 and its neighbours, the
; single-precision limits as doubles); lanes of b are sometimes equal,
; close or opposite to those of a.  Integers mix random lanes with
; saturation edges (0, 1, -1, -2, the signed/unsigned limits and their
; neighbours); shift counts cluster around the lane width.
;
; At the end: "PASS simd_diff", DONE, 0 failures (the ROM checks nothing
; itself, so every_test_rom_passes and cross-check.sh just see it complete).
; qemu-args: -cpu max

%include "pm.inc"

NMMX    equ 10000
NSSE    equ 12000
NSSE2   equ 16000

RNG     equ 0x3000              ; dword: xorshift32 state
MX      equ 0x3004              ; MXCSR before the op
MXO     equ 0x3008              ; MXCSR after
EFI     equ 0x300C              ; EFLAGS before
EFO     equ 0x3010              ; EFLAGS after
RAXO    equ 0x3014              ; EAX after
EXCV    equ 0x3018              ; exception vector taken, or 0xFFFFFFFF
CUROP   equ 0x301C              ; current op entry
IMMI    equ 0x3020              ; immediate index
SECT    equ 0x3024              ; 0 MMX, 1 SSE, 2 SSE2
OPNUM   equ 0x3028              ; operation number
SAVESP  equ 0x302C
SAVEBP  equ 0x3030
OSX     equ 0x3034              ; 0: CR4.OSXMMEXCPT cleared for this op
IN0     equ 0x3040              ; 16 bytes: a
IN1     equ 0x3050              ; 16 bytes: b
OUTX    equ 0x3060              ; 16 bytes: xmm0 after
OUTM    equ 0x3070              ; 16 bytes: memory destination
OUTQ    equ 0x3080              ; 8 bytes: mm0 after
ENV     equ 0x3100              ; 28 bytes: FNSTENV
OPS     equ 0x4000              ; dword list of op entries (per section)
UNAL    equ 0x4FF7              ; 16 bytes: misaligned operand across 4 KiB

; entry layout
E_NAME  equ 0                   ; 12 bytes, zero padded
E_GEN   equ 12                  ; operand generator
E_NEXT  equ 16                  ; next entry
E_IMMS  equ 20                  ; immediate list (0: immediate = index)
E_NIMM  equ 24                  ; word: number of immediates (0: none)
E_STR   equ 26                  ; byte: stub stride
E_IO    equ 27                  ; byte: what to print
E_STUB  equ 32

IO_X    equ 1                   ; xmm0
IO_Q    equ 2                   ; mm0
IO_R    equ 4                   ; EAX
IO_F    equ 8                   ; EFLAGS
IO_O    equ 16                  ; OUTM
IN_Q    equ 32                  ; 64-bit inputs
IN_R    equ 64                  ; print EAX as an input
IO_U    equ 128                 ; UNAL (a copy of b before) is the memory
                                ; operand: print it afterwards as o=

        INIT
        PM_INIT
        mov eax, cr0
        and eax, ~0x0C          ; EM = TS = 0
        or eax, 0x22            ; MP, NE
        mov cr0, eax
        mov eax, cr4
        or eax, 0x600           ; OSFXSR, OSXMMEXCPT
        mov cr4, eax
        mov dword [RNG], 0x9E3779B9
        mov dword [OPNUM], 0
        mov word [EXC_RESUME_SS], SEL_DATA
        mov dword [SECT], 0
        mov esi, str_smmx
        mov ebx, sec_mmx
        mov ecx, NMMX
        call run_section
        mov dword [SECT], 1
        mov esi, str_ssse
        mov ebx, sec_sse
        mov ecx, NSSE
        call run_section
        mov dword [SECT], 2
        mov esi, str_ssse2
        mov ebx, sec_sse2
        mov ecx, NSSE2
        call run_section
        mov esi, str_pass
        call puts32
        mov esi, str_me
        call puts32
        PM_FINISH

str_me: db "simd_diff", 10, 0
str_smmx: db "SECTION mmx", 10, 0
str_ssse: db "SECTION sse", 10, 0
str_ssse2: db "SECTION sse2", 10, 0

        bits 32

; section: print the header at ESI, run ECX random ops from the entry
; list starting at EBX.
run_section:
        push ecx
        call puts32
        mov edi, OPS
.walk:  cmp byte [cs:ebx], 0
        je .walked
        mov [edi], ebx
        add edi, 4
        mov ebx, [cs:ebx+E_NEXT]
        jmp .walk
.walked:
        sub edi, OPS
        shr edi, 2              ; number of entries
        pop ebp
.loop:  mov ecx, edi
        call rndn
        mov eax, [OPS+eax*4]
        mov [CUROP], eax
        push edi
        call one_op
        pop edi
        inc dword [OPNUM]
        dec ebp
        jnz .loop
        ret

; ---------------------------------------------------------------- one op
one_op:
        mov ebx, [CUROP]
        ; random MXCSR: RC, DAZ, FTZ, sticky flags, sometimes unmasked
        call rnd
        mov edx, eax
        mov ecx, eax
        and ecx, 0x6000         ; RC
        or ecx, 0x1F80
        test edx, 0x30000
        jnz .nodaz
        or ecx, 0x40
.nodaz: test edx, 0xC0000
        jnz .noftz
        or ecx, 0x8000
.noftz: test edx, 0x300000
        jnz .nosticky
        mov eax, edx
        shr eax, 24
        and eax, 0x3F
        or ecx, eax
.nosticky:
        test edx, 0x1C00000
        jnz .masked
        call rnd
        and eax, 0x3F
        shl eax, 7
        not eax
        and ecx, eax
        mov eax, ecx            ; sticky flags only where masked, so that
        shr eax, 7              ; the reference shows which unmasked
        or eax, ~0x3F           ; exceptions an op raised
        and ecx, eax
.masked:
        mov [MX], ecx
        call rnd
        and eax, 0x8D5
        or eax, 2
        mov [EFI], eax
        mov edi, OUTM
        call rnd16
        call dword [cs:ebx+E_GEN]
        mov esi, IN1
        mov edi, UNAL
        movsd
        movsd
        movsd
        movsd
        mov ebx, [CUROP]
        ; pick the immediate
        xor eax, eax
        movzx ecx, word [cs:ebx+E_NIMM]
        jecxz .noimm
        call rndn
.noimm: mov [IMMI], eax
        movzx ecx, byte [cs:ebx+E_STR]
        imul eax, ecx
        lea esi, [ebx+E_STUB+eax]
        ; state
        cmp dword [SECT], 0
        jne .nofinit
        fninit
.nofinit:
        mov dword [OSX], 1
        cmp dword [SECT], 0
        je .osx
        call rnd
        test al, 0x70
        jnz .osx
        mov dword [OSX], 0      ; 1/8 of the SSE ops: #UD instead of #XM
        mov eax, cr4
        and eax, ~0x400
        mov cr4, eax
.osx:   movups xmm0, [IN0]
        movups xmm1, [IN1]
        movq mm0, [IN0]
        movq mm1, [IN1]
        mov dword [EXCV], -1
        mov dword [EXC_RESUME], .caught
        mov [EXC_RESUME_ESP], esp
        mov [SAVESP], esp
        mov [SAVEBP], ebp
        ldmxcsr [MX]
        mov eax, [IN1]
        mov edi, OUTM
        push dword [EFI]
        popfd
        call esi
        pushfd
        pop dword [EFO]
        jmp .after
.caught:
        mov esp, [SAVESP]
        mov ebp, [SAVEBP]
        mov eax, [EXC_VEC]
        mov [EXCV], eax
        mov eax, [EXC_EAX]
.after: mov dword [EXC_RESUME], 0
        mov [RAXO], eax
        mov eax, cr4
        or eax, 0x400
        mov cr4, eax
        mov ebx, [CUROP]
        test byte [cs:ebx+E_IO], IO_U
        jz .nou
        mov esi, UNAL
        mov edi, OUTM
        movsd
        movsd
        movsd
        movsd
.nou:
        stmxcsr [MXO]
        movups [OUTX], xmm0
        movq [OUTQ], mm0
        cmp dword [SECT], 0
        jne .noenv
        fnstenv [ENV]
.noenv: mov eax, 0x1F80
        mov [SAVESP], eax
        ldmxcsr [SAVESP]
        ; print
        mov ebx, [CUROP]
        mov eax, [OPNUM]
        call dec5
        mov ebx, [CUROP]
        mov al, ' '
        out 0xE9, al
        mov esi, ebx
        call puts32
        cmp word [cs:ebx+E_NIMM], 0
        je .named
        mov al, '.'
        out 0xE9, al
        mov eax, [IMMI]
        mov esi, [cs:ebx+E_IMMS]
        test esi, esi
        jz .immi
        movzx eax, byte [cs:esi+eax]
.immi:  call hexbyte
.named: mov ecx, 16
        test byte [cs:ebx+E_IO], IN_Q
        jz .w
        mov ecx, 8
.w:     mov edi, ecx
        mov esi, str_a
        mov edx, IN0
        call field
        mov ecx, edi
        mov esi, str_b
        mov edx, IN1
        call field
        test byte [cs:ebx+E_IO], IN_R
        jz .nor
        mov esi, str_r
        mov edx, IN1
        mov ecx, 4
        call field
.nor:   cmp dword [SECT], 0
        je .nomx
        cmp dword [OSX], 0
        jne .osx1
        mov esi, str_osx
        call puts32
.osx1:  mov esi, str_m
        mov edx, MX
        mov ecx, 4
        call field
.nomx:  mov esi, str_gt
        call puts32
        mov ebx, [CUROP]
        mov bl, [cs:ebx+E_IO]
        test bl, IO_X
        jz .nox
        mov esi, str_x
        mov edx, OUTX
        mov ecx, 16
        call field
.nox:   test bl, IO_Q
        jz .noq
        mov esi, str_q
        mov edx, OUTQ
        mov ecx, 8
        call field
.noq:   test bl, IO_R
        jz .norr
        mov esi, str_r
        mov edx, RAXO
        mov ecx, 4
        call field
.norr:  test bl, IO_O
        jz .noo
        mov esi, str_o
        mov edx, OUTM
        mov ecx, 16
        call field
.noo:   test bl, IO_F
        jz .nof
        cmp dword [EXCV], -1
        jne .nof
        and dword [EFO], 0x8D5
        mov esi, str_f
        mov edx, EFO
        mov ecx, 2
        call field
.nof:   cmp dword [SECT], 0
        je .tw
        mov esi, str_m
        mov edx, MXO
        mov ecx, 4
        call field
        jmp .exc
.tw:    mov esi, str_tw
        mov edx, ENV+8
        mov ecx, 2
        call field
.exc:   cmp dword [EXCV], -1
        je .eol
        mov esi, str_exc
        mov edx, EXCV
        mov ecx, 1
        call field
.eol:   mov al, 10
        out 0xE9, al
        ret

str_a:  db " a=", 0
str_b:  db " b=", 0
str_r:  db " r=", 0
str_m:  db " m=", 0
str_gt: db " >", 0
str_x:  db " x=", 0
str_q:  db " q=", 0
str_o:  db " o=", 0
str_f:  db " f=", 0
str_tw: db " tw=", 0
str_osx: db " osx=0", 0
str_exc: db " exc=", 0

; field: print the string at CS:ESI, then the ECX bytes at EDX (highest
; first).
field:  call puts32
.l:     mov al, [edx+ecx-1]
        call hexbyte
        loop .l
        ret

hexbyte:                        ; AL
        push eax
        shr al, 4
        call hexnib
        pop eax
        push eax
        and al, 0x0F
        call hexnib
        pop eax
        ret
hexnib:                         ; low nibble of AL (AL < 16)
        add al, '0'
        cmp al, '9'
        jbe .o
        add al, 'A' - '0' - 10
.o:     out 0xE9, al
        ret

; dec5: EAX as 5 decimal digits (op numbers stay below 100000).
dec5:   mov ecx, 5
        mov ebx, 10
.d:     xor edx, edx
        div ebx
        push edx
        loop .d
        mov ecx, 5
.p:     pop eax
        add al, '0'
        out 0xE9, al
        loop .p
        ret

; ---------------------------------------------------------------- random
; rnd: EAX = next xorshift32 value.  Preserves everything else.
rnd:
        push edx
        mov eax, [RNG]
        mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        mov edx, eax
        shl edx, 5
        xor eax, edx
        mov [RNG], eax
        pop edx
        ret

; rndn: EAX = random in [0, ECX).  Preserves everything else.
rndn:
        push edx
        call rnd
        mul ecx
        mov eax, edx
        pop edx
        ret

; rnd16: 16 random bytes at EDI.  Preserves everything but EAX.
rnd16:
%assign i 0
%rep 4
        call rnd
        mov [edi+i], eax
%assign i i+4
%endrep
        ret

; sign: random sign bit into EAX bit 31.  Preserves everything else.
sign:   push edx
        mov edx, eax
        call rnd
        and eax, 0x80000000
        xor eax, edx
        pop edx
        ret

; lowmask: EAX = (1 << ECX) - 1 for ECX in 0..32.  Preserves the rest.
lowmask:
        cmp ecx, 32
        jb .s
        or eax, -1
        ret
.s:     mov eax, 1
        shl eax, cl
        dec eax
        ret

; ---------------------------------------------------------------- floats
; gf32: one binary32 operand at [EDI] (weights out of 32).  May change
; EAX, ECX, EDX, ESI.
gf32:   mov ecx, 32
        call rndn
        cmp eax, 12
        jb .typ
        cmp eax, 15
        jb .wide
        cmp eax, 17
        jb .over
        cmp eax, 19
        jb .under
        cmp eax, 21
        jb .den
        cmp eax, 24
        jb .intish
        cmp eax, 26
        jb .const
        cmp eax, 27
        jb .zero
        cmp eax, 28
        jb .inf
        cmp eax, 30
        jb .qnan
        call rnd                ; SNaN
        and eax, 0x003FFFFF
        jnz .s1
        inc eax
.s1:    or eax, 0x7F800000
        jmp .sgn
.qnan:  call rnd
        test al, 1
        jz .q0
        and eax, 0x003FFFFF
        jmp .q1
.q0:    xor eax, eax
.q1:    or eax, 0x7FC00000
        jmp .sgn
.inf:   mov eax, 0x7F800000
        jmp .sgn
.zero:  xor eax, eax
        jmp .sgn
.const: mov ecx, (c32_end-c32)/4
        call rndn
        mov eax, [cs:c32+eax*4]
        jmp .sgn
.den:   mov ecx, 23
        call rndn
        mov ecx, eax
        call rnd
        and eax, 0x007FFFFF
        shr eax, cl
        jnz .sgn
        inc eax
        jmp .sgn
.typ:   mov ecx, 41
        call rndn
        lea edx, [eax+127-20]
        jmp .mant
.wide:  mov ecx, 254
        call rndn
        lea edx, [eax+1]
        jmp .mant
.over:  mov ecx, 8
        call rndn
        mov edx, 254
        sub edx, eax
        jmp .mant
.under: mov ecx, 8
        call rndn
        lea edx, [eax+1]
.mant:  call rnd                ; shaped significand: sometimes short
        test al, 3
        jnz .m1
        mov ecx, 24
        call rndn
        mov ecx, eax
        call lowmask
        not eax
        mov esi, eax
        call rnd
        and eax, esi
        jmp .m2
.m1:    call rnd
.m2:    and eax, 0x007FFFFF
        shl edx, 23
        or eax, edx
        jmp .sgn
.intish:                        ; [2^m, 2^(m+1)), at most 2 fraction bits
        mov ecx, 34
        call rndn
        lea edx, [eax+126]      ; exponent
        mov ecx, 23+127-2
        sub ecx, edx            ; low bits to clear
        jge .i1
        xor ecx, ecx
.i1:    call lowmask
        not eax
        mov esi, eax
        call rnd
        and eax, esi
        jmp .m2
.sgn:   call sign
        mov [edi], eax
        ret

; gf64: one binary64 operand at [EDI] (weights out of 32).
gf64:   mov ecx, 32
        call rndn
        cmp eax, 11
        jb .typ
        cmp eax, 14
        jb .wide
        cmp eax, 16
        jb .over
        cmp eax, 18
        jb .under
        cmp eax, 20
        jb .fedge
        cmp eax, 22
        jb .den
        cmp eax, 24
        jb .intish
        cmp eax, 26
        jb .const
        cmp eax, 27
        jb .zero
        cmp eax, 28
        jb .inf
        cmp eax, 30
        jb .qnan
        call rnd                ; SNaN
        mov [edi], eax
        call rnd
        and eax, 0x0007FFFF
        or eax, 0x7FF00000
        mov edx, eax
        and edx, 0x000FFFFF
        or edx, [edi]
        jnz .hi
        inc dword [edi]
        jmp .hi
.qnan:  call rnd
        test al, 1
        jz .q0
        mov [edi], eax
        call rnd
        and eax, 0x0007FFFF
        jmp .q1
.q0:    xor eax, eax
        mov [edi], eax
.q1:    or eax, 0x7FF80000
        jmp .hi
.inf:   mov dword [edi], 0
        mov eax, 0x7FF00000
        jmp .hi
.zero:  xor eax, eax
        mov [edi], eax
        jmp .hi
.const: mov ecx, (c64_end-c64)/8
        call rndn
        mov edx, [cs:c64+eax*8]
        mov [edi], edx
        mov eax, [cs:c64+eax*8+4]
        jmp .hi
.den:   call rnd
        mov [edi], eax
        call rnd
        and eax, 0x000FFFFF
        mov edx, eax
        mov ecx, 52
        call rndn
        mov ecx, eax
        mov eax, [edi]
        cmp ecx, 32
        jb .d1
        mov eax, edx
        xor edx, edx
        sub ecx, 32
.d1:    shrd eax, edx, cl
        shr edx, cl
        mov [edi], eax
        or eax, edx
        jnz .d2
        inc dword [edi]
.d2:    mov eax, edx
        jmp .hi
.typ:   mov ecx, 81
        call rndn
        lea edx, [eax+1023-40]
        jmp .mant
.wide:  mov ecx, 2046
        call rndn
        lea edx, [eax+1]
        jmp .mant
.over:  mov ecx, 8
        call rndn
        mov edx, 2046
        sub edx, eax
        jmp .mant
.under: mov ecx, 8
        call rndn
        lea edx, [eax+1]
        jmp .mant
.fedge: mov ecx, (fedge_end-fedge)/2    ; near the binary32 range edges
        call rndn
        movsx edx, word [cs:fedge+eax*2]
        mov ecx, 3
        call rndn
        lea edx, [edx+eax+1023-1]
.mant:  call rnd                ; shaped significand: short, or a binary32
        test al, 3              ; tie / near tie
        jnz .m1
        mov ecx, 53
        call rndn
        mov ecx, eax            ; clear the low ECX bits
        call rnd
        mov esi, eax
        call rnd
        cmp ecx, 32
        jb .m0
        sub ecx, 32
        push eax
        call lowmask
        not eax
        and esi, eax
        pop eax
        xor eax, eax
        jmp .m3
.m0:    push esi
        mov esi, eax
        call lowmask
        not eax
        and eax, esi
        pop esi
        jmp .m3
.m1:    test al, 4
        jnz .m2
        call rnd                ; bit 28 of the low word = the binary32
        and eax, 0xF0000000     ; rounding position; exact tie or +-1
        or eax, 0x10000000
        mov esi, eax
        call rnd
        and eax, 3
        dec eax
        add eax, esi
        push eax
        call rnd
        mov esi, eax
        pop eax
        jmp .m3
.m2:    call rnd
        mov esi, eax
        call rnd
.m3:    mov [edi], eax
        mov eax, esi
        and eax, 0x000FFFFF
        shl edx, 20
        or eax, edx
        jmp .hi
.intish:                        ; [2^m, 2^(m+1)), at most 2 fraction bits
        mov ecx, 66
        call rndn
        lea edx, [eax+1022]
        mov ecx, 52+1023-2
        sub ecx, edx
        jge .i1
        xor ecx, ecx
.i1:    call rnd
        mov esi, eax
        call rnd
        cmp ecx, 32
        jb .m0
        sub ecx, 32
        push eax
        call lowmask
        not eax
        and esi, eax
        pop eax
        xor eax, eax
        jmp .m3
.hi:    call sign
        mov [edi+4], eax
        ret

fedge:  dw 127, -126, -149, 128, 0, 31, 30, 63
fedge_end:

; ---------------------------------------------------------------- generators
; Each fills IN0 and IN1.

; relate: for each ECX-byte lane of b, sometimes make it equal, close or
; opposite to a's (ECX = 4 or 8).
relate: push ebx
        xor ebx, ebx
.l:     call rnd
        and eax, 15
        cmp eax, 3
        jae .n
        mov edx, [IN0+ebx]
        mov [IN1+ebx], edx
        mov edx, [IN0+ebx+ecx-4]
        mov [IN1+ebx+ecx-4], edx
        cmp eax, 1
        jb .n
        je .opp
        call rnd
        and eax, 3
        xor [IN1+ebx], eax
        jmp .n
.opp:   xor byte [IN1+ebx+ecx-1], 0x80
.n:     add ebx, ecx
        cmp ebx, 16
        jb .l
        pop ebx
        ret

g_ps:   mov edi, IN0
%rep 8
        call gf32
        add edi, 4
%endrep
        mov ecx, 4
        jmp relate

g_pd:   mov edi, IN0
%rep 4
        call gf64
        add edi, 8
%endrep
        mov ecx, 8
        jmp relate

; g_int*: integer lanes of 1, 2, 4, 8 bytes.
g_int8: mov ecx, 1
        jmp g_int
g_int16:
        mov ecx, 2
        jmp g_int
g_int32:
        mov ecx, 4
        jmp g_int
g_int64:
        mov ecx, 8
g_int:  mov edi, IN0
        call rnd16
        mov edi, IN1
        call rnd16
        mov edi, IN0
.lane:  call rnd
        test al, 0x70
        jz .edge
        test al, 0x0C
        jnz .next
.edge:  push ecx
        mov ecx, (iedge_end-iedge)/3
        call rndn
        pop ecx
        lea esi, [iedge+eax*2+eax]
        mov al, [cs:esi]
        push ecx
        push edi
        rep stosb
        pop edi
        pop ecx
        mov al, [cs:esi+1]
        mov [edi+ecx-1], al
        mov al, [cs:esi+2]
        xor [edi], al
.next:  add edi, ecx
        cmp edi, IN1+16
        jb .lane
        call rnd
        test al, 7
        jnz .done
        mov eax, [IN0]          ; sometimes b = a
        mov [IN1], eax
        mov eax, [IN0+4]
        mov [IN1+4], eax
        mov eax, [IN0+8]
        mov [IN1+8], eax
        mov eax, [IN0+12]
        mov [IN1+12], eax
.done:  ret

; lane edges: fill byte, top byte, xor into the lowest byte
iedge:  db 0x00, 0x00, 0x00     ; 0
        db 0x00, 0x00, 0x01     ; 1
        db 0xFF, 0xFF, 0x00     ; -1
        db 0xFF, 0xFF, 0x01     ; -2
        db 0xFF, 0x7F, 0x00     ; signed max
        db 0xFF, 0x7F, 0x01     ; signed max - 1
        db 0x00, 0x80, 0x00     ; signed min
        db 0x00, 0x80, 0x01     ; signed min + 1
        db 0xFF, 0x00, 0x00     ; 0x00FF.. (word: unsigned byte max)
        db 0x00, 0x01, 0x00     ; 0x0100..
        db 0x00, 0x00, 0x80     ; 0x80
        db 0x00, 0x00, 0x7F     ; 0x7F
        db 0xFF, 0xFF, 0x7F     ; ..FF80 (byte -128)
        db 0xFF, 0xFF, 0x80     ; ..FF7F
iedge_end:

; g_sh*: a = integer lanes, b = a shift count near the lane width.
g_sh16: mov ecx, 2
        push dword 16
        jmp g_sh
g_sh32: mov ecx, 4
        push dword 32
        jmp g_sh
g_sh64: mov ecx, 8
        push dword 64
g_sh:   call g_int
        pop ecx
        call rnd
        and eax, 7
        cmp eax, 5
        jae .big
        add ecx, 2
        call rndn
        jmp .set
.big:   cmp eax, 6
        jb .w
        je .ones
        call rnd
        and eax, 31
        mov [IN1+4], eax        ; high dword nonzero (if EAX != 0)
        call rnd
        and eax, 7
        jmp .set2
.ones:  or eax, -1
        jmp .set
.w:     mov ecx, 130
        call rndn
.set:   mov dword [IN1+4], 0
.set2:  mov [IN1], eax
        ret

; g_mx: b = a random MXCSR image, sometimes with a reserved bit (#GP).
g_mx:   mov edi, IN0
        call rnd16
        mov edi, IN1
        call rnd16
        and dword [IN1], 0xFFFF
        call rnd
        test al, 3
        jnz .ok
        mov ecx, 16
        call rndn
        add ecx, eax
        mov eax, 1
        shl eax, cl
        or [IN1], eax
.ok:    ret

c32:    dd 0x7F7FFFFF, 0x00800000, 0x00000001, 0x007FFFFF, 0x3F800000
        dd 0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001, 0x3F000000
        dd 0x3FC00000, 0x40200000, 0x4B800001, 0x00400000, 0x5F000000
        dd 0x4B000001, 0x3F7FFFFF
c32_end:

c64:    dq 0x7FEFFFFFFFFFFFFF, 0x0010000000000000, 1, 0x000FFFFFFFFFFFFF
        dq 0x3FF0000000000000, 0x41E0000000000000, 0x41DFFFFFFFE00000
        dq 0xC1E0000000000000, 0xC1E0000000100000, 0xC1E0000000200000
        dq 0x41DFFFFFFFC00000, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000
        dq 0x3810000000000000, 0x36A0000000000000, 0x3690000000000000
        dq 0x3FE0000000000000, 0x4004000000000000, 0x380FFFFFC0000000
        dq 0x36A8000000000000
c64_end:

shimm:  db 0, 1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 255

; ---------------------------------------------------------------- op table
; OP name, generator, io, instruction: one entry, the stub is
; "instruction; ret".
%macro OP 4+
%%e:    db %1
%if ($-%%e) > 11
  %error op name too long
%endif
        times 12-($-%%e) db 0
        dd %2, %%n, 0
        dw 0
        db 0, %3
        dd 0
        %4
        ret
%%n:
%endmacro

; immediate stubs, 8 bytes each
%macro ISTUB 2+
%%s:    %2, %1
        ret
        times 8-($-%%s) int3
%endmacro

; OPI name, generator, io, count, instruction without its immediate:
; immediates 0..count-1.
%macro OPI 5+
%%e:    db %1
%if ($-%%e) > 11
  %error op name too long
%endif
        times 12-($-%%e) db 0
        dd %2, %%n, 0
        dw %4
        db 8, %3
        dd 0
%assign ii 0
%rep %4
        ISTUB ii, %5
%assign ii ii+1
%endrep
%%n:
%endmacro

; OPS name, generator, io, instruction without its immediate: the shift
; immediates of shimm.
%macro OPSH 4+
%%e:    db %1
%if ($-%%e) > 11
  %error op name too long
%endif
        times 12-($-%%e) db 0
        dd %2, %%n, shimm
        dw 12
        db 8, %3
        dd 0
        ISTUB 0, %4
        ISTUB 1, %4
        ISTUB 2, %4
        ISTUB 7, %4
        ISTUB 8, %4
        ISTUB 15, %4
        ISTUB 16, %4
        ISTUB 31, %4
        ISTUB 32, %4
        ISTUB 63, %4
        ISTUB 64, %4
        ISTUB 255, %4
%%n:
%endmacro

%macro SECTION_END 0
        times 32 db 0
%endmacro

; byte-masked stores through a misaligned, page-crossing DS:EDI
%macro MASKQ_U 0
        mov edi, UNAL
        maskmovq mm0, mm1
%endmacro
%macro MASKDQ_U 0
        mov edi, UNAL
        maskmovdqu xmm0, xmm1
%endmacro

QQ      equ IO_Q|IN_Q           ; MMX op: mm0 out, 64-bit inputs
XX      equ IO_X                ; XMM op

sec_mmx:
        OP "movd_mr", g_int32, QQ|IN_R, movd mm0, eax
        OP "movd_rm", g_int32, IN_Q|IO_R, movd eax, mm0
        OP "movd_mm", g_int32, QQ, movd mm0, [IN1]
        OP "movd_st", g_int32, IN_Q|IO_O, movd [OUTM], mm0
        OP "movq", g_int64, QQ, movq mm0, mm1
        OP "movq_ld", g_int64, QQ, movq mm0, [IN1]
        OP "movq_st", g_int64, IN_Q|IO_O, movq [OUTM], mm0
%macro MMX2 2
%defstr OPNAME %1
        OP OPNAME, %2, QQ, %1 mm0, mm1
%endmacro
        MMX2 packsswb, g_int16
        MMX2 packssdw, g_int32
        MMX2 packuswb, g_int16
        OP "packsswb_m", g_int16, QQ, packsswb mm0, [IN1]
        MMX2 paddb, g_int8
        MMX2 paddw, g_int16
        MMX2 paddd, g_int32
        MMX2 paddsb, g_int8
        MMX2 paddsw, g_int16
        MMX2 paddusb, g_int8
        MMX2 paddusw, g_int16
        OP "paddd_m", g_int32, QQ, paddd mm0, [IN1]
        MMX2 psubb, g_int8
        MMX2 psubw, g_int16
        MMX2 psubd, g_int32
        MMX2 psubsb, g_int8
        MMX2 psubsw, g_int16
        MMX2 psubusb, g_int8
        MMX2 psubusw, g_int16
        MMX2 pand, g_int8
        MMX2 pandn, g_int8
        MMX2 por, g_int8
        MMX2 pxor, g_int8
        OP "pxor_m", g_int8, QQ, pxor mm0, [IN1]
        MMX2 pcmpeqb, g_int8
        MMX2 pcmpeqw, g_int16
        MMX2 pcmpeqd, g_int32
        MMX2 pcmpgtb, g_int8
        MMX2 pcmpgtw, g_int16
        MMX2 pcmpgtd, g_int32
        MMX2 pmaddwd, g_int16
        MMX2 pmulhw, g_int16
        MMX2 pmullw, g_int16
        OP "pmulhw_m", g_int16, QQ, pmulhw mm0, [IN1]
        MMX2 psllw, g_sh16
        MMX2 pslld, g_sh32
        MMX2 psllq, g_sh64
        MMX2 psrlw, g_sh16
        MMX2 psrld, g_sh32
        MMX2 psrlq, g_sh64
        MMX2 psraw, g_sh16
        MMX2 psrad, g_sh32
        OP "psraw_m", g_sh16, QQ, psraw mm0, [IN1]
        OPSH "psllw_i", g_int16, QQ, psllw mm0
        OPSH "pslld_i", g_int32, QQ, pslld mm0
        OPSH "psllq_i", g_int64, QQ, psllq mm0
        OPSH "psrlw_i", g_int16, QQ, psrlw mm0
        OPSH "psrld_i", g_int32, QQ, psrld mm0
        OPSH "psrlq_i", g_int64, QQ, psrlq mm0
        OPSH "psraw_i", g_int16, QQ, psraw mm0
        OPSH "psrad_i", g_int32, QQ, psrad mm0
        MMX2 punpckhbw, g_int8
        MMX2 punpckhwd, g_int16
        MMX2 punpckhdq, g_int32
        MMX2 punpcklbw, g_int8
        MMX2 punpcklwd, g_int16
        MMX2 punpckldq, g_int32
        OP "punpcklbw_m", g_int8, QQ, punpcklbw mm0, [IN1]
        OP "emms", g_int8, QQ, emms
        OP "paddb_u", g_int8, QQ|IO_U, paddb mm0, [UNAL]
        OP "movq_su", g_int64, IN_Q|IO_O|IO_U, movq [UNAL], mm0
        OP "movd_u", g_int32, QQ|IO_U, movd mm0, [UNAL]
        OP "punpcklw_u", g_int16, QQ|IO_U, punpcklwd mm0, [UNAL]
        SECTION_END

%macro SS2 2
%defstr OPNAME %1
        OP OPNAME, %2, XX, %1 xmm0, xmm1
%endmacro
%macro SS2M 2
%defstr OPNAME %1_m
        OP OPNAME, %2, XX, %1 xmm0, [IN1]
%endmacro

sec_sse:
        SS2 addps, g_ps
        SS2 addss, g_ps
        SS2 subps, g_ps
        SS2 subss, g_ps
        SS2 mulps, g_ps
        SS2 mulss, g_ps
        SS2 divps, g_ps
        SS2 divss, g_ps
        SS2 sqrtps, g_ps
        SS2 sqrtss, g_ps
        SS2 maxps, g_ps
        SS2 maxss, g_ps
        SS2 minps, g_ps
        SS2 minss, g_ps
        SS2 rcpps, g_ps
        SS2 rcpss, g_ps
        SS2 rsqrtps, g_ps
        SS2 rsqrtss, g_ps
        OP "addps_m", g_ps, XX, addps xmm0, [IN1]
        OP "mulss_m", g_ps, XX, mulss xmm0, [IN1]
        OP "divss_m", g_ps, XX, divss xmm0, [IN1]
        OP "sqrtss_m", g_ps, XX, sqrtss xmm0, [IN1]
        OP "maxps_m", g_ps, XX, maxps xmm0, [IN1]
        OPI "cmpps", g_ps, XX, 8, cmpps xmm0, xmm1
        OPI "cmpss", g_ps, XX, 8, cmpss xmm0, xmm1
        OPI "cmpps_w", g_ps, XX, 256, cmpps xmm0, xmm1
        OP "comiss", g_ps, IO_F, comiss xmm0, xmm1
        OP "ucomiss", g_ps, IO_F, ucomiss xmm0, xmm1
        OP "comiss_m", g_ps, IO_F, comiss xmm0, [IN1]
        OP "cvtpi2ps", g_int32, XX, cvtpi2ps xmm0, mm1
        OP "cvtps2pi", g_ps, IO_Q, cvtps2pi mm0, xmm1
        OP "cvttps2pi", g_ps, IO_Q, cvttps2pi mm0, xmm1
        OP "cvtsi2ss", g_int32, XX|IN_R, cvtsi2ss xmm0, eax
        OP "cvtsi2ss_m", g_int32, XX, cvtsi2ss xmm0, [IN1]
        OP "cvtss2si", g_ps, IO_R, cvtss2si eax, xmm1
        OP "cvttss2si", g_ps, IO_R, cvttss2si eax, xmm1
        OP "cvtss2si_m", g_ps, IO_R, cvtss2si eax, [IN1]
        SS2 andps, g_ps
        SS2 andnps, g_ps
        SS2 orps, g_ps
        SS2 xorps, g_ps
        SS2 movaps, g_ps
        OP "movaps_ld", g_ps, XX, movaps xmm0, [IN1]
        OP "movaps_st", g_ps, IO_O, movaps [OUTM], xmm1
        OP "movups_ld", g_ps, XX, movups xmm0, [IN1+0]
        OP "movups_st", g_ps, IO_O, movups [OUTM], xmm1
        SS2 movss, g_ps
        OP "movss_ld", g_ps, XX, movss xmm0, [IN1]
        OP "movss_st", g_ps, IO_O, movss [OUTM], xmm1
        OP "movlps_ld", g_ps, XX, movlps xmm0, [IN1]
        OP "movlps_st", g_ps, IO_O, movlps [OUTM], xmm1
        OP "movhps_ld", g_ps, XX, movhps xmm0, [IN1]
        OP "movhps_st", g_ps, IO_O, movhps [OUTM], xmm1
        SS2 movlhps, g_ps
        SS2 movhlps, g_ps
        OP "movmskps", g_ps, IO_R, movmskps eax, xmm1
        OPI "shufps", g_ps, XX, 256, shufps xmm0, xmm1
        SS2 unpckhps, g_ps
        SS2 unpcklps, g_ps
        OP "movntps", g_ps, IO_O, movntps [OUTM], xmm1
        OP "stmxcsr", g_ps, IO_O, stmxcsr [OUTM]
        OP "ldmxcsr", g_mx, 0, ldmxcsr [IN1]
        MMX2 pavgb, g_int8
        MMX2 pavgw, g_int16
        OPI "pextrw", g_int16, IN_Q|IO_R, 256, pextrw eax, mm1
        OPI "pinsrw", g_int16, QQ|IN_R, 256, pinsrw mm0, eax
        MMX2 pmaxsw, g_int16
        MMX2 pmaxub, g_int8
        MMX2 pminsw, g_int16
        MMX2 pminub, g_int8
        OP "pmovmskb", g_int8, IN_Q|IO_R, pmovmskb eax, mm1
        MMX2 pmulhuw, g_int16
        MMX2 psadbw, g_int8
        OPI "pshufw", g_int16, QQ, 256, pshufw mm0, mm1
        OP "maskmovq", g_int8, IN_Q|IO_O, maskmovq mm0, mm1
        OP "movntq", g_int8, IN_Q|IO_O, movntq [OUTM], mm1
        OP "movups_u", g_ps, XX|IO_U, movups xmm0, [UNAL]
        OP "movups_su", g_ps, IO_O|IO_U, movups [UNAL], xmm1
        OP "movaps_u", g_ps, XX|IO_U, movaps xmm0, [UNAL]
        OP "addps_u", g_ps, XX|IO_U, addps xmm0, [UNAL]
        OP "addss_u", g_ps, XX|IO_U, addss xmm0, [UNAL]
        OP "comiss_u", g_ps, IO_F|IO_U, comiss xmm0, [UNAL]
        OP "movlps_u", g_ps, XX|IO_U, movlps xmm0, [UNAL]
        OP "movhps_su", g_ps, IO_O|IO_U, movhps [UNAL], xmm1
        OP "cvtps2pi_u", g_ps, IO_Q|IO_U, cvtps2pi mm0, [UNAL]
        OP "pavgb_u", g_int8, QQ|IO_U, pavgb mm0, [UNAL]
        OP "maskmovq_u", g_int8, IN_Q|IO_O|IO_U, MASKQ_U
        SECTION_END

sec_sse2:
        SS2 addpd, g_pd
        SS2 addsd, g_pd
        SS2 subpd, g_pd
        SS2 subsd, g_pd
        SS2 mulpd, g_pd
        SS2 mulsd, g_pd
        SS2 divpd, g_pd
        SS2 divsd, g_pd
        SS2 sqrtpd, g_pd
        SS2 sqrtsd, g_pd
        SS2 maxpd, g_pd
        SS2 maxsd, g_pd
        SS2 minpd, g_pd
        SS2 minsd, g_pd
        OP "addpd_m", g_pd, XX, addpd xmm0, [IN1]
        OP "mulsd_m", g_pd, XX, mulsd xmm0, [IN1]
        OP "divsd_m", g_pd, XX, divsd xmm0, [IN1]
        OP "sqrtsd_m", g_pd, XX, sqrtsd xmm0, [IN1]
        OPI "cmppd", g_pd, XX, 8, cmppd xmm0, xmm1
        OPI "cmpsd", g_pd, XX, 8, cmpsd xmm0, xmm1
        OPI "cmpsd_w", g_pd, XX, 256, cmpsd xmm0, xmm1
        OP "comisd", g_pd, IO_F, comisd xmm0, xmm1
        OP "ucomisd", g_pd, IO_F, ucomisd xmm0, xmm1
        OP "ucomisd_m", g_pd, IO_F, ucomisd xmm0, [IN1]
        SS2 andpd, g_pd
        SS2 andnpd, g_pd
        SS2 orpd, g_pd
        SS2 xorpd, g_pd
        SS2 movapd, g_pd
        OP "movupd_ld", g_pd, XX, movupd xmm0, [IN1]
        OP "movupd_st", g_pd, IO_O, movupd [OUTM], xmm1
        OP "movsd", g_pd, XX, movsd xmm0, xmm1
        OP "movsd_ld", g_pd, XX, movsd xmm0, [IN1]
        OP "movsd_st", g_pd, IO_O, movsd [OUTM], xmm1
        OP "movlpd_ld", g_pd, XX, movlpd xmm0, [IN1]
        OP "movlpd_st", g_pd, IO_O, movlpd [OUTM], xmm1
        OP "movhpd_ld", g_pd, XX, movhpd xmm0, [IN1]
        OP "movhpd_st", g_pd, IO_O, movhpd [OUTM], xmm1
        OP "movmskpd", g_pd, IO_R, movmskpd eax, xmm1
        OPI "shufpd", g_pd, XX, 4, shufpd xmm0, xmm1
        SS2 unpckhpd, g_pd
        SS2 unpcklpd, g_pd
        OP "movntpd", g_pd, IO_O, movntpd [OUTM], xmm1
        SS2 cvtdq2pd, g_int32
        SS2 cvtdq2ps, g_int32
        SS2 cvtpd2dq, g_pd
        OP "cvtpd2pi", g_pd, IO_Q, cvtpd2pi mm0, xmm1
        SS2 cvtpd2ps, g_pd
        OP "cvtpi2pd", g_int32, XX, cvtpi2pd xmm0, mm1
        SS2 cvtps2dq, g_ps
        SS2 cvtps2pd, g_ps
        OP "cvtsd2si", g_pd, IO_R, cvtsd2si eax, xmm1
        SS2 cvtsd2ss, g_pd
        OP "cvtsi2sd", g_int32, XX|IN_R, cvtsi2sd xmm0, eax
        SS2 cvtss2sd, g_ps
        SS2 cvttpd2dq, g_pd
        OP "cvttpd2pi", g_pd, IO_Q, cvttpd2pi mm0, xmm1
        SS2 cvttps2dq, g_ps
        OP "cvttsd2si", g_pd, IO_R, cvttsd2si eax, xmm1
        OP "cvtps2pd_m", g_ps, XX, cvtps2pd xmm0, [IN1]
        OP "cvtsd2ss_m", g_pd, XX, cvtsd2ss xmm0, [IN1]
        OP "movd_xr", g_int32, XX|IN_R, movd xmm0, eax
        OP "movd_rx", g_int32, IO_R, movd eax, xmm0
        OP "movd_xm", g_int32, XX, movd xmm0, [IN1]
        OP "movd_stx", g_int32, IO_O, movd [OUTM], xmm1
        OP "movq_x", g_int64, XX, movq xmm0, xmm1
        OP "movq_xld", g_int64, XX, movq xmm0, [IN1]
        OP "movq_xst", g_int64, IO_O, movq [OUTM], xmm1
        SS2 movdqa, g_int8
        OP "movdqu_ld", g_int8, XX, movdqu xmm0, [IN1]
        OP "movdqu_st", g_int8, IO_O, movdqu [OUTM], xmm1
        OP "movdq2q", g_int8, IO_Q, movdq2q mm0, xmm1
        OP "movq2dq", g_int8, XX, movq2dq xmm0, mm1
        SS2 packsswb, g_int16
        SS2 packssdw, g_int32
        SS2 packuswb, g_int16
        SS2 paddb, g_int8
        SS2 paddw, g_int16
        SS2 paddd, g_int32
        SS2 paddq, g_int64
        OP "paddq_mm", g_int64, QQ, paddq mm0, mm1
        SS2 paddsb, g_int8
        SS2 paddsw, g_int16
        SS2 paddusb, g_int8
        SS2 paddusw, g_int16
        SS2M paddusw, g_int16
        SS2 pand, g_int8
        SS2 pandn, g_int8
        SS2 por, g_int8
        SS2 pxor, g_int8
        SS2 pavgb, g_int8
        SS2 pavgw, g_int16
        SS2 pcmpeqb, g_int8
        SS2 pcmpeqw, g_int16
        SS2 pcmpeqd, g_int32
        SS2 pcmpgtb, g_int8
        SS2 pcmpgtw, g_int16
        SS2 pcmpgtd, g_int32
        OPI "pextrw_x", g_int16, IO_R, 256, pextrw eax, xmm1
        OPI "pinsrw_x", g_int16, XX|IN_R, 256, pinsrw xmm0, eax
        SS2 pmaddwd, g_int16
        SS2 pmaxsw, g_int16
        SS2 pmaxub, g_int8
        SS2 pminsw, g_int16
        SS2 pminub, g_int8
        OP "pmovmskb_x", g_int8, IO_R, pmovmskb eax, xmm1
        SS2 pmulhuw, g_int16
        SS2 pmulhw, g_int16
        SS2 pmullw, g_int16
        SS2 pmuludq, g_int32
        OP "pmuludq_mm", g_int32, QQ, pmuludq mm0, mm1
        SS2 psadbw, g_int8
        OPI "pshufd", g_int32, XX, 256, pshufd xmm0, xmm1
        OPI "pshufhw", g_int16, XX, 256, pshufhw xmm0, xmm1
        OPI "pshuflw", g_int16, XX, 256, pshuflw xmm0, xmm1
        OPI "pslldq", g_int8, XX, 18, pslldq xmm0
        OPI "psrldq", g_int8, XX, 18, psrldq xmm0
        SS2 psllw, g_sh16
        SS2 pslld, g_sh32
        SS2 psllq, g_sh64
        SS2 psrlw, g_sh16
        SS2 psrld, g_sh32
        SS2 psrlq, g_sh64
        SS2 psraw, g_sh16
        SS2 psrad, g_sh32
        SS2M psrad, g_sh32
        OPSH "psllw_ix", g_int16, XX, psllw xmm0
        OPSH "pslld_ix", g_int32, XX, pslld xmm0
        OPSH "psllq_ix", g_int64, XX, psllq xmm0
        OPSH "psrlw_ix", g_int16, XX, psrlw xmm0
        OPSH "psrld_ix", g_int32, XX, psrld xmm0
        OPSH "psrlq_ix", g_int64, XX, psrlq xmm0
        OPSH "psraw_ix", g_int16, XX, psraw xmm0
        OPSH "psrad_ix", g_int32, XX, psrad xmm0
        SS2 psubb, g_int8
        SS2 psubw, g_int16
        SS2 psubd, g_int32
        SS2 psubq, g_int64
        OP "psubq_mm", g_int64, QQ, psubq mm0, mm1
        SS2 psubsb, g_int8
        SS2 psubsw, g_int16
        SS2 psubusb, g_int8
        SS2 psubusw, g_int16
        SS2 punpckhbw, g_int8
        SS2 punpckhwd, g_int16
        SS2 punpckhdq, g_int32
        SS2 punpckhqdq, g_int64
        SS2 punpcklbw, g_int8
        SS2 punpcklwd, g_int16
        SS2 punpckldq, g_int32
        SS2 punpcklqdq, g_int64
        SS2M punpcklbw, g_int8
        OP "maskmovdqu", g_int8, IO_O, maskmovdqu xmm0, xmm1
        OP "movntdq", g_int8, IO_O, movntdq [OUTM], xmm1
        OP "movnti", g_int32, IO_O, movnti [OUTM], eax
        OP "movdqu_u", g_int8, XX|IO_U, movdqu xmm0, [UNAL]
        OP "movdqu_su", g_int8, IO_O|IO_U, movdqu [UNAL], xmm1
        OP "movupd_u", g_pd, XX|IO_U, movupd xmm0, [UNAL]
        OP "addsd_u", g_pd, XX|IO_U, addsd xmm0, [UNAL]
        OP "movsd_su", g_pd, IO_O|IO_U, movsd [UNAL], xmm1
        OP "cvtsd2ss_u", g_pd, XX|IO_U, cvtsd2ss xmm0, [UNAL]
        OP "paddq_u", g_int64, XX|IO_U, paddq xmm0, [UNAL]
        OP "movq_u", g_int64, XX|IO_U, movq xmm0, [UNAL]
        OP "movd_su", g_int32, IO_O|IO_U, movd [UNAL], xmm1
        OP "movntdq_u", g_int8, IO_O|IO_U, movntdq [UNAL], xmm1
        OP "cvtdq2pd_u", g_int32, XX|IO_U, cvtdq2pd xmm0, [UNAL]
        OP "movhpd_u", g_pd, XX|IO_U, movhpd xmm0, [UNAL]
        OP "punpckl_u", g_int8, XX|IO_U, punpcklbw xmm0, [UNAL]
        OP "maskmovdq_u", g_int8, IO_O|IO_U, MASKDQ_U
        SECTION_END

        PM_ROM_END
