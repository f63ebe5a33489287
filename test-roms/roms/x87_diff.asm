; x87_diff.asm - differential test of the x87 FPU: NOPS pseudo-random
; operations, each printed on port E9h as one line with its operands, its
; results and the status word, for comparison with a reference run.
;
; The reference is this ROM under QEMU (soft-float x87, 80-bit):
;       qemu-system-i386 -display none -bios x87_diff.bin \
;           -debugcon file:x87_diff.expected \
;           -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
; committed as x87_diff.expected; machine/tests/x87_diff.rs runs the ROM
; under oxbox and compares line by line.  Where QEMU departs from the Intel
; SDM the test follows the SDM instead: see docs/x87-differences.md and
; x87_diff_sdm.py (which writes the per-line corrections, x87_diff.sdm).
;
; Each operation: FNINIT, FLDCW with every exception masked and a random
; precision control (all four values; 01 is reserved and acts as 64 bits)
; and rounding control, operands loaded exactly (FLD m80, or the memory
; operand of the instruction under test), the instruction, FNSTSW, then
; whatever it left on the register stack is popped with FSTP m80 (exact).
; Line format (all numbers hex, memory images most significant byte first):
;
;   IIII name pPrR in... > [mem-result] [ST0 [ST1]] sw=SSSS
;
;   IIII    operation number
;   name    the instruction (suffix 16/32/64: memory operand size, 80:
;           FLD m80); a = first input = ST(0), b = second input = ST(1) or
;           the memory operand
;   pPrR    precision control P and rounding control R from the control word
;   in...   the inputs: 20 digits for 80-bit values, 16/8/4 for m64/m32/m16
;   >       then the memory result (FIST*, FBSTP, FST*) if any, then every
;           register left on the stack, ST(0) first (20 digits each)
;   sw      the status word right after the instruction (C3..C0, TOP, flags)
;
; Operand mix (see g80_any): typical normals, the whole exponent range, near
; overflow/underflow, the single/double format edges, denormals,
; pseudo-denormals, zeros, infinities, QNaNs (and the real indefinite),
; SNaNs, unsupported encodings (unnormals, pseudo-infinities, pseudo-NaNs),
; special constants (largest/smallest finite, integer and BCD conversion
; limits, float/double limits and their rounding ties), integers with 0-2
; fraction bits (rounding ties), and mantissas shaped for rounding (short,
; ties and near-ties at the 24- and 53-bit positions).  Transcendental
; operands stay in the architecturally defined domains (F2XM1 |x| <= 1,
; FYL2XP1 |x| < 1 - sqrt(2)/2); FSIN/FCOS/FSINCOS/FPTAN also get |x| >= 2^63
; (C2 = 1, operand unchanged).  Stack faults are not exercised (QEMU does
; not model the tag word on arithmetic).
;
; At the end: "PASS x87_diff", DONE, 0 failures (the ROM checks nothing
; itself, so every_test_rom_passes and cross-check.sh just see it complete).

%include "pm.inc"

NOPS    equ 12000               ; operations

RNG     equ 0x3000              ; dword: xorshift32 state
CW      equ 0x3004              ; word: control word for this operation
SWV     equ 0x3006              ; word: status word after the instruction
CUROP   equ 0x3008              ; dword: CS offset of the op table entry
DEPTH   equ 0x300C              ; dword: registers left on the stack
IN0     equ 0x3010              ; 16 bytes: input a (ST0)
IN1     equ 0x3020              ; 16 bytes: input b (ST1 or memory operand)
OUTM    equ 0x3030              ; 16 bytes: memory result
OUTR0   equ 0x3040              ; 16 bytes: ST0 after the instruction
OUTR1   equ 0x3050              ; 16 bytes: ST1 after the instruction
PICK    equ 0x3100              ; 256 bytes: weighted op choice

OPSIZE  equ 20                  ; op table entry size

        INIT
        PM_INIT
        mov eax, cr0
        and eax, ~0x0C          ; EM = TS = 0
        or eax, 0x22            ; MP, NE
        mov cr0, eax
        mov dword [RNG], 0x2545F491
        call build_pick
        xor ebp, ebp
.loop:  call one_op
        inc ebp
        cmp ebp, NOPS
        jb .loop
        mov esi, str_pass
        call puts32
        mov esi, str_me
        call puts32
        PM_FINISH

str_me: db "x87_diff", 10, 0

        bits 32

; build_pick: fill PICK[0..255] with op indices, each op as often as its
; weight (the weights sum to 256).
build_pick:
        mov edi, PICK
        mov ebx, op_table
        xor edx, edx            ; op index
.op:    cmp ebx, op_table_end
        jae .done
        movzx ecx, byte [cs:ebx+19]
.w:     jecxz .next
        mov [edi], dl
        inc edi
        dec ecx
        jmp .w
.next:  add ebx, OPSIZE
        inc edx
        jmp .op
.done:  cmp edi, PICK+256
        je .ok
        mov esi, str_badw
        call puts32
        call count_fail32
.ok:    ret
str_badw: db "FAIL x87_diff: op weights do not sum to 256", 10, 0

