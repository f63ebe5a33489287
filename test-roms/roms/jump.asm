; jump.asm - JMP short/near/far/indirect (register, memory, far memory), all
; 16 Jcc conditions in short (7x) and near (0F 8x) form, forwards and
; backwards, LOOP/LOOPE/LOOPNE (CX and, with 67h, ECX), JCXZ/JECXZ, CALL
; indirect (register, memory, far memory).
%include "common.inc"

DATA    equ 0x1000
ALIAS   equ 0xEF00              ; CS alias of the ROM: EF00:(x+1000h) = F000:x

; JCC_ALL form, flags, expected, name: with FLAGS = flags, run Jcc for the
; 16 conditions (encoding order O NO B AE E NE BE A S NS P NP L GE LE G);
; a taken jump sets byte SCRATCH+n.  form = short (forward jumps) or near
; (0F 8x, backward jumps).  Checks the mask of taken jumps.
%macro JCC_ONE 3                ; form, cc, n
%ifidn %1, short
        j%2 short %%taken
        jmp short %%next
%%taken:
        mov byte [SCRATCH+%3], 1
%%next:
%else
        jmp short %%test
%%taken:
        mov byte [SCRATCH+%3], 1
        jmp near %%next
%%test:
        j%2 near %%taken
%%next:
%endif
%endmacro

%macro JCC_ALL 4+
        mov dword [SCRATCH], 0
        mov dword [SCRATCH+4], 0
        mov dword [SCRATCH+8], 0
        mov dword [SCRATCH+12], 0
        SETF %2
        JCC_ONE %1, o, 0
        JCC_ONE %1, no, 1
        JCC_ONE %1, b, 2
        JCC_ONE %1, ae, 3
        JCC_ONE %1, e, 4
        JCC_ONE %1, ne, 5
        JCC_ONE %1, be, 6
        JCC_ONE %1, a, 7
        JCC_ONE %1, s, 8
        JCC_ONE %1, ns, 9
        JCC_ONE %1, p, 10
        JCC_ONE %1, np, 11
        JCC_ONE %1, l, 12
        JCC_ONE %1, ge, 13
        JCC_ONE %1, le, 14
        JCC_ONE %1, g, 15
        CHECKF ARITH, %2, %4, ".f"
        xor dx, dx
        mov si, 15
%%l:    shl dx, 1
        or dl, [SCRATCH+si]
        dec si
        jns %%l
        CHECK16 dx, %3, %4
%endmacro

        INIT
        jmp tests

sub_ax1:
        mov ax, 1
        ret
sub_ax2:
        mov ax, 2
        ret
far_sub_cs:
        mov ax, cs
        retf

tests:
; ------------------------------------------------------------ JMP
        mov ax, 0
        jmp short .j1                   ; EB forward
        mov ax, 0xBAD
.j1:    CHECK16 ax, 0, "jmp_short_fwd"

        mov cx, 0
        jmp short .j2f
.j2b:   mov cx, 0x600D
        jmp short .j2e
.j2f:   jmp short .j2b                  ; EB backward
.j2e:   CHECK16 cx, 0x600D, "jmp_short_back"

        mov ax, 0
        jmp near .j3                    ; E9 over more than 127 bytes
        mov ax, 0xBAD
        times 200 nop
.j3:    CHECK16 ax, 0, "jmp_near_fwd"

        mov ax, 0
        jmp near .j4f
.j4b:   mov ax, 0x600D
        jmp near .j4e
        times 200 nop
.j4f:   jmp near .j4b                   ; E9 backward
.j4e:   CHECK16 ax, 0x600D, "jmp_near_back"

        mov ax, 0
        jmp ROMSEG:.j5                  ; EA
        mov ax, 0xBAD
.j5:    CHECK16 ax, 0, "jmp_far_direct"

        jmp ALIAS:.j6+0x1000            ; same bytes, other CS
.j6:    mov ax, cs
        jmp ROMSEG:.j6b
