; bcd.asm - decimal adjust: DAA, DAS, AAA, AAS, AAM (incl. other bases and
; AAM 0 -> #DE), AAD (incl. other bases), with 386+ semantics:
;   AAA: if (AL & 0Fh) > 9 or AF: AX += 106h, AF = CF = 1; AL &= 0Fh
;   AAS: if (AL & 0Fh) > 9 or AF: AX -= 6, AH -= 1, AF = CF = 1; AL &= 0Fh
;   DAA/DAS: the SDM algorithm (adjust tested on the old AL > 99h / old CF).
; Defined flags only: DAA/DAS: CF AF SF ZF PF (OF undefined); AAA/AAS: CF
; AF; AAM/AAD: SF ZF PF.
;
; DAA includes the AL >= 0FAh corner where AL+6 carries out of the byte: the
; second adjust depends on the old AL (> 99h), so e.g. FAh -> 60h CF=1.
%include "common.inc"

DE_COUNT  equ SCRATCH+0
DE_IP     equ SCRATCH+2
DE_RESUME equ SCRATCH+8

; BCD instruction, ax-in, flags-in, mask, ax-out, flags-out, name
%macro BCD 7
        mov ax, %2
        SETF %3
        %1
        CHECKF %4, %6, %7, ".f"
        CHECK16 ax, %5, %7
%endmacro

        INIT
        jmp tests

de_handler:
        push bp
        mov bp, sp
        push ax
        push ds
        xor ax, ax
        mov ds, ax
        inc word [DE_COUNT]
        mov ax, [bp+2]
        mov [DE_IP], ax
        mov ax, [DE_RESUME]
        mov [bp+2], ax
        pop ds
        pop ax
        pop bp
        iret

tests:
        BCD {daa}, 0x003C, 0, CF|AF|SF|ZF|PF, 0x0042, AF|PF, "daa_3c_0"
        BCD {daa}, 0x009A, 0, CF|AF|SF|ZF|PF, 0x0000, ZF|AF|PF|CF, "daa_9a_0"
        BCD {daa}, 0x00A1, AF, CF|AF|SF|ZF|PF, 0x0007, AF|CF, "daa_a1_af"
        BCD {daa}, 0x000A, 0, CF|AF|SF|ZF|PF, 0x0010, AF, "daa_0a_0"
        BCD {daa}, 0x009F, 0, CF|AF|SF|ZF|PF, 0x0005, AF|PF|CF, "daa_9f_0"
        BCD {daa}, 0x1200, AF|CF, CF|AF|SF|ZF|PF, 0x1266, AF|PF|CF, "daa_00_afcf"
        BCD {daa}, 0x0099, 0, CF|AF|SF|ZF|PF, 0x0099, SF|PF, "daa_99_0"
        BCD {daa}, 0x0094, AF, CF|AF|SF|ZF|PF, 0x009A, SF|AF|PF, "daa_94_af"
        BCD {daa}, 0x00F3, 0, CF|AF|SF|ZF|PF, 0x0053, PF|CF, "daa_f3_0"
        BCD {daa}, 0x0042, CF, CF|AF|SF|ZF|PF, 0x00A2, SF|CF, "daa_42_cf"
        BCD {daa}, 0x00FA, 0, CF|AF|SF|ZF|PF, 0x0060, AF|PF|CF, "daa_fa_0"
        BCD {daa}, 0x00FF, AF, CF|AF|SF|ZF|PF, 0x0065, AF|PF|CF, "daa_ff_af"
        BCD {daa}, 0x00FC, CF, CF|AF|SF|ZF|PF, 0x0062, AF|CF, "daa_fc_cf"
        BCD {das}, 0x002D, AF, CF|AF|SF|ZF|PF, 0x0027, AF|PF, "das_2d_af"
        BCD {das}, 0x000F, AF, CF|AF|SF|ZF|PF, 0x0009, AF|PF, "das_0f_af"
        BCD {das}, 0x00FF, AF|CF, CF|AF|SF|ZF|PF, 0x0099, SF|AF|PF|CF, "das_ff_afcf"
        BCD {das}, 0x001B, AF, CF|AF|SF|ZF|PF, 0x0015, AF, "das_1b_af"
        BCD {das}, 0x0003, AF, CF|AF|SF|ZF|PF, 0x00FD, SF|AF|CF, "das_03_af"
        BCD {das}, 0x009A, 0, CF|AF|SF|ZF|PF, 0x0034, AF|CF, "das_9a_0"
        BCD {das}, 0x00A0, 0, CF|AF|SF|ZF|PF, 0x0040, CF, "das_a0_0"
        BCD {das}, 0x0066, CF, CF|AF|SF|ZF|PF, 0x0006, PF|CF, "das_66_cf"
        BCD {aaa}, 0x0011, AF, CF|AF, 0x0107, AF|CF, "aaa_0011_af"
        BCD {aaa}, 0x00FB, 0, CF|AF, 0x0201, AF|CF, "aaa_00fb_0"
        BCD {aaa}, 0x0505, 0, CF|AF, 0x0505, 0, "aaa_0505_0"
        BCD {aaa}, 0x0005, AF, CF|AF, 0x010B, AF|CF, "aaa_0005_af"
        BCD {aaa}, 0xFF0A, 0, CF|AF, 0x0000, AF|CF, "aaa_ff0a_0"
        BCD {aaa}, 0x0109, 0, CF|AF, 0x0109, 0, "aaa_0109_0"
        BCD {aas}, 0x0203, AF, CF|AF, 0x000D, AF|CF, "aas_0203_af"
        BCD {aas}, 0x020B, 0, CF|AF, 0x0105, AF|CF, "aas_020b_0"
        BCD {aas}, 0x0109, 0, CF|AF, 0x0109, 0, "aas_0109_0"
        BCD {aas}, 0x0100, 0, CF|AF, 0x0100, 0, "aas_0100_0"
        BCD {aas}, 0x0002, AF, CF|AF, 0xFE0C, AF|CF, "aas_0002_af"
        BCD {aas}, 0x00FF, 0, CF|AF, 0xFF09, AF|CF, "aas_00ff_0"
        BCD {aam}, 0x003F, 0, SF|ZF|PF, 0x0603, PF, "aam10_003f"
        BCD {aam 16}, 0x00AB, 0, SF|ZF|PF, 0x0A0B, 0, "aam16_00ab"
        BCD {aam 7}, 0x0050, 0, SF|ZF|PF, 0x0B03, PF, "aam7_0050"
        BCD {aam}, 0x000A, 0, SF|ZF|PF, 0x0100, ZF|PF, "aam10_000a"
        BCD {aam}, 0xFFFF, 0, SF|ZF|PF, 0x1905, PF, "aam10_ffff"
        BCD {aam 1}, 0x0080, 0, SF|ZF|PF, 0x8000, ZF|PF, "aam1_0080"
        BCD {aam}, 0x0009, 0, SF|ZF|PF, 0x0009, PF, "aam10_0009"
        BCD {aad}, 0x0603, 0, SF|ZF|PF, 0x003F, PF, "aad10_0603"
        BCD {aad 16}, 0x0A0B, 0, SF|ZF|PF, 0x00AB, SF, "aad16_0a0b"
        BCD {aad 7}, 0x0B03, 0, SF|ZF|PF, 0x0050, PF, "aad7_0b03"
        BCD {aad}, 0xFF10, 0, SF|ZF|PF, 0x0006, PF, "aad10_ff10"
        BCD {aad 0}, 0x1234, 0, SF|ZF|PF, 0x0034, 0, "aad0_1234"
        BCD {aad}, 0x0000, 0, SF|ZF|PF, 0x0000, ZF|PF, "aad10_0000"
        BCD {aad}, 0x0909, 0, SF|ZF|PF, 0x0063, PF, "aad10_0909"
        BCD {aad 255}, 0x0105, 0, SF|ZF|PF, 0x0004, 0, "aad255_0105"

; ------------------------------------------------------------ real BCD arithmetic sequences
        mov al, 0x58                    ; 58 + 49 = 107 (BCD)
        add al, 0x49
        daa
        CHECKF CF, CF, "seq_add_daa_carry.f"
        CHECK8 al, 0x07, "seq_add_daa_carry"
        mov al, 0x38                    ; 38 + 45 = 83
        add al, 0x45
        daa
        CHECKF CF, 0, "seq_add_daa.f"
        CHECK8 al, 0x83, "seq_add_daa"
        mov al, 0x42                    ; 42 - 15 = 27
        sub al, 0x15
        das
        CHECKF CF, 0, "seq_sub_das.f"
        CHECK8 al, 0x27, "seq_sub_das"
        mov al, 0x15                    ; 15 - 42 = -27 -> 73 borrow
        sub al, 0x42
        das
        CHECKF CF, CF, "seq_sub_das_borrow.f"
        CHECK8 al, 0x73, "seq_sub_das_borrow"
        mov ax, 0x0009                  ; unpacked 9 + 8 = 17
        add al, 0x08
        aaa
        CHECK16 ax, 0x0107, "seq_add_aaa"
        mov ax, 0x0103                  ; unpacked 13 - 5 = 8
        sub al, 0x05
        aas
        CHECK16 ax, 0x0008, "seq_sub_aas"
        mov al, 7                       ; 7 * 9 = 63 -> 06 03
        mov bl, 9
        mul bl
        aam
        CHECK16 ax, 0x0603, "seq_mul_aam"
        mov ax, 0x0705                  ; 75 / 4 = 18 r 3
        aad
        mov bl, 4
        div bl
        CHECK16 ax, 0x0312, "seq_aad_div"

; ------------------------------------------------------------ AAM 0 raises #DE at the AAM
        SETVEC 0, de_handler
        mov word [DE_COUNT], 0
        mov word [DE_RESUME], .after
        mov ax, 0x1234
.aam0:  aam 0
.after:
        CHECK16 [DE_COUNT], 1, "aam0_de_count"
        CHECK16 [DE_IP], .aam0-$$, "aam0_de_ip"
        CHECK16 ax, 0x1234, "aam0_ax_unchanged"
        ; AAD 0 does not fault
        mov word [DE_COUNT], 0
        mov ax, 0x0507
        aad 0
        CHECK16 [DE_COUNT], 0, "aad0_no_fault"
        CHECK16 ax, 0x0007, "aad0"

        FINISH
        ROM_END
