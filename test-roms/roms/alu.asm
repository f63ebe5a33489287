; alu.asm - integer ALU and status flags: ADD/ADC/SUB/SBB/CMP/AND/OR/XOR/TEST,
; INC/DEC/NEG/NOT on 8/16/32-bit operands, SETcc for all 16 conditions,
; CMPXCHG, XADD, BT/BTS/BTR/BTC (register and memory, incl. bit offsets
; outside the addressed operand), BSF/BSR.
;
; Expected values follow the Intel SDM for a 386/486-class CPU.  Only the
; architecturally defined flags are compared: AF is masked after the logic
; ops (LOGIC mask), the undefined flags after BT*/BSF/BSR are masked too.
%include "common.inc"

DATA    equ 0x1000
BTA     equ 0x1100              ; bit-string base for the BT memory tests

; ALU2 op, size, a, b, flags-in, mask, result, flags, name
;   dst = a (AL/AX/EAX), src = b (BL/BX/EBX), FLAGS = flags-in; op dst, src;
;   checks FLAGS & mask (name.f) and dst (name).
%macro ALU2 9
%if %2 == 8
        mov al, %3
        mov bl, %4
        SETF %5
        %1 al, bl
        CHECKF %6, %8, %9, ".f"
        CHECK8 al, %7, %9
%elif %2 == 16
        mov ax, %3
        mov bx, %4
        SETF %5
        %1 ax, bx
        CHECKF %6, %8, %9, ".f"
        CHECK16 ax, %7, %9
%else
        mov eax, %3
        mov ebx, %4
        SETF %5
        %1 eax, ebx
        CHECKF %6, %8, %9, ".f"
        CHECK32 eax, %7, %9
%endif
%endmacro

; ALU1 op, size, a, flags-in, mask, result, flags, name  (DL / SI / EDI)
%macro ALU1 8
%if %2 == 8
        mov dl, %3
        SETF %4
        %1 dl
        CHECKF %5, %7, %8, ".f"
        CHECK8 dl, %6, %8
%elif %2 == 16
        mov si, %3
        SETF %4
        %1 si
        CHECKF %5, %7, %8, ".f"
        CHECK16 si, %6, %8
%else
        mov edi, %3
        SETF %4
        %1 edi
        CHECKF %5, %7, %8, ".f"
        CHECK32 edi, %6, %8
%endif
%endmacro

; SETCC_ALL flags, expected, name: with FLAGS = flags, run all 16 SETcc
; (condition codes 0..15 in encoding order O NO B AE E NE BE A S NS P NP L
; GE LE G) into bytes SCRATCH+0..15, then check the bit mask they form
; (bit n = result of condition n) and that SETcc left FLAGS alone.
%macro SETCC_ALL 3+
        SETF %1
        seto  [SCRATCH+0]
        setno [SCRATCH+1]
        setb  [SCRATCH+2]
        setae [SCRATCH+3]
        sete  [SCRATCH+4]
        setne [SCRATCH+5]
        setbe [SCRATCH+6]
        seta  [SCRATCH+7]
        sets  [SCRATCH+8]
        setns [SCRATCH+9]
        setp  [SCRATCH+10]
        setnp [SCRATCH+11]
        setl  [SCRATCH+12]
        setge [SCRATCH+13]
        setle [SCRATCH+14]
        setg  [SCRATCH+15]
        CHECKF ARITH, %1, %3, ".f"
        xor dx, dx
        mov si, 15
%%l:    shl dx, 1
        or dl, [SCRATCH+si]
        dec si
        jns %%l
        CHECK16 dx, %2, %3
%endmacro

        INIT