.j6b:   CHECK16 ax, ALIAS, "jmp_far_loads_cs"

        mov ax, 0
        mov bx, .j7
        jmp bx                          ; FF /4 reg
        mov ax, 0xBAD
.j7:    CHECK16 ax, 0, "jmp_reg"

        mov ax, 0
        mov word [DATA], .j8
        jmp [DATA]                      ; FF /4 mem
        mov ax, 0xBAD
.j8:    CHECK16 ax, 0, "jmp_mem"

        mov ax, 0
        mov word [DATA+4], .j9+0x1000
        mov word [DATA+6], ALIAS
        jmp far [DATA+4]                ; FF /5
        mov ax, 0xBAD
.j9:    mov bx, cs
        jmp ROMSEG:.j9b
.j9b:   CHECK16 ax, 0, "jmp_far_mem"
        CHECK16 bx, ALIAS, "jmp_far_mem_cs"

        mov ax, 0
        mov si, DATA+0x10
        mov word [si+2], .j10
        jmp [si+2]                      ; FF /4 with displacement
        mov ax, 0xBAD
.j10:   CHECK16 ax, 0, "jmp_mem_disp"

; ------------------------------------------------------------ Jcc, all conditions
        JCC_ALL short, 0, 0xAAAA, "jcc_short_none"
        JCC_ALL short, CF, 0xAA66, "jcc_short_cf"
        JCC_ALL short, ZF, 0x6A5A, "jcc_short_zf"
        JCC_ALL short, SF, 0x59AA, "jcc_short_sf"
        JCC_ALL short, OF, 0x5AA9, "jcc_short_of"
        JCC_ALL short, SF|OF, 0xA9A9, "jcc_short_sf_of"
        JCC_ALL short, PF, 0xA6AA, "jcc_short_pf"
        JCC_ALL short, ZF|SF, 0x595A, "jcc_short_zf_sf"
        JCC_ALL short, ZF|OF, 0x5A59, "jcc_short_zf_of"
        JCC_ALL short, CF|ZF|SF|OF|PF|AF, 0x6555, "jcc_short_all"
        JCC_ALL near, 0, 0xAAAA, "jcc_near_none"
        JCC_ALL near, CF, 0xAA66, "jcc_near_cf"
        JCC_ALL near, ZF, 0x6A5A, "jcc_near_zf"
        JCC_ALL near, SF, 0x59AA, "jcc_near_sf"
        JCC_ALL near, OF, 0x5AA9, "jcc_near_of"
        JCC_ALL near, SF|OF, 0xA9A9, "jcc_near_sf_of"
        JCC_ALL near, PF, 0xA6AA, "jcc_near_pf"
        JCC_ALL near, ZF|SF, 0x595A, "jcc_near_zf_sf"
        JCC_ALL near, ZF|OF, 0x5A59, "jcc_near_zf_of"
        JCC_ALL near, CF|ZF|SF|OF|PF|AF, 0x6555, "jcc_near_all"

        ; near Jcc over a long distance, both directions
        mov ax, 0
        SETF ZF
        jz near .jc1
        mov ax, 0xBAD
        times 300 nop
.jc1:   CHECK16 ax, 0, "jcc_near_far_fwd"
        mov ax, 0
        jmp near .jc2f
.jc2b:  mov ax, 0x600D
        jmp near .jc2e
        times 300 nop
.jc2f:  SETF CF
        jc near .jc2b
.jc2e:  CHECK16 ax, 0x600D, "jcc_near_far_back"

; ------------------------------------------------------------ LOOP family
        mov cx, 5
        xor ax, ax
.l1:    inc ax
        loop .l1
        CHECK16 ax, 5, "loop_count"
        CHECK16 cx, 0, "loop_cx"

        mov cx, 0                       ; CX=0: 65536 iterations
        xor ebx, ebx
.l2:    inc ebx
        loop .l2
        CHECK32 ebx, 0x10000, "loop_cx0_64k"

        mov ecx, 0x12340003             ; 16-bit LOOP uses CX only
        xor ax, ax
