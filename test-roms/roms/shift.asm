; shift.asm - SHL/SAL/SHR/SAR/ROL/ROR/RCL/RCR by 1, CL and imm8 on 8/16/32-bit
; operands, count masking to 5 bits (counts 32, 33, 63), count 0 (and RCL/RCR
; counts that reduce to 0 mod 9/17) leaving FLAGS alone, SHLD/SHRD.
;
; Flags compared per the Intel SDM: AF is never compared after a shift (it
; is undefined); OF only for 1-bit counts; CF not for SHL/SHR when the count
; is >= the operand width; rotates only change CF (and OF for count 1), so
; SF/ZF/AF/PF are checked to be preserved.
%include "common.inc"

DATA    equ 0x1000

; SH op, size, a, form (1 | cl | imm), count, flags-in, mask, result, flags, name
;   operand: BL (8), DX (16), ESI (32)
%macro SH 10
%if %2 == 8
  %define %%r bl
%elif %2 == 16
  %define %%r dx
%else
  %define %%r esi
%endif
        mov %%r, %3
        mov cl, %5
        SETF %6
%ifidn %4, 1
        %1 %%r, 1
%elifidn %4, cl
        %1 %%r, cl
%else
        %1 %%r, strict byte %5
%endif
        CHECKF %7, %9, %10, ".f"
        CHECK%2 %%r, %8, %10