; ------------------------------------------------------------ table-driven two-operand ops
        ALU2 add, 8, 0x7F, 0x01, 0, ARITH, 0x80, OF|SF|AF, "add8_7f_1"
        ALU2 add, 8, 0xFF, 0x01, 0, ARITH, 0x00, ZF|AF|PF|CF, "add8_ff_1"
        ALU2 add, 8, 0x80, 0x80, 0, ARITH, 0x00, OF|ZF|PF|CF, "add8_80_80"
        ALU2 add, 8, 0x12, 0x34, ARITH, ARITH, 0x46, 0, "add8_12_34"
        ALU2 add, 8, 0x0F, 0x01, 0, ARITH, 0x10, AF, "add8_f_1"
        ALU2 add, 16, 0x7FFF, 0x0001, 0, ARITH, 0x8000, OF|SF|AF|PF, "add16_7fff_1"
        ALU2 add, 16, 0xFFFF, 0x0001, 0, ARITH, 0x0000, ZF|AF|PF|CF, "add16_ffff_1"
        ALU2 add, 16, 0x1234, 0x4321, ARITH, ARITH, 0x5555, PF, "add16_1234_4321"
        ALU2 add, 16, 0x8000, 0x8000, 0, ARITH, 0x0000, OF|ZF|PF|CF, "add16_8000_8000"
        ALU2 add, 32, 0x7FFFFFFF, 0x00000001, 0, ARITH, 0x80000000, OF|SF|AF|PF, "add32_7fffffff_1"
        ALU2 add, 32, 0xFFFFFFFF, 0x00000001, 0, ARITH, 0x00000000, ZF|AF|PF|CF, "add32_ffffffff_1"
        ALU2 add, 32, 0x80000000, 0x80000000, 0, ARITH, 0x00000000, OF|ZF|PF|CF, "add32_80000000_80000000"
        ALU2 add, 32, 0x12345678, 0x0FEDCBA9, ARITH, ARITH, 0x22222221, AF|PF, "add32_12345678_fedcba9"
        ALU2 adc, 8, 0xFF, 0x00, CF, ARITH, 0x00, ZF|AF|PF|CF, "adc8_ff_0_c1"
        ALU2 adc, 8, 0x7F, 0x00, CF, ARITH, 0x80, OF|SF|AF, "adc8_7f_0_c1"
        ALU2 adc, 8, 0xFF, 0xFF, CF, ARITH, 0xFF, SF|AF|PF|CF, "adc8_ff_ff_c1"
        ALU2 adc, 8, 0x0E, 0x01, CF, ARITH, 0x10, AF, "adc8_e_1_c1"
        ALU2 adc, 8, 0x12, 0x34, ARITH&~CF, ARITH, 0x46, 0, "adc8_12_34_c0"
        ALU2 adc, 16, 0xFFFF, 0x0000, CF, ARITH, 0x0000, ZF|AF|PF|CF, "adc16_ffff_0_c1"
        ALU2 adc, 16, 0x7FFF, 0x0000, CF, ARITH, 0x8000, OF|SF|AF|PF, "adc16_7fff_0_c1"
        ALU2 adc, 16, 0x00FF, 0x0000, CF, ARITH, 0x0100, AF|PF, "adc16_ff_0_c1"
        ALU2 adc, 32, 0x7FFFFFFF, 0x00000000, CF, ARITH, 0x80000000, OF|SF|AF|PF, "adc32_7fffffff_0_c1"
        ALU2 adc, 32, 0xFFFFFFFF, 0xFFFFFFFF, CF, ARITH, 0xFFFFFFFF, SF|AF|PF|CF, "adc32_ffffffff_ffffffff_c1"
        ALU2 adc, 32, 0x0000FFFF, 0xFFFF0000, 0, ARITH, 0xFFFFFFFF, SF|PF, "adc32_ffff_ffff0000_c0"
        ALU2 sub, 8, 0x80, 0x01, 0, ARITH, 0x7F, OF|AF, "sub8_80_1"
        ALU2 sub, 8, 0x00, 0x01, 0, ARITH, 0xFF, SF|AF|PF|CF, "sub8_0_1"
        ALU2 sub, 8, 0x05, 0x05, ARITH, ARITH, 0x00, ZF|PF, "sub8_5_5"
        ALU2 sub, 8, 0x10, 0x01, 0, ARITH, 0x0F, AF|PF, "sub8_10_1"
        ALU2 sub, 8, 0x7F, 0xFF, 0, ARITH, 0x80, OF|SF|CF, "sub8_7f_ff"
        ALU2 sub, 16, 0x8000, 0x0001, 0, ARITH, 0x7FFF, OF|AF|PF, "sub16_8000_1"
        ALU2 sub, 16, 0x0000, 0x0001, 0, ARITH, 0xFFFF, SF|AF|PF|CF, "sub16_0_1"
        ALU2 sub, 16, 0x1234, 0x1234, 0, ARITH, 0x0000, ZF|PF, "sub16_1234_1234"
        ALU2 sub, 16, 0x0100, 0x0001, 0, ARITH, 0x00FF, AF|PF, "sub16_100_1"
        ALU2 sub, 32, 0x00000000, 0x00000001, 0, ARITH, 0xFFFFFFFF, SF|AF|PF|CF, "sub32_0_1"
        ALU2 sub, 32, 0x80000000, 0x00000001, 0, ARITH, 0x7FFFFFFF, OF|AF|PF, "sub32_80000000_1"
        ALU2 sub, 32, 0x7FFFFFFF, 0xFFFFFFFF, 0, ARITH, 0x80000000, OF|SF|PF|CF, "sub32_7fffffff_ffffffff"
        ALU2 sub, 32, 0x12345678, 0x12345678, ARITH, ARITH, 0x00000000, ZF|PF, "sub32_12345678_12345678"
        ALU2 sbb, 8, 0x00, 0x00, CF, ARITH, 0xFF, SF|AF|PF|CF, "sbb8_0_0_c1"
        ALU2 sbb, 8, 0x80, 0x00, CF, ARITH, 0x7F, OF|AF, "sbb8_80_0_c1"
        ALU2 sbb, 8, 0x05, 0x04, CF, ARITH, 0x00, ZF|PF, "sbb8_5_4_c1"
        ALU2 sbb, 8, 0x00, 0xFF, CF, ARITH, 0x00, ZF|AF|PF|CF, "sbb8_0_ff_c1"
        ALU2 sbb, 8, 0x05, 0x04, ARITH&~CF, ARITH, 0x01, 0, "sbb8_5_4_c0"
        ALU2 sbb, 16, 0x0000, 0x0000, CF, ARITH, 0xFFFF, SF|AF|PF|CF, "sbb16_0_0_c1"
        ALU2 sbb, 16, 0x8000, 0x0000, CF, ARITH, 0x7FFF, OF|AF|PF, "sbb16_8000_0_c1"
        ALU2 sbb, 16, 0x1000, 0x0FFF, CF, ARITH, 0x0000, ZF|AF|PF, "sbb16_1000_fff_c1"
        ALU2 sbb, 32, 0x80000000, 0x00000000, CF, ARITH, 0x7FFFFFFF, OF|AF|PF, "sbb32_80000000_0_c1"
        ALU2 sbb, 32, 0x00000000, 0xFFFFFFFF, CF, ARITH, 0x00000000, ZF|AF|PF|CF, "sbb32_0_ffffffff_c1"
        ALU2 sbb, 32, 0x00000010, 0x00000010, 0, ARITH, 0x00000000, ZF|PF, "sbb32_10_10_c0"
        ALU2 cmp, 8, 0x80, 0x01, 0, ARITH, 0x80, OF|AF, "cmp8_80_1"
        ALU2 cmp, 8, 0x01, 0x02, 0, ARITH, 0x01, SF|AF|PF|CF, "cmp8_1_2"
        ALU2 cmp, 8, 0x41, 0x41, 0, ARITH, 0x41, ZF|PF, "cmp8_41_41"
        ALU2 cmp, 16, 0x7FFF, 0xFFFF, 0, ARITH, 0x7FFF, OF|SF|PF|CF, "cmp16_7fff_ffff"
        ALU2 cmp, 16, 0x8000, 0x7FFF, 0, ARITH, 0x8000, OF|AF, "cmp16_8000_7fff"
        ALU2 cmp, 32, 0x00000005, 0x00000005, 0, ARITH, 0x00000005, ZF|PF, "cmp32_5_5"
        ALU2 cmp, 32, 0x00000000, 0x80000000, 0, ARITH, 0x00000000, OF|SF|PF|CF, "cmp32_0_80000000"
        ALU2 cmp, 32, 0xFFFFFFFF, 0x7FFFFFFF, 0, ARITH, 0xFFFFFFFF, SF|PF, "cmp32_ffffffff_7fffffff"
        ALU2 and, 8, 0xF0, 0x0F, ARITH, LOGIC, 0x00, ZF|PF, "and8_f0_f"
        ALU2 and, 8, 0xFF, 0x80, 0, LOGIC, 0x80, SF, "and8_ff_80"
        ALU2 and, 8, 0x3C, 0x0F, ARITH, LOGIC, 0x0C, PF, "and8_3c_f"
        ALU2 and, 16, 0x8001, 0xFFFF, 0, LOGIC, 0x8001, SF, "and16_8001_ffff"
        ALU2 and, 16, 0x00FF, 0xFF00, ARITH, LOGIC, 0x0000, ZF|PF, "and16_ff_ff00"
        ALU2 and, 32, 0xFFFFFFFF, 0x80000003, 0, LOGIC, 0x80000003, SF|PF, "and32_ffffffff_80000003"
        ALU2 and, 32, 0x12345678, 0x0F0F0F0F, ARITH, LOGIC, 0x02040608, 0, "and32_12345678_f0f0f0f"
        ALU2 or, 8, 0x00, 0x00, ARITH, LOGIC, 0x00, ZF|PF, "or8_0_0"
        ALU2 or, 8, 0x80, 0x01, 0, LOGIC, 0x81, SF|PF, "or8_80_1"
        ALU2 or, 8, 0x12, 0x21, ARITH, LOGIC, 0x33, PF, "or8_12_21"
        ALU2 or, 16, 0x0F00, 0x00F0, 0, LOGIC, 0x0FF0, PF, "or16_f00_f0"
        ALU2 or, 16, 0x0000, 0x8000, ARITH, LOGIC, 0x8000, SF|PF, "or16_0_8000"
        ALU2 or, 32, 0x80000000, 0x00000000, 0, LOGIC, 0x80000000, SF|PF, "or32_80000000_0"
        ALU2 or, 32, 0x01010101, 0x10101010, ARITH, LOGIC, 0x11111111, PF, "or32_1010101_10101010"
        ALU2 xor, 8, 0xFF, 0xFF, ARITH, LOGIC, 0x00, ZF|PF, "xor8_ff_ff"
        ALU2 xor, 8, 0xAA, 0x0F, 0, LOGIC, 0xA5, SF|PF, "xor8_aa_f"
        ALU2 xor, 8, 0x01, 0x02, ARITH, LOGIC, 0x03, PF, "xor8_1_2"
        ALU2 xor, 16, 0x5555, 0xAAAA, 0, LOGIC, 0xFFFF, SF|PF, "xor16_5555_aaaa"
        ALU2 xor, 16, 0x1234, 0x1234, ARITH, LOGIC, 0x0000, ZF|PF, "xor16_1234_1234"
        ALU2 xor, 32, 0xFFFF0000, 0x0000FFFF, 0, LOGIC, 0xFFFFFFFF, SF|PF, "xor32_ffff0000_ffff"
        ALU2 xor, 32, 0x80000001, 0x00000001, ARITH, LOGIC, 0x80000000, SF|PF, "xor32_80000001_1"
        ALU2 test, 8, 0x80, 0x80, ARITH, LOGIC, 0x80, SF, "test8_80_80"
        ALU2 test, 8, 0x0F, 0xF0, 0, LOGIC, 0x0F, ZF|PF, "test8_f_f0"
        ALU2 test, 8, 0x03, 0x01, ARITH, LOGIC, 0x03, 0, "test8_3_1"
        ALU2 test, 16, 0x8000, 0xFFFF, 0, LOGIC, 0x8000, SF|PF, "test16_8000_ffff"
        ALU2 test, 16, 0x0101, 0x0003, ARITH, LOGIC, 0x0101, 0, "test16_101_3"
        ALU2 test, 32, 0x00010000, 0x00010000, 0, LOGIC, 0x00010000, PF, "test32_10000_10000"
        ALU2 test, 32, 0xF0000000, 0x0FFFFFFF, ARITH, LOGIC, 0xF0000000, ZF|PF, "test32_f0000000_fffffff"