; ---------------------------------------------------------------- one op
one_op:
        call rnd
        movzx eax, al
        movzx eax, byte [PICK+eax]
        imul ebx, eax, OPSIZE
        add ebx, op_table
        mov [CUROP], ebx
        mov ecx, 16
        call rndn               ; PC in bits 0-1, RC in bits 2-3
        shl eax, 8
        or eax, 0x007F
        mov [CW], ax
        mov edi, IN0
        mov ecx, (OUTR1+16-IN0)/4
        xor eax, eax
        rep stosd
        mov ebx, [CUROP]
        call dword [cs:ebx+8]   ; generate the operands
        mov ebx, [CUROP]
        call dword [cs:ebx+12]  ; run the instruction
        fnstsw ax               ; what is left on the stack
        shr eax, 11
        neg eax
        and eax, 7
        mov [DEPTH], eax
        cmp eax, 2
        jbe .depth_ok
        fninit
        mov esi, str_baddepth
        call puts32
        call count_fail32
        mov dword [DEPTH], 0
.depth_ok:
        cmp dword [DEPTH], 1
        jb .print
        fstp tword [OUTR0]
        cmp dword [DEPTH], 2
        jb .print
        fstp tword [OUTR1]
.print: mov ebx, [CUROP]
        mov eax, ebp
        call hexword
        mov al, ' '
        out 0xE9, al
        mov ecx, 8
        mov esi, ebx
.name:  mov al, [cs:esi]
        test al, al
        jz .named
        out 0xE9, al
        inc esi
        loop .name
.named: mov al, ' '
        out 0xE9, al
        mov al, 'p'
        out 0xE9, al
        mov al, [CW+1]
        and al, 3
        call hexnib
        mov al, 'r'
        out 0xE9, al
        mov al, [CW+1]
        shr al, 2
        and al, 3
        call hexnib
        movzx ecx, byte [cs:ebx+16]
        mov esi, IN0
        call field
        movzx ecx, byte [cs:ebx+17]
        mov esi, IN1
        call field
        mov al, ' '
        out 0xE9, al
        mov al, '>'
        out 0xE9, al
        movzx ecx, byte [cs:ebx+18]
        mov esi, OUTM
        call field
        mov ecx, 10
        cmp dword [DEPTH], 1
        jb .sw
        mov esi, OUTR0
        call field
        cmp dword [DEPTH], 2
        jb .sw
        mov esi, OUTR1
        mov ecx, 10
        call field
.sw:    mov esi, str_sw
        call puts32
        mov ax, [SWV]
        call hexword
        mov al, 10
        out 0xE9, al
        ret
str_baddepth: db "FAIL x87_diff: more than two registers left", 10, 0
str_sw: db " sw=", 0

; field: if ECX != 0, print " " and the ECX-byte value at ESI.
field:  jecxz .none
        mov al, ' '
        out 0xE9, al
        jmp hexmem
.none:  ret

; hexmem: print the ECX bytes at ESI, most significant (highest) first.
hexmem:
.l:     mov al, [esi+ecx-1]
        call hexbyte
        loop .l
        ret

hexword:                        ; AX
        push eax
        mov al, ah
        call hexbyte
        pop eax
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
hexnib:                         ; low nibble of AL (AL must be < 16)
        add al, '0'
        cmp al, '9'
        jbe .o
        add al, 'A' - '0' - 10
.o:     out 0xE9, al
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

; rsign: random sign for the 80-bit value at EDI.
rsign:
        push eax
        call rnd
        and al, 0x80
        xor [edi+9], al
        pop eax
        ret

; ---------------------------------------------------------------- 80-bit values
; All generators write the value at EDI and may change EAX, ECX, EDX, EBX,
; ESI.  They preserve EDI and EBP.

; rmant: random 64-bit significand with the integer bit set at [EDI],
; sometimes shaped: short (low bits clear), a tie or a near-tie at the
; double (53-bit) or single (24-bit) rounding position.
rmant:
        call rnd
        mov [edi], eax
        call rnd
        or eax, 0x80000000
        mov [edi+4], eax
        mov ecx, 8
        call rndn
        cmp eax, 4
        jb .done
        je .short
        cmp eax, 6
        jb .tie53
        je .tie24
        mov ecx, 4
        call rndn
        cmp eax, 1
        jb .n0
        je .n1
        cmp eax, 2
        je .n2
        mov dword [edi], 1              ; just above the 24-bit tie
        and dword [edi+4], ~0xFF
        or dword [edi+4], 0x80
        ret
.n2:    mov dword [edi], 0xFFFFFFFF     ; just below the 24-bit tie
        and dword [edi+4], ~0xFF
        or dword [edi+4], 0x7F
        ret
.n1:    and dword [edi], ~0x7FF         ; just above the 53-bit tie
        or dword [edi], 0x401
        ret
.n0:    and dword [edi], ~0x7FF         ; just below the 53-bit tie
        or dword [edi], 0x3FF
        ret
.tie53: and dword [edi], ~0x7FF
        or dword [edi], 0x400
        ret
.tie24: mov dword [edi], 0
        and dword [edi+4], ~0xFF
        or dword [edi+4], 0x80
        ret
.short: mov ecx, 64
        call rndn                       ; clear the low EAX bits
        mov ecx, eax
        xor eax, eax
        not eax
        xor edx, edx
        not edx                         ; EDX:EAX = mask of the kept bits
        cmp ecx, 32
        jb .s
        xor eax, eax
        sub ecx, 32
        shl edx, cl
        jmp .m
.s:     shl eax, cl
.m:     and [edi], eax
        and [edi+4], edx
        or dword [edi+4], 0x80000000
.done:  ret

; g80_norm: normal value, biased exponent EBX +- ECX (clamped to 1..7FFE),
; shaped random significand, random sign.
g80_norm:
        push ecx
        lea ecx, [ecx*2+1]
        call rndn
        pop ecx
        sub eax, ecx
        add eax, ebx
        cmp eax, 1
        jge .lo
        mov eax, 1
.lo:    cmp eax, 0x7FFE
        jle .hi
        mov eax, 0x7FFE