.l3:    inc ax
        loop .l3
        CHECK16 ax, 3, "loop_a16_count"
        CHECK32 ecx, 0x12340000, "loop_a16_keeps_ecx_high"

        mov ecx, 0x00010002             ; 67 E2: uses ECX
        xor ebx, ebx
.l4:    inc ebx
        loop .l4, ecx
        CHECK32 ebx, 0x10002, "loop_a32_count"
        CHECK32 ecx, 0, "loop_a32_ecx"

        mov cx, 3
        SETF CF|ZF|OF
.l5:    loop .l5                        ; LOOP does not touch flags
        CHECKF ARITH, CF|ZF|OF, "loop_flags_untouched"

        mov dword [DATA+0x20], 0x01020101   ; bytes 01 01 02 01
        mov si, DATA+0x20
        mov cx, 10
.l6:    lodsb
        cmp al, 1
        loope .l6                       ; stops after the 02
        CHECK16 cx, 7, "loope_cx"
        CHECKF ZF, 0, "loope_zf"
        CHECK16 si, DATA+0x23, "loope_si"

        mov byte [DATA+0x24], 1
        mov byte [DATA+0x25], 1
        mov si, DATA+0x24
        mov cx, 2
.l7:    lodsb
        cmp al, 1
        loope .l7                       ; ends because CX reaches 0
        CHECK16 cx, 0, "loope_cx_exhausted"
        CHECKF ZF, ZF, "loope_cx_exhausted_zf"

        mov dword [DATA+0x28], 0x07000605   ; bytes 05 06 00 07
        mov si, DATA+0x28
        mov cx, 10
.l8:    lodsb
        cmp al, 0
        loopne .l8                      ; stops after the 00
        CHECK16 cx, 7, "loopne_cx"
        CHECKF ZF, ZF, "loopne_zf"

        mov cx, 1
        SETF ZF
        mov ax, 0
        loopne .l9                      ; CX -> 0: not taken whatever ZF
        mov ax, 1
.l9:    CHECK16 ax, 1, "loopne_cx1_not_taken"

; ------------------------------------------------------------ JCXZ / JECXZ
        mov ax, 0
        mov cx, 0
        jcxz .z1
        mov ax, 0xBAD
.z1:    CHECK16 ax, 0, "jcxz_taken"
        mov ax, 0
        mov cx, 1
        jcxz .z2
        mov ax, 0x600D
.z2:    CHECK16 ax, 0x600D, "jcxz_not_taken"
        mov ax, 0
        mov ecx, 0x00010000             ; CX = 0, ECX != 0
        jcxz .z3
        mov ax, 0xBAD
.z3:    CHECK16 ax, 0, "jcxz_ignores_ecx_high"
        mov ax, 0
        jecxz .z4                       ; 67 E3
        mov ax, 0x600D
.z4:    CHECK16 ax, 0x600D, "jecxz_not_taken"
        mov ax, 0
        mov ecx, 0
        jecxz .z5
        mov ax, 0xBAD
.z5:    CHECK16 ax, 0, "jecxz_taken"
        mov ax, 0
        mov cx, 0
        jcxz .z6f
        jmp short .z6e
.z6b:   mov ax, 0x600D
        jmp short .z6e
.z6f:   jcxz .z6b                       ; backward
.z6e:   CHECK16 ax, 0x600D, "jcxz_back"

; ------------------------------------------------------------ CALL indirect
        mov ax, 0
        mov bx, sub_ax1
        call bx
        CHECK16 ax, 1, "call_reg"
        mov word [DATA+0x30], sub_ax2
        call [DATA+0x30]
        CHECK16 ax, 2, "call_mem"
        mov di, DATA+0x30
        mov ax, 0
        call [di]
        CHECK16 ax, 2, "call_mem_di"
        mov word [DATA+0x34], far_sub_cs+0x1000
        mov word [DATA+0x36], ALIAS
        call far [DATA+0x34]
        CHECK16 ax, ALIAS, "call_far_mem"
        CHECK16 sp, STACK_TOP, "call_sp_balanced"

        FINISH
        ROM_END