; ------------------------------------------------------------ INC/DEC/NEG/NOT (INC/DEC keep CF, NOT keeps all)
        ALU1 inc, 8, 0x7F, CF, ARITH, 0x80, OF|SF|AF|CF, "inc8_7f"
        ALU1 inc, 8, 0xFF, 0, ARITH, 0x00, ZF|AF|PF, "inc8_ff"
        ALU1 inc, 8, 0x0F, CF, ARITH, 0x10, AF|CF, "inc8_f"
        ALU1 inc, 16, 0x7FFF, 0, ARITH, 0x8000, OF|SF|AF|PF, "inc16_7fff"
        ALU1 inc, 16, 0xFFFF, CF, ARITH, 0x0000, ZF|AF|PF|CF, "inc16_ffff"
        ALU1 inc, 32, 0xFFFFFFFF, 0, ARITH, 0x00000000, ZF|AF|PF, "inc32_ffffffff"
        ALU1 inc, 32, 0x7FFFFFFF, CF, ARITH, 0x80000000, OF|SF|AF|PF|CF, "inc32_7fffffff"
        ALU1 dec, 8, 0x80, CF, ARITH, 0x7F, OF|AF|CF, "dec8_80"
        ALU1 dec, 8, 0x00, 0, ARITH, 0xFF, SF|AF|PF, "dec8_0"
        ALU1 dec, 8, 0x01, CF, ARITH, 0x00, ZF|PF|CF, "dec8_1"
        ALU1 dec, 8, 0x10, 0, ARITH, 0x0F, AF|PF, "dec8_10"
        ALU1 dec, 16, 0x8000, 0, ARITH, 0x7FFF, OF|AF|PF, "dec16_8000"
        ALU1 dec, 16, 0x0000, CF, ARITH, 0xFFFF, SF|AF|PF|CF, "dec16_0"
        ALU1 dec, 32, 0x00000000, 0, ARITH, 0xFFFFFFFF, SF|AF|PF, "dec32_0"
        ALU1 dec, 32, 0x80000000, CF, ARITH, 0x7FFFFFFF, OF|AF|PF|CF, "dec32_80000000"
        ALU1 neg, 8, 0x00, CF, ARITH, 0x00, ZF|PF, "neg8_0"
        ALU1 neg, 8, 0x01, 0, ARITH, 0xFF, SF|AF|PF|CF, "neg8_1"
        ALU1 neg, 8, 0x80, 0, ARITH, 0x80, OF|SF|CF, "neg8_80"
        ALU1 neg, 8, 0x7F, 0, ARITH, 0x81, SF|AF|PF|CF, "neg8_7f"
        ALU1 neg, 16, 0x8000, 0, ARITH, 0x8000, OF|SF|PF|CF, "neg16_8000"
        ALU1 neg, 16, 0x0001, 0, ARITH, 0xFFFF, SF|AF|PF|CF, "neg16_1"
        ALU1 neg, 32, 0x00000010, 0, ARITH, 0xFFFFFFF0, SF|PF|CF, "neg32_10"
        ALU1 neg, 32, 0x00000000, CF, ARITH, 0x00000000, ZF|PF, "neg32_0"
        ALU1 neg, 32, 0x80000000, 0, ARITH, 0x80000000, OF|SF|PF|CF, "neg32_80000000"
        ALU1 not, 8, 0x0F, ARITH, ARITH, 0xF0, OF|SF|ZF|AF|PF|CF, "not8_f"
        ALU1 not, 16, 0x00FF, 0, ARITH, 0xFF00, 0, "not16_ff"
        ALU1 not, 32, 0x12345678, ARITH, ARITH, 0xEDCBA987, OF|SF|ZF|AF|PF|CF, "not32_12345678"