.hi:    mov [edi+8], ax
        call rmant
        jmp rsign

; g80_intish: |value| in [2^(m-1), 2^m) with m = EBX + random(ECX) and at
; most 2 fraction bits (m = 0: 0.5 or 0.75); random sign.
g80_intish:
        call rndn
        add ebx, eax                    ; m
        jnz .m
        mov word [edi+8], 0x3FFE
        call rnd
        or eax, 0x80000000
        and eax, 0xC0000000
        mov [edi+4], eax
        mov dword [edi], 0
        jmp rsign
.m:     lea eax, [ebx+0x3FFE]
        mov [edi+8], ax
        call rnd
        mov [edi], eax
        call rnd
        or eax, 0x80000000
        mov [edi+4], eax
        mov ecx, 3
        call rndn
        add ebx, eax                    ; bits kept
        cmp ebx, 64
        jae .done
        mov ecx, 64
        sub ecx, ebx                    ; low bits to clear (1..64)
        xor eax, eax
        not eax
        xor edx, edx
        not edx
        cmp ecx, 32
        jb .s
        xor eax, eax
        sub ecx, 32
        shl edx, cl
        jmp .m2
.s:     shl eax, cl
.m2:    and [edi], eax
        and [edi+4], edx
.done:  jmp rsign

; g80_const: a special constant from const80, random sign.
g80_const:
        mov ecx, (const80_end-const80)/10
        call rndn
        imul esi, eax, 10
        add esi, const80
        mov eax, [cs:esi]
        mov [edi], eax
        mov eax, [cs:esi+4]
        mov [edi+4], eax
        mov ax, [cs:esi+8]
        mov [edi+8], ax
        jmp rsign

; g80_fmtedge: exponent near a single/double/extended range edge.
g80_fmtedge:
        mov ecx, (fmt_exps_end-fmt_exps)/2
        call rndn
        movzx ebx, word [cs:fmt_exps+eax*2]
        mov ecx, 2
        jmp g80_norm

; g80_denormal: exponent 0, integer bit 0, nonzero random significand.
g80_denormal:
        call rnd
        mov edx, eax
        call rnd
        push eax
        mov ecx, 63
        call rndn
        lea ecx, [eax+1]                ; shift 1..63
        pop eax
        cmp ecx, 32
        jb .s
        mov eax, edx
        xor edx, edx
        sub ecx, 32
.s:     shrd eax, edx, cl
        shr edx, cl
        mov ecx, eax
        or ecx, edx
        jnz .nz
        inc eax
.nz:    mov [edi], eax
        mov [edi+4], edx
        mov word [edi+8], 0
        jmp rsign

; g80_any: the general operand mix (weights out of 64).
g80_any:
        mov ecx, 64
        call rndn
        cmp eax, 24
        jb .typical
        cmp eax, 32
        jb .wide
        cmp eax, 36
        jb .over
        cmp eax, 40
        jb .under
        cmp eax, 44
        jb g80_fmtedge
        cmp eax, 47
        jb g80_denormal
        cmp eax, 48
        jb .pseudoden
        cmp eax, 50
        jb .zero
        cmp eax, 52
        jb .inf
        cmp eax, 54
        jb .qnan
        cmp eax, 56
        jb .snan
        cmp eax, 57
        jb .unsupported
        cmp eax, 60
        jb g80_const
        xor ebx, ebx
        mov ecx, 66
        jmp g80_intish
.typical:
        mov ebx, 0x3FFF
        mov ecx, 40
        jmp g80_norm
.wide:  mov ebx, 0x3FFF
        mov ecx, 0x3FFE
        jmp g80_norm
.over:  mov ebx, 0x7FFE
        mov ecx, 40
        jmp g80_norm
.under: mov ebx, 1
        mov ecx, 40
        jmp g80_norm
.pseudoden:
        call rnd
        mov [edi], eax
        call rnd
        or eax, 0x80000000
        mov [edi+4], eax
        mov word [edi+8], 0
        jmp rsign
.zero:  mov dword [edi], 0
        mov dword [edi+4], 0
        mov word [edi+8], 0
        jmp rsign
.inf:   mov dword [edi], 0
        mov dword [edi+4], 0x80000000
        mov word [edi+8], 0x7FFF
        jmp rsign
.qnan:  mov word [edi+8], 0x7FFF
        mov ecx, 4
        call rndn
        test eax, eax
        jnz .qpay
        mov dword [edi], 0                ; the real indefinite (after sign)
        mov dword [edi+4], 0xC0000000
        jmp rsign
.qpay:  call rnd
        mov [edi], eax
        call rnd
        or eax, 0xC0000000
        mov [edi+4], eax
        jmp rsign
.snan:  mov word [edi+8], 0x7FFF
        mov ecx, 4
        call rndn
        test eax, eax
        jnz .spay
        mov dword [edi], 1
        mov dword [edi+4], 0x80000000
        jmp rsign
.spay:  call rnd
        or eax, 1
        mov [edi], eax
        call rnd
        and eax, 0x3FFFFFFF
        or eax, 0x80000000
        mov [edi+4], eax
        jmp rsign
.unsupported:
        call rnd
        mov [edi], eax
        call rnd
        and eax, 0x7FFFFFFF             ; integer bit clear
        mov [edi+4], eax
        mov ecx, 3
        call rndn
        cmp eax, 1
        jb .unnormal
        je .pinf
        or dword [edi], 1               ; pseudo-NaN
        mov word [edi+8], 0x7FFF
        jmp rsign