%endmacro

        INIT

        SH shl, 8, 0x81, 1, 1, 0, OF|SF|ZF|PF|CF, 0x02, OF|CF, "shl8_81_by1"
        SH shl, 8, 0x40, 1, 1, CF, OF|SF|ZF|PF|CF, 0x80, OF|SF, "shl8_40_by1"
        SH shl, 8, 0x21, cl, 3, 0, SF|ZF|PF|CF, 0x08, CF, "shl8_21_cl3"
        SH shl, 16, 0x1234, imm, 4, 0, SF|ZF|PF|CF, 0x2340, CF, "shl16_1234_imm4"
        SH shl, 16, 0x8000, 1, 1, 0, OF|SF|ZF|PF|CF, 0x0000, OF|ZF|PF|CF, "shl16_8000_by1"
        SH shl, 32, 0x80000001, imm, 33, 0, OF|SF|ZF|PF|CF, 0x00000002, OF|CF, "shl32_80000001_imm33"
        SH shl, 32, 0x12345678, cl, 32, ZF|AF|CF, ARITH, 0x12345678, ZF|AF|CF, "shl32_12345678_cl32"
        SH shl, 32, 0xC0000000, 1, 1, 0, OF|SF|ZF|PF|CF, 0x80000000, SF|PF|CF, "shl32_c0000000_by1"
        SH shl, 8, 0xFF, cl, 8, 0, SF|ZF|PF, 0x00, ZF|PF, "shl8_ff_cl8"
        SH shl, 16, 0xFFFF, cl, 20, 0, SF|ZF|PF, 0x0000, ZF|PF, "shl16_ffff_cl20"
        SH shl, 32, 0x00000001, cl, 31, 0, SF|ZF|PF|CF, 0x80000000, SF|PF, "shl32_1_cl31"
        SH shr, 8, 0x81, 1, 1, 0, OF|SF|ZF|PF|CF, 0x40, OF|CF, "shr8_81_by1"
        SH shr, 16, 0x8000, cl, 15, CF, SF|ZF|PF|CF, 0x0001, 0, "shr16_8000_cl15"
        SH shr, 32, 0x8000000F, imm, 4, 0, SF|ZF|PF|CF, 0x08000000, PF|CF, "shr32_8000000f_imm4"
        SH shr, 8, 0x01, 1, 1, 0, OF|SF|ZF|PF|CF, 0x00, ZF|PF|CF, "shr8_1_by1"
        SH shr, 32, 0xFFFFFFFF, cl, 63, 0, SF|ZF|PF|CF, 0x00000001, CF, "shr32_ffffffff_cl63"
        SH shr, 16, 0x1234, cl, 0, ARITH, ARITH, 0x1234, OF|SF|ZF|AF|PF|CF, "shr16_1234_cl0"
        SH shr, 8, 0x80, cl, 9, 0, SF|ZF|PF, 0x00, ZF|PF, "shr8_80_cl9"
        SH sar, 8, 0x81, 1, 1, OF, OF|SF|ZF|PF|CF, 0xC0, SF|PF|CF, "sar8_81_by1"
        SH sar, 8, 0x80, cl, 7, 0, SF|ZF|PF|CF, 0xFF, SF|PF, "sar8_80_cl7"
        SH sar, 8, 0x80, cl, 10, 0, SF|ZF|PF|CF, 0xFF, SF|PF|CF, "sar8_80_cl10"
        SH sar, 16, 0x0001, 1, 1, 0, OF|SF|ZF|PF|CF, 0x0000, ZF|PF|CF, "sar16_1_by1"
        SH sar, 32, 0x80000000, cl, 31, 0, SF|ZF|PF|CF, 0xFFFFFFFF, SF|PF, "sar32_80000000_cl31"
        SH sar, 16, 0x8000, imm, 4, 0, SF|ZF|PF|CF, 0xF800, SF|PF, "sar16_8000_imm4"
        SH sar, 32, 0x7FFFFFFF, imm, 30, 0, SF|ZF|PF|CF, 0x00000001, CF, "sar32_7fffffff_imm30"
        SH sar, 16, 0x4000, cl, 33, 0, OF|SF|ZF|PF|CF, 0x2000, PF, "sar16_4000_cl33"
        SH rol, 8, 0x81, 1, 1, 0, ARITH, 0x03, OF|CF, "rol8_81_by1"
        SH rol, 8, 0x12, imm, 4, ZF|PF, SF|ZF|AF|PF|CF, 0x21, ZF|PF|CF, "rol8_12_imm4"
        SH rol, 16, 0x1234, cl, 8, ARITH, SF|ZF|AF|PF|CF, 0x3412, SF|ZF|AF|PF, "rol16_1234_cl8"
        SH rol, 32, 0x80000000, 1, 1, 0, ARITH, 0x00000001, OF|CF, "rol32_80000000_by1"
        SH rol, 8, 0x81, cl, 8, 0, SF|ZF|AF|PF|CF, 0x81, CF, "rol8_81_cl8"
        SH rol, 8, 0x81, cl, 0, SF|CF, ARITH, 0x81, SF|CF, "rol8_81_cl0"
        SH rol, 16, 0x8001, cl, 17, 0, SF|ZF|AF|PF|CF, 0x0003, CF, "rol16_8001_cl17"
        SH rol, 32, 0x12345678, cl, 36, 0, SF|ZF|AF|PF|CF, 0x23456781, CF, "rol32_12345678_cl36"
        SH rol, 32, 0x40000000, 1, 1, CF, ARITH, 0x80000000, OF, "rol32_40000000_by1"
        SH ror, 8, 0x01, 1, 1, 0, ARITH, 0x80, OF|CF, "ror8_1_by1"
        SH ror, 16, 0x1234, imm, 4, CF, SF|ZF|AF|PF|CF, 0x4123, 0, "ror16_1234_imm4"
        SH ror, 32, 0x12345678, cl, 36, 0, SF|ZF|AF|PF|CF, 0x81234567, CF, "ror32_12345678_cl36"
        SH ror, 8, 0x02, 1, 1, OF|CF, ARITH, 0x01, 0, "ror8_2_by1"
        SH ror, 8, 0x80, cl, 16, 0, SF|ZF|AF|PF|CF, 0x80, CF, "ror8_80_cl16"
        SH ror, 16, 0x0001, cl, 0, ARITH, ARITH, 0x0001, OF|SF|ZF|AF|PF|CF, "ror16_1_cl0"
        SH ror, 32, 0x00000003, 1, 1, 0, ARITH, 0x80000001, OF|CF, "ror32_3_by1"
        SH rcl, 8, 0x80, 1, 1, CF, ARITH, 0x01, OF|CF, "rcl8_80_by1"
        SH rcl, 8, 0x55, cl, 9, 0, SF|ZF|AF|PF|CF, 0x55, 0, "rcl8_55_cl9"
        SH rcl, 16, 0x8000, 1, 1, 0, ARITH, 0x0000, OF|CF, "rcl16_8000_by1"
        SH rcl, 16, 0x1234, cl, 17, CF, SF|ZF|AF|PF|CF, 0x1234, CF, "rcl16_1234_cl17"
        SH rcl, 32, 0x12345678, cl, 4, CF, SF|ZF|AF|PF|CF, 0x23456788, CF, "rcl32_12345678_cl4"
        SH rcl, 8, 0x81, imm, 8, 0, SF|ZF|AF|PF|CF, 0x40, CF, "rcl8_81_imm8"
        SH rcl, 8, 0x01, cl, 18, CF, SF|ZF|AF|PF|CF, 0x01, CF, "rcl8_1_cl18"
        SH rcl, 32, 0x80000000, cl, 33, 0, ARITH, 0x00000000, OF|CF, "rcl32_80000000_cl33"
        SH rcr, 8, 0x01, 1, 1, CF, ARITH, 0x80, OF|CF, "rcr8_1_by1"
        SH rcr, 16, 0x0007, imm, 3, 0, SF|ZF|AF|PF|CF, 0xC000, CF, "rcr16_7_imm3"
        SH rcr, 32, 0x00000001, cl, 1, 0, ARITH, 0x00000000, CF, "rcr32_1_cl1"
        SH rcr, 8, 0x81, cl, 9, CF, SF|ZF|AF|PF|CF, 0x81, CF, "rcr8_81_cl9"
        SH rcr, 16, 0x8001, cl, 17, 0, SF|ZF|AF|PF|CF, 0x8001, 0, "rcr16_8001_cl17"
        SH rcr, 32, 0x80000001, imm, 31, CF, SF|ZF|AF|PF|CF, 0x00000007, 0, "rcr32_80000001_imm31"
        SH rcr, 8, 0x40, 1, 1, 0, ARITH, 0x20, 0, "rcr8_40_by1"
        SH rcr, 16, 0x1234, cl, 16, CF, SF|ZF|AF|PF|CF, 0x2469, 0, "rcr16_1234_cl16"
        SH shl, 8, 0x0F, imm, 4, 0, SF|ZF|PF|CF, 0xF0, SF|PF, "shl8_f_imm4"
        SH shr, 16, 0x0003, 1, 1, 0, OF|SF|ZF|PF|CF, 0x0001, CF, "shr16_3_by1"
        SH shr, 32, 0x80000001, 1, 1, ARITH, OF|SF|ZF|PF|CF, 0x40000000, OF|PF|CF, "shr32_80000001_by1"
        SH shr, 8, 0xF0, imm, 3, 0, SF|ZF|PF|CF, 0x1E, PF, "shr8_f0_imm3"
        SH shr, 16, 0xFFFF, imm, 12, 0, SF|ZF|PF|CF, 0x000F, PF|CF, "shr16_ffff_imm12"
        SH sar, 32, 0xFFFFFFFE, 1, 1, 0, OF|SF|ZF|PF|CF, 0xFFFFFFFF, SF|PF, "sar32_fffffffe_by1"
        SH sar, 8, 0x7F, imm, 3, 0, SF|ZF|PF|CF, 0x0F, PF|CF, "sar8_7f_imm3"
        SH rol, 16, 0x8000, 1, 1, 0, ARITH, 0x0001, OF|CF, "rol16_8000_by1"
        SH rol, 16, 0x00F1, imm, 12, 0, SF|ZF|AF|PF|CF, 0x100F, CF, "rol16_f1_imm12"
        SH rol, 32, 0x00000081, imm, 31, 0, SF|ZF|AF|PF|CF, 0x80000040, 0, "rol32_81_imm31"
        SH ror, 16, 0x0003, 1, 1, 0, ARITH, 0x8001, OF|CF, "ror16_3_by1"
        SH ror, 8, 0x3C, imm, 3, 0, SF|ZF|AF|PF|CF, 0x87, CF, "ror8_3c_imm3"
        SH ror, 32, 0xF0000000, imm, 28, 0, SF|ZF|AF|PF|CF, 0x0000000F, 0, "ror32_f0000000_imm28"
        SH rcl, 32, 0x40000000, 1, 1, CF, ARITH, 0x80000001, OF, "rcl32_40000000_by1"
        SH rcl, 16, 0x4001, imm, 2, CF, SF|ZF|AF|PF|CF, 0x0006, CF, "rcl16_4001_imm2"
        SH rcl, 32, 0x00000001, imm, 31, 0, SF|ZF|AF|PF|CF, 0x80000000, 0, "rcl32_1_imm31"
        SH rcr, 16, 0x0002, 1, 1, CF, ARITH, 0x8001, OF, "rcr16_2_by1"
        SH rcr, 32, 0x80000000, 1, 1, 0, ARITH, 0x40000000, OF, "rcr32_80000000_by1"
        SH rcr, 8, 0x10, imm, 5, CF, SF|ZF|AF|PF|CF, 0x08, CF, "rcr8_10_imm5"