; ------------------------------------------------------------ other encodings: immediates, memory, high byte regs
        mov al, 0x80
        SETF 0
        add al, 0x80                    ; 04 ib
        CHECKF ARITH, CF|ZF|PF|OF, "add_al_imm8.f"
        CHECK8 al, 0x00, "add_al_imm8"
        mov ax, 0x0FFF
        add ax, 0x1001                  ; 05 iw
        CHECKF ARITH, AF|PF, "add_ax_imm16.f"
        CHECK16 ax, 0x2000, "add_ax_imm16"
        mov bx, 1
        add bx, byte -1                 ; 83 /0 ib (sign-extended)
        CHECKF ARITH, CF|PF|AF|ZF, "add_r16_simm8.f"
        CHECK16 bx, 0x0000, "add_r16_simm8"
        mov ecx, 1
        add ecx, byte -2                ; 66 83 /0 ib
        CHECKF ARITH, SF|PF, "add_r32_simm8.f"
        CHECK32 ecx, 0xFFFFFFFF, "add_r32_simm8"
        mov edx, 0x0FFFFFFF
        sub edx, 0x10000000             ; 66 81 /5 id
        CHECKF ARITH, CF|SF|PF, "sub_r32_imm32.f"
        CHECK32 edx, 0xFFFFFFFF, "sub_r32_imm32"
        mov ah, 0x70
        mov ch, 0x10
        add ah, ch                      ; 00 EC
        CHECKF ARITH, SF|OF, "add_ah_ch.f"
        CHECK8 ah, 0x80, "add_ah_ch"
        mov dh, 0x01
        sub dh, 0x02                    ; 80 /5 ib
        CHECKF ARITH, CF|SF|AF|PF, "sub_dh_imm8.f"
        CHECK8 dh, 0xFF, "sub_dh_imm8"

        mov byte [DATA], 0x00
        sub byte [DATA], 1              ; 80 /5 mem
        CHECKF ARITH, CF|SF|AF|PF, "sub_m8_imm.f"
        CHECK8 [DATA], 0xFF, "sub_m8_imm"
        mov word [DATA+2], 0xFFFE
        SETF CF
        adc word [DATA+2], 0x0001       ; 83 /2 mem
        CHECKF ARITH, CF|ZF|PF|AF, "adc_m16_imm.f"
        CHECK16 [DATA+2], 0x0000, "adc_m16_imm"
        mov dword [DATA+4], 0x00000000
        mov ebx, 0x00000001
        SETF CF
        sbb [DATA+4], ebx               ; 19 mem
        CHECKF ARITH, CF|SF|AF, "sbb_m32_r32.f"
        CHECK32 [DATA+4], 0xFFFFFFFE, "sbb_m32_r32"
        mov byte [DATA+8], 0x0F
        mov al, 0xF0
        or [DATA+8], al                 ; 08 mem
        CHECKF LOGIC, SF|PF, "or_m8_r8.f"
        CHECK8 [DATA+8], 0xFF, "or_m8_r8"
        mov byte [DATA+9], 0x3C
        mov dh, 0xF0
        SETF CF|OF
        and dh, [DATA+9]                ; 22 mem
        CHECKF LOGIC, PF, "and_r8_m8.f"
        CHECK8 dh, 0x30, "and_r8_m8"
        mov word [DATA+10], 0xFF00
        mov si, 0x0FF0
        xor si, [DATA+10]               ; 33 mem
        CHECKF LOGIC, SF|PF, "xor_r16_m16.f"
        CHECK16 si, 0xF0F0, "xor_r16_m16"
        mov byte [DATA+12], 0x80
        cmp byte [DATA+12], 0x01        ; 80 /7 mem
        CHECKF ARITH, OF|AF, "cmp_m8_imm.f"
        CHECK8 [DATA+12], 0x80, "cmp_m8_imm_unchanged"
        mov word [DATA+14], 0x8000
        mov ax, 0x8001
        test [DATA+14], ax              ; 85 mem
        CHECKF LOGIC, SF|PF, "test_m16_r16.f"
        mov eax, 0x0000FF00
        test eax, 0x00FF00FF            ; A9 id
        CHECKF LOGIC, ZF|PF, "test_eax_imm32.f"
        mov al, 0x81
        test al, 0x01                   ; A8 ib
        CHECKF LOGIC, 0, "test_al_imm8.f"
        mov dword [DATA+16], 0x7FFFFFFF
        inc dword [DATA+16]             ; FF /0 mem
        CHECKF ARITH&~CF, OF|SF|AF|PF, "inc_m32.f"
        CHECK32 [DATA+16], 0x80000000, "inc_m32"
        mov word [DATA+20], 0x0001
        dec word [DATA+20]              ; FF /1 mem
        CHECKF ARITH&~CF, ZF|PF, "dec_m16.f"
        CHECK16 [DATA+20], 0x0000, "dec_m16"
        mov byte [DATA+22], 0x05
        neg byte [DATA+22]              ; F6 /3 mem
        CHECKF ARITH, CF|SF|AF, "neg_m8.f"
        CHECK8 [DATA+22], 0xFB, "neg_m8"
        mov word [DATA+24], 0x5AA5
        not word [DATA+24]              ; F7 /2 mem
        CHECK16 [DATA+24], 0xA55A, "not_m16"
        mov ax, 0x1234
        sub ax, ax
        CHECKF ARITH, ZF|PF, "sub_self.f"
        CHECK16 ax, 0, "sub_self"