.pinf:  mov dword [edi], 0
        mov dword [edi+4], 0
        mov word [edi+8], 0x7FFF
        jmp rsign
.unnormal:
        mov ecx, 0x7FFE
        call rndn
        inc eax
        mov [edi+8], ax
        jmp rsign

; g80_rel: a value related to the one at ESI: equal, nearly equal, or with
; an exponent within 70 of it.
g80_rel:
        movzx eax, word [esi+8]
        and eax, 0x7FFF
        jz g80_any
        cmp eax, 0x7FFF
        je g80_any
        mov ebx, eax
        mov ecx, 8
        call rndn
        cmp eax, 2
        jae .near
        mov edx, eax
        mov eax, [esi]
        mov [edi], eax
        mov eax, [esi+4]
        mov [edi+4], eax
        mov ax, [esi+8]
        mov [edi+8], ax
        test edx, edx
        jz rsign                        ; equal magnitude
        mov ecx, 32                     ; the low bits changed
        call rndn
        mov ecx, eax
        call rnd
        shr eax, cl
        xor [edi], eax
        jmp rsign
.near:  mov ecx, 70
        jmp g80_norm

; ---------------------------------------------------------------- m32/m64
; g64_any: a double bit pattern at EDI.
g64_any:
        mov ecx, 16
        call rndn
        cmp eax, 8
        jb .norm
        cmp eax, 10
        jb .wide
        je .den
        cmp eax, 12
        jb .zero
        je .inf
        cmp eax, 14
        jb .qnan
        je .snan
        mov ecx, 4                      ; extremes
        call rndn
        mov edx, [cs:c64+eax*8]
        mov [edi], edx
        mov edx, [cs:c64+eax*8+4]
        mov [edi+4], edx
        jmp .sign
.norm:  mov ecx, 81
        call rndn
        add eax, 1023-40
        jmp .put
.wide:  mov ecx, 2046
        call rndn
        inc eax
.put:   shl eax, 20
        mov edx, eax
        call rnd
        and eax, 0xFFFFF
        or eax, edx
        mov [edi+4], eax
        call rnd
        mov [edi], eax
        jmp .sign
.den:   call rnd
        mov [edi], eax
        call rnd
        and eax, 0xFFFFF
        push eax
        mov ecx, 20
        call rndn
        mov ecx, eax
        pop eax
        shr eax, cl
        mov [edi+4], eax
        or eax, [edi]
        jnz .sign
        mov dword [edi], 1
        jmp .sign
.zero:  mov dword [edi], 0
        mov dword [edi+4], 0
        jmp .sign
.inf:   mov dword [edi], 0
        mov dword [edi+4], 0x7FF00000
        jmp .sign
.qnan:  call rnd
        mov [edi], eax
        call rnd
        or eax, 0x7FF80000
        mov [edi+4], eax
        jmp .sign
.snan:  call rnd
        or eax, 1
        mov [edi], eax
        call rnd
        and eax, 0x0007FFFF
        or eax, 0x7FF00000
        mov [edi+4], eax
.sign:  call rnd
        and al, 0x80
        xor [edi+7], al
        ret

; g32_any: a float bit pattern at EDI.
g32_any:
        mov ecx, 16
        call rndn
        cmp eax, 8
        jb .norm
        cmp eax, 10
        jb .wide
        je .den
        cmp eax, 12
        jb .zero
        je .inf
        cmp eax, 14
        jb .qnan
        je .snan
        mov ecx, 4
        call rndn
        mov edx, [cs:c32+eax*4]
        mov [edi], edx
        jmp .sign
.norm:  mov ecx, 81
        call rndn
        add eax, 127-40
        jmp .put
.wide:  mov ecx, 254
        call rndn
        inc eax
.put:   shl eax, 23
        mov edx, eax
        call rnd
        and eax, 0x7FFFFF
        or eax, edx
        mov [edi], eax
        jmp .sign
.den:   call rnd
        and eax, 0x7FFFFF
        push eax
        mov ecx, 23
        call rndn
        mov ecx, eax
        pop eax
        shr eax, cl
        jnz .dput
        inc eax
.dput:  mov [edi], eax
        jmp .sign
.zero:  mov dword [edi], 0
        jmp .sign
.inf:   mov dword [edi], 0x7F800000
        jmp .sign
.qnan:  call rnd
        or eax, 0x7FC00000
        and eax, 0x7FFFFFFF
        mov [edi], eax
        jmp .sign
.snan:  call rnd
        and eax, 0x003FFFFF
        or eax, 0x7F800001
        mov [edi], eax
.sign:  call rnd
        and al, 0x80
        xor [edi+3], al
        ret

; gint: a random integer of ECX bytes (2, 4 or 8) at EDI, of random width.
gint:
        push ecx
        call rnd
        mov [edi], eax
        call rnd
        mov [edi+4], eax
        mov ecx, 64
        call rndn
        mov ecx, eax                    ; shift right by 0..63
        mov eax, [edi]
        mov edx, [edi+4]
        cmp ecx, 32
        jb .s
        mov eax, edx
        sar edx, 31
        sub ecx, 32
.s:     shrd eax, edx, cl
        sar edx, cl
        pop ecx
        cmp ecx, 4
        jb .w16
        je .w32
        mov [edi], eax
        mov [edi+4], edx
        ret
.w32:   mov [edi], eax
        mov dword [edi+4], 0
        ret
.w16:   mov [edi], ax
        mov word [edi+2], 0
        mov dword [edi+4], 0
        ret

; ---------------------------------------------------------------- generators
gen_none:
        ret

gen_a:                                  ; a = any
        mov edi, IN0
        jmp g80_any