; ------------------------------------------------------------ other registers and memory operands
        mov ah, 0x03
        SETF 0
        shl ah, 1
        CHECKF CF|OF|SF|ZF|PF, PF, "shl_ah_by1.f"
        CHECK8 ah, 0x06, "shl_ah_by1"
        mov word [DATA], 0x8001
        shr word [DATA], 1              ; D1 /5 mem
        CHECKF CF|OF|SF|ZF|PF, CF|OF|PF, "shr_m16_by1.f"
        CHECK16 [DATA], 0x4000, "shr_m16_by1"
        mov dword [DATA+4], 0x000000F0
        mov cl, 4
        sar dword [DATA+4], cl          ; D3 /7 mem
        CHECKF CF|SF|ZF|PF, PF, "sar_m32_cl.f"
        CHECK32 [DATA+4], 0x0000000F, "sar_m32_cl"
        mov byte [DATA+8], 0x96
        rol byte [DATA+8], 4            ; C0 /0 mem
        CHECK8 [DATA+8], 0x69, "rol_m8_imm"
        mov dword [DATA+12], 0x00000001
        SETF CF
        rcr dword [DATA+12], 1
        CHECKF CF|OF, CF|OF, "rcr_m32_by1.f"
        CHECK32 [DATA+12], 0x80000000, "rcr_m32_by1"
        mov eax, 0xFFFF8000
        shl ax, 1                       ; 16-bit shift keeps the high half
        CHECK32 eax, 0xFFFF0000, "shl16_keeps_high"
        ; sal is shl (D0 /4); also the /6 alias encoding of SAL
        mov al, 0x41
        db 0xD0, 0xF0                   ; sal al, 1 via /6
        CHECKF CF|OF|SF|ZF|PF, SF|OF|PF, "sal_alias_d0_6.f"
        CHECK8 al, 0x82, "sal_alias_d0_6"