; ------------------------------------------------------------ carry/borrow chains
        mov eax, 0xFFFFFFFF
        mov edx, 0x00000001
        add eax, 1
        adc edx, 0
        CHECK32 eax, 0x00000000, "chain_add64_lo"
        CHECK32 edx, 0x00000002, "chain_add64_hi"
        mov eax, 0x00000000
        mov edx, 0x00000001
        sub eax, 1
        sbb edx, 0
        CHECK32 eax, 0xFFFFFFFF, "chain_sub64_lo"
        CHECK32 edx, 0x00000000, "chain_sub64_hi"
        CHECKF ARITH, ZF|PF, "chain_sub64.f"
        mov ax, 0xFFFF
        mov bx, 0xFFFF
        mov cx, 0x0000
        add ax, 1
        adc bx, 0
        adc cx, 0
        CHECK16 ax, 0x0000, "chain_add48_w0"
        CHECK16 bx, 0x0000, "chain_add48_w1"
        CHECK16 cx, 0x0001, "chain_add48_w2"
        mov al, 0x00
        mov bl, 0x00
        mov cl, 0x01
        sub al, 1
        sbb bl, 0
        sbb cl, 0
        CHECK8 al, 0xFF, "chain_sub24_b0"
        CHECK8 bl, 0xFF, "chain_sub24_b1"
        CHECK8 cl, 0x00, "chain_sub24_b2"
        CHECKF ARITH, ZF|PF, "chain_sub24.f"