gen_bin:                                ; a, b = any or related
        mov edi, IN0
        call g80_any
        mov edi, IN1
        mov ecx, 2
        call rndn
        test eax, eax
        jz g80_any
        mov esi, IN0
        jmp g80_rel

gen_bin64:
        mov edi, IN0
        call g80_any
        mov edi, IN1
        call g64_any
        jmp pc24_m64

; pc24_m64: with precision control 24 bits, keep only the top 23 fraction
; bits of a finite m64 operand at EDI.  QEMU 7.2 rounds the m64 -> extended
; conversion (FLD m64, FADD m64, FCOM m64, ...) to the precision control,
; setting PE and changing the value; the SDM makes the conversion exact
; (precision control only affects FADD..FSQRT results, vol. 1 8.1.5.2), so
; such operands would only measure that QEMU bug (docs/x87-differences.md).
pc24_m64:
        test byte [CW+1], 3
        jnz .ret
        mov eax, [edi+4]
        and eax, 0x7FF00000
        cmp eax, 0x7FF00000
        je .ret
        and dword [edi], 0xE0000000
.ret:   ret

gen_bin32:
        mov edi, IN0
        call g80_any
        mov edi, IN1
        jmp g32_any

gen_cmp:                                ; like gen_bin, often equal
        mov edi, IN0
        call g80_any
        mov edi, IN1
        mov ecx, 4
        call rndn
        test eax, eax
        jz g80_any
        cmp eax, 1
        jne .rel
        mov eax, [IN0]
        mov [IN1], eax
        mov eax, [IN0+4]
        mov [IN1+4], eax
        mov ax, [IN0+8]
        mov [IN1+8], ax
        mov ecx, 4                      ; sometimes the other sign (zeros)
        call rndn
        test eax, eax
        jnz .ret
        xor byte [IN1+9], 0x80
.ret:   ret
.rel:   mov esi, IN0
        jmp g80_rel

gen_sqrt:
        mov edi, IN0
        call g80_any
        mov ecx, 4
        call rndn
        test eax, eax
        jz .ret
        and byte [IN0+9], 0x7F
.ret:   ret

gen_prem:                               ; b's exponent 4 above to 100 below a's
        mov ecx, 8
        call rndn
        test eax, eax
        jnz .rel
        mov edi, IN0
        call g80_any
        mov edi, IN1
        jmp g80_any
.rel:   mov edi, IN0
        mov ebx, 0x3FFF
        mov ecx, 30
        call g80_norm
        mov ecx, 105
        call rndn
        movzx ebx, word [IN0+8]
        and ebx, 0x7FFF
        sub ebx, eax
        add ebx, 4
        mov edi, IN1
        xor ecx, ecx
        jmp g80_norm

gen_rndint:
        mov edi, IN0
        mov ecx, 8
        call rndn
        cmp eax, 3
        jb g80_any
        xor ebx, ebx
        mov ecx, 66
        jmp g80_intish

gen_scale:
        mov edi, IN0
        call g80_any
        mov edi, IN1
        mov ecx, 8
        call rndn
        cmp eax, 4
        jb .small
        cmp eax, 6
        jb .big
        jmp g80_any
.small: xor ebx, ebx
        mov ecx, 16
        jmp g80_intish
.big:   mov ebx, 16
        mov ecx, 20
        jmp g80_intish

; integer conversions: EBX/ECX = the magnitude range for g80_intish
%macro GEN_INT 2
        mov edi, IN0
        mov ecx, 8
        call rndn
        cmp eax, 4
        jb %%int
        cmp eax, 6
        jb g80_const
        jmp g80_any
%%int:  mov ebx, %1
        mov ecx, %2
        jmp g80_intish
%endmacro
gen_int16:
        GEN_INT 12, 6
gen_int32:
        GEN_INT 28, 6
gen_int64:
        GEN_INT 60, 6
gen_bcd:
        GEN_INT 55, 8

gen_ld32:
        mov edi, IN0
        jmp g32_any
gen_ld64:
        mov edi, IN0
        call g64_any
        jmp pc24_m64

gen_st:                                 ; FST m32/m64: format edges often
        mov edi, IN0
        mov ecx, 4
        call rndn
        test eax, eax
        jz g80_fmtedge
        jmp g80_any

gen_ild16:
        mov edi, IN0
        mov ecx, 2
        jmp gint
gen_ild32:
        mov edi, IN0
        mov ecx, 4
        jmp gint
gen_ild64:
        mov edi, IN0
        mov ecx, 8
        jmp gint

gen_trig:                               ; FSIN FCOS FSINCOS FPTAN
        mov edi, IN0
        mov ecx, 16
        call rndn
        cmp eax, 10
        jb .mid
        cmp eax, 12
        jb .tiny
        je .large
        cmp eax, 14
        jb .huge
        jmp g80_any
.mid:   mov ebx, 0x3FFF-7               ; 2^-14 .. 2^6
        mov ecx, 13
        jmp g80_norm
.tiny:  mov ebx, 0x3FFF-45
        mov ecx, 30
        jmp g80_norm
.large: mov ebx, 0x3FFF+34
        mov ecx, 28
        jmp g80_norm
.huge:  mov ebx, 0x3FFF+64              ; 2^63 .. 2^65: C2 = 1
        mov ecx, 1
        jmp g80_norm

; gen_y: ST1 for FPATAN FYL2X FYL2XP1
gen_y:
        mov edi, IN1
        mov ecx, 16
        call rndn
        cmp eax, 14
        jae g80_any
        mov ebx, 0x3FFF
        mov ecx, 20
        jmp g80_norm