; ------------------------------------------------------------ SHLD / SHRD
        ; SHLD dst, src, n: dst = dst << n | src >> (w-n); CF = last bit out
        ; of dst; OF defined for n=1 (sign change); AF undefined.
        mov ax, 0x1234
        mov bx, 0xABCD
        SETF 0
        shld ax, bx, 4
        CHECKF CF|SF|ZF|PF, CF, "shld16_imm4.f"
        CHECK16 ax, 0x234A, "shld16_imm4"
        CHECK16 bx, 0xABCD, "shld16_src_unchanged"
        mov eax, 0x12345678
        mov ebx, 0x9ABCDEF0
        mov cl, 8
        shld eax, ebx, cl
        CHECKF CF|SF|ZF|PF, PF, "shld32_cl8.f"
        CHECK32 eax, 0x3456789A, "shld32_cl8"
        mov eax, 0x40000000
        mov ebx, 0x80000000
        shld eax, ebx, 1
        CHECKF CF|OF|SF|ZF|PF, OF|SF, "shld32_by1.f"
        CHECK32 eax, 0x80000001, "shld32_by1"
        mov ax, 0x8001
        mov bx, 0x5555
        mov cl, 16                      ; count == width: result is src
        shld ax, bx, cl
        CHECKF CF|SF|ZF|PF, CF|PF, "shld16_cl16.f"
        CHECK16 ax, 0x5555, "shld16_cl16"
        mov word [DATA+0x10], 0x1234
        mov dx, 0x5678
        shld [DATA+0x10], dx, 8
        CHECKF CF|SF|ZF|PF, PF, "shld16_mem.f"
        CHECK16 [DATA+0x10], 0x3456, "shld16_mem"
        mov eax, 0x12345678
        mov ebx, 0xFFFFFFFF
        mov cl, 32                      ; masked to 0: nothing changes
        SETF ZF|AF|OF
        shld eax, ebx, cl
        CHECKF ARITH, ZF|AF|OF, "shld32_cl32_noop.f"
        CHECK32 eax, 0x12345678, "shld32_cl32_noop"
        mov eax, 0x00000001
        mov ebx, 0x80000000
        mov cl, 33                      ; masked to 1
        SETF 0
        shld eax, ebx, cl
        CHECKF CF|OF|SF|ZF|PF, PF, "shld32_cl33.f"
        CHECK32 eax, 0x00000003, "shld32_cl33"

        ; SHRD dst, src, n: dst = dst >> n | src << (w-n)
        mov ax, 0x1234
        mov bx, 0xABCD
        shrd ax, bx, 4
        CHECKF CF|SF|ZF|PF, SF, "shrd16_imm4.f"
        CHECK16 ax, 0xD123, "shrd16_imm4"
        mov eax, 0x12345678
        mov ebx, 0x9ABCDEF0
        mov cl, 16
        shrd eax, ebx, cl
        CHECKF CF|SF|ZF|PF, SF, "shrd32_cl16.f"
        CHECK32 eax, 0xDEF01234, "shrd32_cl16"
        mov eax, 0x00000001
        mov ebx, 0x00000001
        shrd eax, ebx, 1
        CHECKF CF|OF|SF|ZF|PF, CF|OF|SF|PF, "shrd32_by1.f"
        CHECK32 eax, 0x80000000, "shrd32_by1"
        mov dx, 0x00FF
        mov si, 0x0000
        shrd dx, si, 8
        CHECKF CF|SF|ZF|PF, CF|ZF|PF, "shrd16_imm8.f"
        CHECK16 dx, 0x0000, "shrd16_imm8"
        mov dword [DATA+0x14], 0x80000000
        mov ecx, 0
        shrd [DATA+0x14], ecx, 31
        CHECKF CF|SF|ZF|PF, 0, "shrd32_mem.f"
        CHECK32 [DATA+0x14], 0x00000001, "shrd32_mem"
        mov eax, 0x12345678
        mov ebx, 0
        mov cl, 0
        SETF CF|SF|PF
        shrd eax, ebx, cl
        CHECKF ARITH, CF|SF|PF, "shrd32_cl0_noop.f"
        CHECK32 eax, 0x12345678, "shrd32_cl0_noop"

        FINISH
        ROM_END