; ------------------------------------------------------------ SETcc
        SETCC_ALL 0, 0xAAAA, "setcc_none"
        SETCC_ALL CF, 0xAA66, "setcc_cf"
        SETCC_ALL ZF, 0x6A5A, "setcc_zf"
        SETCC_ALL SF, 0x59AA, "setcc_sf"
        SETCC_ALL OF, 0x5AA9, "setcc_of"
        SETCC_ALL SF|OF, 0xA9A9, "setcc_sf_of"
        SETCC_ALL PF, 0xA6AA, "setcc_pf"
        SETCC_ALL ZF|SF, 0x595A, "setcc_zf_sf"
        SETCC_ALL ZF|OF, 0x5A59, "setcc_zf_of"
        SETCC_ALL CF|PF|AF, 0xA666, "setcc_cf_pf_af"
        SETCC_ALL CF|ZF|SF|OF|PF|AF, 0x6555, "setcc_all"
        ; register destinations, and only the byte is written
        mov ecx, 0xFFFFFFFF
        SETF ZF
        setz cl
        setnz ch
        CHECK32 ecx, 0xFFFF0001, "setcc_r8"
        ; after a real compare: 5 < 7 signed and unsigned
        mov ax, 5
        cmp ax, 7
        setl bl
        setb bh
        setg dl
        seta dh
        CHECK16 bx, 0x0101, "setcc_after_cmp_lt"
        CHECK16 dx, 0x0000, "setcc_after_cmp_gt"
        ; -1 vs 1: signed less, unsigned above
        mov ax, 0xFFFF
        cmp ax, 1
        setl bl
        seta bh
        CHECK16 bx, 0x0101, "setcc_signed_vs_unsigned"