gen_patan:                              ; a = x (ST0), b = y (ST1)
        call gen_y
        mov edi, IN0
        mov ecx, 8
        call rndn
        test eax, eax
        jz g80_any
        mov ebx, 0x3FFF
        mov ecx, 20
        cmp eax, 1
        jne g80_norm
        mov ecx, 80
        jmp g80_norm

; clamp_exp: if the value at EDI is finite and nonzero with a biased
; exponent above EBX, make the exponent EBX (keeps it in the domain).
clamp_exp:
        movzx eax, word [edi+8]
        and eax, 0x7FFF
        cmp eax, 0x7FFF
        je .ret
        cmp eax, ebx
        jbe .ret
        and word [edi+8], 0x8000
        or [edi+8], bx
.ret:   ret

gen_f2xm1:                              ; -1 <= x <= 1
        mov edi, IN0
        mov ecx, 16
        call rndn
        cmp eax, 8
        jb .near1
        cmp eax, 12
        jb .small
        je .one
        cmp eax, 13
        je .tiny
        call g80_any
        mov ebx, 0x3FFE
        jmp clamp_exp
.near1: mov ebx, 0x3FFA
        mov ecx, 4
        jmp g80_norm
.small: mov ebx, 0x3FDE
        mov ecx, 32
        jmp g80_norm
.one:   mov dword [edi], 0
        mov dword [edi+4], 0x80000000
        mov word [edi+8], 0x3FFF
        jmp rsign
.tiny:  mov ebx, 40
        mov ecx, 40
        jmp g80_norm

gen_fyl2x:                              ; x > 0 mostly
        call gen_y
        mov edi, IN0
        mov ecx, 16
        call rndn
        cmp eax, 10
        jb .pos
        cmp eax, 12
        jb .near1
        je .den
        jmp g80_any
.pos:   mov ebx, 0x3FFF
        mov ecx, 60
        call g80_norm
        and byte [edi+9], 0x7F
        ret
.near1: call rnd                        ; 1 + small or 1 - small
        test al, 1
        jz .below
        call rnd
        mov ecx, eax
        and ecx, 31
        call rnd
        shr eax, cl
        mov [edi], eax
        mov dword [edi+4], 0x80000000
        mov word [edi+8], 0x3FFF
        ret
.below: call rnd
        mov ecx, eax
        and ecx, 31
        call rnd
        shr eax, cl
        not eax
        mov [edi], eax
        mov dword [edi+4], 0xFFFFFFFF
        mov word [edi+8], 0x3FFE
        ret
.den:   call g80_denormal
        and byte [edi+9], 0x7F
        ret

gen_fyl2xp1:                            ; |x| < 1 - sqrt(2)/2
        call gen_y
        mov edi, IN0
        mov ecx, 16
        call rndn
        cmp eax, 12
        jb .small
        cmp eax, 14
        jb .big
        je .tiny
        call g80_any
        mov ebx, 0x3FFC
        jmp clamp_exp
.small: mov ebx, 0x3FDC
        mov ecx, 32
        jmp g80_norm
.big:   mov ebx, 0x3FFA
        mov ecx, 2
        jmp g80_norm
.tiny:  mov ebx, 40
        mov ecx, 40
        jmp g80_norm

; ---------------------------------------------------------------- executors
; Each runs one instruction on the operands and stores the status word in
; SWV right after it; what it leaves on the register stack is printed.
fpu_setup:
        fninit
        fldcw [CW]
        ret

%macro EX_AB 1+                          ; ST0 = a, ST1 = b; keep ST0
        call fpu_setup
        fld tword [IN1]
        fld tword [IN0]
        %1
        fnstsw [SWV]
        fstp st1
        ret
%endmacro
%macro EX_AB2 1+                         ; ST0 = a, ST1 = b; the instruction pops
        call fpu_setup
        fld tword [IN1]
        fld tword [IN0]
        %1
        fnstsw [SWV]
        ret
%endmacro
%macro EX_A 1+                           ; ST0 = a
        call fpu_setup
        fld tword [IN0]
        %1
        fnstsw [SWV]
        ret
%endmacro
%macro EX_AM 1+                          ; ST0 = a, memory operand b
        call fpu_setup
        fld tword [IN0]
        %1
        fnstsw [SWV]
        ret
%endmacro
%macro EX_CMP 1+                         ; compare, then empty the stack
        call fpu_setup
        fld tword [IN1]
        fld tword [IN0]
        %1
        fnstsw [SWV]
        fninit
        ret
%endmacro
%macro EX_ST 1+                          ; store ST0 = a to OUTM, empty the stack
        call fpu_setup
        fld tword [IN0]
        %1
        fnstsw [SWV]
        fninit
        ret
%endmacro
%macro EX_LD 1+                          ; load from IN0
        call fpu_setup
        %1
        fnstsw [SWV]
        ret
%endmacro

ex_fadd:    EX_AB fadd st0, st1
ex_fsub:    EX_AB fsub st0, st1
ex_fsubr:   EX_AB fsubr st0, st1
ex_fmul:    EX_AB fmul st0, st1
ex_fdiv:    EX_AB fdiv st0, st1
ex_fdivr:   EX_AB fdivr st0, st1
ex_fadd64:  EX_AM fadd qword [IN1]
ex_fmul64:  EX_AM fmul qword [IN1]
ex_fdiv64:  EX_AM fdiv qword [IN1]
ex_fsub32:  EX_AM fsub dword [IN1]
ex_fmul32:  EX_AM fmul dword [IN1]
ex_fdivr32: EX_AM fdivr dword [IN1]
ex_fsqrt:   EX_A fsqrt
ex_fprem:   EX_AB fprem
ex_fprem1:  EX_AB fprem1
ex_frndint: EX_A frndint
ex_fscale:  EX_AB fscale
ex_fxtract: EX_A fxtract
ex_fcom:    EX_CMP fcom st1
ex_fucom:   EX_CMP fucom st1
ex_fcom64:  EX_ST fcom qword [IN1]
ex_ftst:    EX_ST ftst
ex_fxam:    EX_ST fxam
ex_fist16:  EX_ST fist word [OUTM]
ex_fistp16: EX_ST fistp word [OUTM]
ex_fist32:  EX_ST fist dword [OUTM]
ex_fistp32: EX_ST fistp dword [OUTM]
ex_fistp64: EX_ST fistp qword [OUTM]
ex_fbstp:   EX_ST fbstp [OUTM]
ex_fld32:   EX_LD fld dword [IN0]
ex_fld64:   EX_LD fld qword [IN0]
ex_fld80:   EX_LD fld tword [IN0]
ex_fst32:   EX_ST fst dword [OUTM]
ex_fstp32:  EX_ST fstp dword [OUTM]
ex_fst64:   EX_ST fst qword [OUTM]
ex_fstp64:  EX_ST fstp qword [OUTM]
ex_fild16:  EX_LD fild word [IN0]
ex_fild32:  EX_LD fild dword [IN0]
ex_fild64:  EX_LD fild qword [IN0]
ex_fsin:    EX_A fsin
ex_fcos:    EX_A fcos
ex_fsincos: EX_A fsincos
ex_fptan:   EX_A fptan
ex_fpatan:  EX_AB2 fpatan
ex_f2xm1:   EX_A f2xm1
ex_fyl2x:   EX_AB2 fyl2x
ex_fyl2xp1: EX_AB2 fyl2xp1
ex_fldpi:   EX_LD fldpi
ex_fldl2e:  EX_LD fldl2e
ex_fldln2:  EX_LD fldln2

; ---------------------------------------------------------------- tables
; OPDEF name, generator, executor, a bytes, b bytes, memory result bytes,
; weight (the weights sum to 256)
%macro OPDEF 7
%%s:    db %1
        times 8-($-%%s) db 0
        dd %2, %3
        db %4, %5, %6, %7
%endmacro

op_table:
        OPDEF "fadd",    gen_bin,     ex_fadd,    10, 10, 0, 10
        OPDEF "fsub",    gen_bin,     ex_fsub,    10, 10, 0, 8
        OPDEF "fsubr",   gen_bin,     ex_fsubr,   10, 10, 0, 6
        OPDEF "fmul",    gen_bin,     ex_fmul,    10, 10, 0, 10
        OPDEF "fdiv",    gen_bin,     ex_fdiv,    10, 10, 0, 10
        OPDEF "fdivr",   gen_bin,     ex_fdivr,   10, 10, 0, 6
        OPDEF "fadd64",  gen_bin64,   ex_fadd64,  10, 8, 0, 3
        OPDEF "fmul64",  gen_bin64,   ex_fmul64,  10, 8, 0, 3
        OPDEF "fdiv64",  gen_bin64,   ex_fdiv64,  10, 8, 0, 3
        OPDEF "fsub32",  gen_bin32,   ex_fsub32,  10, 4, 0, 3
        OPDEF "fmul32",  gen_bin32,   ex_fmul32,  10, 4, 0, 3
        OPDEF "fdivr32", gen_bin32,   ex_fdivr32, 10, 4, 0, 2
        OPDEF "fsqrt",   gen_sqrt,    ex_fsqrt,   10, 0, 0, 10
        OPDEF "fprem",   gen_prem,    ex_fprem,   10, 10, 0, 8
        OPDEF "fprem1",  gen_prem,    ex_fprem1,  10, 10, 0, 8
        OPDEF "frndint", gen_rndint,  ex_frndint, 10, 0, 0, 10
        OPDEF "fscale",  gen_scale,   ex_fscale,  10, 10, 0, 8
        OPDEF "fxtract", gen_a,       ex_fxtract, 10, 0, 0, 5
        OPDEF "fcom",    gen_cmp,     ex_fcom,    10, 10, 0, 7
        OPDEF "fucom",   gen_cmp,     ex_fucom,   10, 10, 0, 5
        OPDEF "fcom64",  gen_bin64,   ex_fcom64,  10, 8, 0, 3
        OPDEF "ftst",    gen_a,       ex_ftst,    10, 0, 0, 3
        OPDEF "fxam",    gen_a,       ex_fxam,    10, 0, 0, 4
        OPDEF "fist16",  gen_int16,   ex_fist16,  10, 0, 2, 4
        OPDEF "fistp16", gen_int16,   ex_fistp16, 10, 0, 2, 4
        OPDEF "fist32",  gen_int32,   ex_fist32,  10, 0, 4, 4
        OPDEF "fistp32", gen_int32,   ex_fistp32, 10, 0, 4, 4
        OPDEF "fistp64", gen_int64,   ex_fistp64, 10, 0, 8, 8
        OPDEF "fbstp",   gen_bcd,     ex_fbstp,   10, 0, 10, 8
        OPDEF "fld32",   gen_ld32,    ex_fld32,   4, 0, 0, 5
        OPDEF "fld64",   gen_ld64,    ex_fld64,   8, 0, 0, 5
        OPDEF "fld80",   gen_a,       ex_fld80,   10, 0, 0, 1
        OPDEF "fst32",   gen_st,      ex_fst32,   10, 0, 4, 6
        OPDEF "fstp32",  gen_st,      ex_fstp32,  10, 0, 4, 3
        OPDEF "fst64",   gen_st,      ex_fst64,   10, 0, 8, 6
        OPDEF "fstp64",  gen_st,      ex_fstp64,  10, 0, 8, 3
        OPDEF "fild16",  gen_ild16,   ex_fild16,  2, 0, 0, 1
        OPDEF "fild32",  gen_ild32,   ex_fild32,  4, 0, 0, 1
        OPDEF "fild64",  gen_ild64,   ex_fild64,  8, 0, 0, 2
        OPDEF "fsin",    gen_trig,    ex_fsin,    10, 0, 0, 7
        OPDEF "fcos",    gen_trig,    ex_fcos,    10, 0, 0, 7
        OPDEF "fsincos", gen_trig,    ex_fsincos, 10, 0, 0, 4
        OPDEF "fptan",   gen_trig,    ex_fptan,   10, 0, 0, 6
        OPDEF "fpatan",  gen_patan,   ex_fpatan,  10, 10, 0, 7
        OPDEF "f2xm1",   gen_f2xm1,   ex_f2xm1,   10, 0, 0, 7
        OPDEF "fyl2x",   gen_fyl2x,   ex_fyl2x,   10, 10, 0, 7
        OPDEF "fyl2xp1", gen_fyl2xp1, ex_fyl2xp1, 10, 10, 0, 6
        OPDEF "fldpi",   gen_none,    ex_fldpi,   0, 0, 0, 1
        OPDEF "fldl2e",  gen_none,    ex_fldl2e,  0, 0, 0, 1