; ------------------------------------------------------------ CMPXCHG
        mov al, 0x11
        mov cl, 0x11
        mov bl, 0x22
        SETF 0
        cmpxchg cl, bl
        CHECKF ARITH, ZF|PF, "cmpxchg8_eq.f"
        CHECK8 cl, 0x22, "cmpxchg8_eq_dst"
        CHECK8 al, 0x11, "cmpxchg8_eq_al"
        mov al, 0x10
        mov cl, 0x20
        mov bl, 0x33
        SETF ZF
        cmpxchg cl, bl
        CHECKF ARITH, CF|PF|SF, "cmpxchg8_ne.f"
        CHECK8 cl, 0x20, "cmpxchg8_ne_dst"
        CHECK8 al, 0x20, "cmpxchg8_ne_al"
        mov word [DATA+0x30], 0x1234
        mov ax, 0x1234
        mov bx, 0x5678
        cmpxchg [DATA+0x30], bx
        CHECKF ARITH, ZF|PF, "cmpxchg16_mem_eq.f"
        CHECK16 [DATA+0x30], 0x5678, "cmpxchg16_mem_eq_dst"
        CHECK16 ax, 0x1234, "cmpxchg16_mem_eq_ax"
        mov dword [DATA+0x34], 2
        mov eax, 1
        mov ebx, 3
        cmpxchg [DATA+0x34], ebx
        CHECKF ARITH, CF|PF|AF|SF, "cmpxchg32_mem_ne.f"
        CHECK32 [DATA+0x34], 2, "cmpxchg32_mem_ne_dst"
        CHECK32 eax, 2, "cmpxchg32_mem_ne_eax"

; ------------------------------------------------------------ XADD
        mov al, 0x7F
        mov bl, 0x01
        xadd al, bl
        CHECKF ARITH, OF|SF|AF, "xadd8.f"
        CHECK8 al, 0x80, "xadd8_dst"
        CHECK8 bl, 0x7F, "xadd8_src"
        mov word [DATA+0x40], 0xFFFF
        mov bx, 1
        xadd [DATA+0x40], bx
        CHECKF ARITH, CF|PF|AF|ZF, "xadd16_mem.f"
        CHECK16 [DATA+0x40], 0x0000, "xadd16_mem_dst"
        CHECK16 bx, 0xFFFF, "xadd16_mem_src"
        mov eax, 0x10000000
        mov ecx, 0x20000000
        xadd eax, ecx
        CHECKF ARITH, PF, "xadd32.f"
        CHECK32 eax, 0x30000000, "xadd32_dst"
        CHECK32 ecx, 0x10000000, "xadd32_src"

; ------------------------------------------------------------ BT/BTS/BTR/BTC, register operands
        ; CF = selected bit; ZF is unaffected; OF SF AF PF undefined (masked)
        mov ax, 0x0008
        SETF ZF
        bt ax, 3
        CHECKF CF|ZF, CF|ZF, "bt_r16_imm_set.f"
        bt ax, 4
        CHECKF CF|ZF, ZF, "bt_r16_imm_clear.f"
        SETF 0
        bt ax, 19                       ; imm offset taken mod 16 -> bit 3
        CHECKF CF|ZF, CF, "bt_r16_imm_mod.f"
        mov cx, 35                      ; register offset mod 16 -> bit 3
        bt ax, cx
        CHECKF CF|ZF, CF, "bt_r16_r16_mod.f"
        mov eax, 0x80000000
        mov ecx, 63                     ; mod 32 -> bit 31
        bt eax, ecx
        CHECKF CF, CF, "bt_r32_r32_mod.f"
        CHECK32 eax, 0x80000000, "bt_r32_unchanged"
        mov ax, 0
        bts ax, 0
        CHECKF CF, 0, "bts_r16.f"
        CHECK16 ax, 0x0001, "bts_r16"
        bts ax, 0
        CHECKF CF, CF, "bts_r16_again.f"
        CHECK16 ax, 0x0001, "bts_r16_again"
        mov eax, 0x80000001
        btr eax, 31
        CHECKF CF, CF, "btr_r32.f"
        CHECK32 eax, 0x00000001, "btr_r32"
        mov bx, 0x0001
        mov cx, 15
        btc bx, cx
        CHECKF CF, 0, "btc_r16.f"
        CHECK16 bx, 0x8001, "btc_r16"
        btc bx, cx
        CHECKF CF, CF, "btc_r16_again.f"
        CHECK16 bx, 0x0001, "btc_r16_again"
        mov edx, 0
        mov ecx, 0x44                   ; 0x44 mod 32 = 4
        bts edx, ecx
        CHECK32 edx, 0x00000010, "bts_r32_r32_mod"

; ------------------------------------------------------------ BT family, memory operands
        ; clear BTA-0x10 .. BTA+0x1F
        mov di, BTA-0x10
        mov cx, 0x30
.clr:   mov byte [di], 0
        inc di
        loop .clr
        mov byte [BTA+4], 0x08          ; bit 35 of the string at BTA
        mov bx, BTA
        mov cx, 35
        SETF ZF
        bt word [bx], cx                ; register offset: word at BTA+4, bit 3
        CHECKF CF|ZF, CF|ZF, "bt_m16_r16_far_set.f"
        mov cx, 36
        bt [bx], cx
        CHECKF CF|ZF, ZF, "bt_m16_r16_far_clear.f"
        bt word [bx], 35                ; immediate offset: mod 16 -> word BTA bit 3
        CHECKF CF, 0, "bt_m16_imm_mod.f"
        mov ecx, 100                    ; dword at BTA+12, bit 4
        bts dword [bx], ecx
        CHECKF CF, 0, "bts_m32_r32_far.f"
        CHECK32 [BTA+12], 0x00000010, "bts_m32_r32_far_mem"
        CHECK32 [BTA], 0x00000000, "bts_m32_r32_far_base_untouched"
        mov word [BTA-2], 0xFFFF
        mov cx, -1                      ; negative offset: word at BTA-2, bit 15
        btr [bx], cx
        CHECKF CF, CF, "btr_m16_r16_neg.f"
        CHECK16 [BTA-2], 0x7FFF, "btr_m16_r16_neg_mem"
        mov ecx, -33                    ; dword at BTA-8, bit 31
        btc [bx], ecx
        CHECKF CF, 0, "btc_m32_r32_neg.f"
        CHECK32 [BTA-8], 0x80000000, "btc_m32_r32_neg_mem"
        bts dword [bx], 33              ; immediate: mod 32 -> dword BTA bit 1
        CHECKF CF, 0, "bts_m32_imm_mod.f"
        CHECK32 [BTA], 0x00000002, "bts_m32_imm_mod_mem"
        mov byte [BTA+0x1F], 0x80
        mov si, 0xFF                    ; byte BTA+31, bit 7 (16-bit: word BTA+30 bit 15)
        bt [bx], si
        CHECKF CF, CF, "bt_m16_r16_ff.f"
        mov byte [BTA+0x10], 0x01
        btc word [bx+0x10], 0           ; imm with displacement
        CHECKF CF, CF, "btc_m16_imm_disp.f"
        CHECK8 [BTA+0x10], 0x00, "btc_m16_imm_disp_mem"

; ------------------------------------------------------------ BSF/BSR
        ; ZF is defined (set iff source is 0), CF OF SF AF PF undefined
        mov bx, 0x0100
        SETF ZF
        bsf ax, bx
        CHECKF ZF, 0, "bsf16.f"
        CHECK16 ax, 8, "bsf16"
        bsr ax, bx
        CHECK16 ax, 8, "bsr16_single"
        mov bx, 0x8001
        bsf ax, bx
        CHECK16 ax, 0, "bsf16_low"
        bsr ax, bx
        CHECK16 ax, 15, "bsr16_high"
        mov ebx, 0x00010000
        bsf eax, ebx
        CHECK32 eax, 16, "bsf32"
        mov ebx, 0x80000001
        bsr ecx, ebx
        CHECK32 ecx, 31, "bsr32"
        mov ebx, 0x00F0F000
        bsf edx, ebx
        CHECK32 edx, 12, "bsf32_mid"
        bsr edx, ebx
        CHECK32 edx, 23, "bsr32_mid"
        mov word [DATA+0x50], 0x0030
        bsf ax, [DATA+0x50]
        CHECK16 ax, 4, "bsf16_mem"
        bsr ax, [DATA+0x50]
        CHECK16 ax, 5, "bsr16_mem"
        ; zero source: ZF=1 (the destination is undefined and not checked)
        mov bx, 0
        SETF 0
        bsf ax, bx
        CHECKF ZF, ZF, "bsf16_zero.f"
        SETF 0
        mov ebx, 0
        bsr ecx, ebx
        CHECKF ZF, ZF, "bsr32_zero.f"

        FINISH
        ROM_END