op_table_end:

; biased exponents near the edges of the single, double and extended ranges
fmt_exps:
        dw 0x3FFF+127, 0x3FFF+128, 0x3FFF-126, 0x3FFF-127, 0x3FFF-149
        dw 0x3FFF-150, 0x3FFF+1023, 0x3FFF+1024, 0x3FFF-1022, 0x3FFF-1023
        dw 0x3FFF-1074, 0x3FFF-1075, 0x3FFF+63, 0x3FFF+31, 1, 0x7FFE
fmt_exps_end:

; special 80-bit constants (positive; a random sign is applied)
const80:
        dq 0x8000000000000000
        dw 0x3FFF ; 1.0
        dq 0x8000000000000000
        dw 0x3FFE ; 0.5
        dq 0xC000000000000000
        dw 0x3FFF ; 1.5
        dq 0xA000000000000000
        dw 0x4000 ; 2.5
        dq 0xFFFF000000000000
        dw 0x400D ; 32767.5
        dq 0x8000800000000000
        dw 0x400E ; 32768.5
        dq 0xFFFE000000000000
        dw 0x400D ; 32767
        dq 0x8000000000000000
        dw 0x400E ; 2^15
        dq 0xFFFFFFFF00000000
        dw 0x401D ; 2^31-0.5
        dq 0x8000000080000000
        dw 0x401E ; 2^31+0.5
        dq 0x8000000000000000
        dw 0x401E ; 2^31
        dq 0xFFFFFFFFFFFFFFFF
        dw 0x403D ; 2^63-0.5
        dq 0xFFFFFFFFFFFFFFFE
        dw 0x403D ; 2^63-1
        dq 0x8000000000000000
        dw 0x403E ; 2^63
        dq 0x8000000000000001
        dw 0x403E ; 2^63+1
        dq 0x8000000000000000
        dw 0x403F ; 2^64
        dq 0xDE0B6B3A76400000
        dw 0x403A ; 1e18
        dq 0xDE0B6B3A763FFFF8
        dw 0x403A ; 1e18-0.5
        dq 0xDE0B6B3A763FFFF0
        dw 0x403A ; 1e18-1
        dq 0xDE0B6B3A76400008
        dw 0x403A ; 1e18+0.5
        dq 0xFFFFFF0000000000
        dw 0x407E ; FLT_MAX
        dq 0xFFFFFF8000000000
        dw 0x407E ; FLT_MAX + half an ulp
        dq 0x8000000000000000
        dw 0x3F81 ; FLT_MIN
        dq 0x8000000000000000
        dw 0x3F6A ; 2^-149 (smallest float denormal)
        dq 0x8000000000000000
        dw 0x3F69 ; 2^-150
        dq 0xFFFFFFFFFFFFF800
        dw 0x43FE ; DBL_MAX
        dq 0xFFFFFFFFFFFFFC00
        dw 0x43FE ; DBL_MAX + half an ulp
        dq 0x8000000000000000
        dw 0x3C01 ; DBL_MIN
        dq 0x8000000000000000
        dw 0x3BCD ; 2^-1074 (smallest double denormal)
        dq 0x8000000000000000
        dw 0x3BCC ; 2^-1075
        dq 0xFFFFFFFFFFFFFFFF
        dw 0x7FFE ; largest finite
        dq 0x8000000000000000
        dw 0x0001 ; smallest normal
        dq 0x0000000000000001
        dw 0x0000 ; smallest denormal
        dq 0x7FFFFFFFFFFFFFFF
        dw 0x0000 ; largest denormal
        dq 0xC90FDAA22168C235
        dw 0x4000 ; pi
        dq 0xC000000000000000
        dw 0x3FFE ; 0.75
const80_end:

c64:    dq 0x7FEFFFFFFFFFFFFF, 0x0010000000000000, 1, 0x000FFFFFFFFFFFFF
c32:    dd 0x7F7FFFFF, 0x00800000, 1, 0x007FFFFF

        PM_ROM_END
