; mov.asm - data movement: MOV (all forms, segment registers, moffs), XCHG,
; XLAT, LEA, LDS/LES/LFS/LGS/LSS, MOVSX/MOVZX, LAHF/SAHF, CBW/CWD/CWDE/CDQ,
; BSWAP.
%include "common.inc"

DATA    equ 0x1000              ; data area (segment 0)

        INIT

; ------------------------------------------------------------ MOV r, imm
        mov ax, 0xFFFF
        mov al, 0x12
        mov ah, 0x34
        CHECK16 ax, 0x3412, "mov_r8_imm_al_ah"
        mov cx, 0xFFFF
        mov cl, 0x56
        mov ch, 0x78
        CHECK16 cx, 0x7856, "mov_r8_imm_cl_ch"
        mov dx, 0xFFFF
        mov dl, 0x9A
        mov dh, 0xBC
        CHECK16 dx, 0xBC9A, "mov_r8_imm_dl_dh"
        mov bx, 0xFFFF
        mov bl, 0xDE
        mov bh, 0xF0
        CHECK16 bx, 0xF0DE, "mov_r8_imm_bl_bh"

        mov ax, 0x1111
        mov cx, 0x2222
        mov dx, 0x3333
        mov bx, 0x4444
        mov bp, 0x5555
        mov si, 0x6666
        mov di, 0x7777
        CHECK16 ax, 0x1111, "mov_r16_imm_ax"
        CHECK16 cx, 0x2222, "mov_r16_imm_cx"
        CHECK16 dx, 0x3333, "mov_r16_imm_dx"
        CHECK16 bx, 0x4444, "mov_r16_imm_bx"
        CHECK16 bp, 0x5555, "mov_r16_imm_bp"
        CHECK16 si, 0x6666, "mov_r16_imm_si"
        CHECK16 di, 0x7777, "mov_r16_imm_di"
        mov si, sp
        mov sp, 0x1234
        mov di, sp
        mov sp, si
        CHECK16 di, 0x1234, "mov_r16_imm_sp"

        mov eax, 0x89ABCDEF
        mov ebx, 0x01234567
        mov ebp, 0xFEDCBA98
        CHECK32 eax, 0x89ABCDEF, "mov_r32_imm_eax"
        CHECK32 ebx, 0x01234567, "mov_r32_imm_ebx"
        CHECK32 ebp, 0xFEDCBA98, "mov_r32_imm_ebp"
        xor ebp, ebp

        ; 16-bit and 8-bit writes keep the rest of the 32-bit register
        mov eax, 0xFFFFFFFF
        mov ax, 0x1234
        CHECK32 eax, 0xFFFF1234, "mov_r16_keeps_high"
        mov ah, 0x56
        CHECK32 eax, 0xFFFF5634, "mov_r8h_keeps_rest"
        mov al, 0x78
        CHECK32 eax, 0xFFFF5678, "mov_r8l_keeps_rest"

; ------------------------------------------------------------ MOV r/m, imm (C6/C7)
        mov dword [DATA], 0
        mov dword [DATA+4], 0
        mov byte [DATA], 0x5A
        mov word [DATA+2], 0x1234
        mov dword [DATA+4], 0x89ABCDEF
        CHECK8 [DATA], 0x5A, "mov_m8_imm"
        CHECK16 [DATA+2], 0x1234, "mov_m16_imm"
        CHECK32 [DATA+4], 0x89ABCDEF, "mov_m32_imm"
        CHECK8 [DATA+1], 0x00, "mov_m8_imm_no_spill"

; ------------------------------------------------------------ MOV r/m, r and r, r/m with all 16-bit modes
        mov word [DATA+0x10], 0x1111
        mov word [DATA+0x12], 0x2222
        mov bx, DATA
        mov si, 0x10
        mov di, 0x12
        mov ax, [bx+si]                 ; 8B 00
        CHECK16 ax, 0x1111, "mov_r16_bx_si"
        mov ax, [bx+di]
        CHECK16 ax, 0x2222, "mov_r16_bx_di"
        mov si, DATA+0x10
        mov ax, [si]
        CHECK16 ax, 0x1111, "mov_r16_si"
        mov di, DATA+0x12
        mov ax, [di]
        CHECK16 ax, 0x2222, "mov_r16_di"
        mov ax, [bx+0x12]               ; disp8
        CHECK16 ax, 0x2222, "mov_r16_bx_disp8"
        mov bx, 0x12
        mov ax, [bx+DATA]               ; disp16
        CHECK16 ax, 0x2222, "mov_r16_bx_disp16"
        mov ax, [DATA+0x10]             ; moffs form (A1)
        CHECK16 ax, 0x1111, "mov_ax_moffs"
        mov cx, [DATA+0x12]             ; mod=00 rm=110 disp16
        CHECK16 cx, 0x2222, "mov_r16_disp16"
        mov bx, DATA
        mov si, 0x10
        mov dl, [bx+si+1]
        CHECK8 dl, 0x11, "mov_r8_bx_si_disp8"
        mov ax, 0xABCD
        mov bx, DATA
        mov di, 0x20
        mov [bx+di+2], ax               ; 89 41 02
        CHECK16 [DATA+0x22], 0xABCD, "mov_m16_r_bx_di_disp8"
        mov [bx+di+0x104], ah           ; 88 A1 disp16
        CHECK8 [DATA+0x124], 0xAB, "mov_m8_r8h_disp16"
        mov ecx, 0xCAFEBABE
        mov [bx+0x30], ecx
        mov edx, [bx+0x30]
        CHECK32 edx, 0xCAFEBABE, "mov_m32_r32_roundtrip"

        ; register to register, both directions of the d bit
        mov ax, 0x1357
        mov bx, ax                      ; 89 C3
        CHECK16 bx, 0x1357, "mov_r16_r16_89"
        db 0x8B, 0xCB                   ; mov cx, bx (8B form)
        CHECK16 cx, 0x1357, "mov_r16_r16_8B"
        mov dh, al                      ; 88 C6
        CHECK8 dh, 0x57, "mov_r8_r8_88"
        db 0x8A, 0xD4                   ; mov dl, ah (8A form)
        CHECK8 dl, 0x13, "mov_r8_r8_8A"

; ------------------------------------------------------------ moffs forms (A0-A3), with overrides
        mov byte [DATA+0x40], 0x77
        mov al, 0
        mov al, [DATA+0x40]             ; A0
        CHECK8 al, 0x77, "mov_al_moffs"
        mov al, 0x88
        mov [DATA+0x41], al             ; A2
        CHECK8 [DATA+0x41], 0x88, "mov_moffs_al"
        mov ax, 0x99AA
        mov [DATA+0x42], ax             ; A3
        CHECK16 [DATA+0x42], 0x99AA, "mov_moffs_ax"
        mov eax, 0x11223344
        mov [DATA+0x44], eax            ; 66 A3
        mov eax, 0
        mov eax, [DATA+0x44]            ; 66 A1
        CHECK32 eax, 0x11223344, "mov_eax_moffs"
        ; moffs with a segment override: ES=0x0100 so ES:0x0040 = phys 0x1040
        mov ax, 0x0100
        mov es, ax
        mov al, 0
        mov al, [es:0x0040]             ; 26 A0
        CHECK8 al, 0x77, "mov_al_moffs_es"
        mov ax, 0x0100
        mov fs, ax
        mov ax, [fs:0x0042]
        CHECK16 ax, 0x99AA, "mov_ax_moffs_fs"
        mov gs, ax                      ; gs = 0x99AA, reset below
        xor ax, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        ; CS override reads the ROM
        mov ax, [cs:rom_word]
        CHECK16 ax, 0xBEEF, "mov_ax_cs_override"

; ------------------------------------------------------------ segment registers
        mov ax, 0x1234
        mov es, ax
        mov bx, es
        CHECK16 bx, 0x1234, "mov_es_r16"
        mov ax, 0x2345
        mov fs, ax
        CHECK16 fs, 0x2345, "mov_fs_r16"
        mov ax, 0x3456
        mov gs, ax
        CHECK16 gs, 0x3456, "mov_gs_r16"
        mov cx, cs
        CHECK16 cx, 0xF000, "mov_r16_cs"
        mov cx, ss
        CHECK16 cx, 0x0000, "mov_r16_ss"
        mov word [DATA+0x50], 0x4567
        mov es, [DATA+0x50]             ; 8E 06
        CHECK16 es, 0x4567, "mov_es_m16"
        mov [DATA+0x52], es             ; 8C 06
        CHECK16 [DATA+0x52], 0x4567, "mov_m16_es"
        mov [DATA+0x54], cs
        CHECK16 [DATA+0x54], 0xF000, "mov_m16_cs"
        ; mov ss, then use it; SS=0x0100 with SP adjusted keeps the same stack
        mov ax, 0x0100
        mov ss, ax
        sub sp, 0x1000
        mov bx, ss
        mov cx, 0
        mov ss, cx
        add sp, 0x1000
        CHECK16 bx, 0x0100, "mov_ss_r16"
        ; mov ds, and DS is the default segment for [bx]
        mov word [DATA+0x60], 0x5A5A    ; phys 0x1060
        mov ax, 0x0100
        mov ds, ax
        mov ax, [0x0060]                ; DS=0x100 -> phys 0x1060
        mov bx, 0
        mov ds, bx
        CHECK16 ax, 0x5A5A, "mov_ds_r16_used"
        xor ax, ax
        mov es, ax
        mov fs, ax
        mov gs, ax

; ------------------------------------------------------------ default segment SS for BP, and overrides
        ; DS=0x0100 (base 0x1000), SS=0: [bp+...] must use SS
        mov word [0x0800], 0xAAAA       ; phys 0x0800 (SS:0x800)
        mov word [0x1800], 0xBBBB       ; phys 0x1800 (DS:0x800)
        mov ax, 0x0100
        mov ds, ax
        mov bp, 0x0800
        mov si, 0
        mov ax, [bp]                    ; 8B 46 00 -> SS
        CHECK16 ax, 0xAAAA, "mov_bp_default_ss"
        mov ax, [bp+si]
        CHECK16 ax, 0xAAAA, "mov_bp_si_default_ss"
        mov di, 0
        mov ax, [bp+di]
        CHECK16 ax, 0xAAAA, "mov_bp_di_default_ss"
        mov ax, [ds:bp]                 ; 3E override
        CHECK16 ax, 0xBBBB, "mov_bp_ds_override"
        mov bx, 0x0800
        mov ax, [bx]
        CHECK16 ax, 0xBBBB, "mov_bx_default_ds"
        mov ax, [ss:bx]
        CHECK16 ax, 0xAAAA, "mov_bx_ss_override"
        mov cx, 0x0100
        mov es, cx
        mov cx, 0
        mov ds, cx
        mov ax, [es:bp]
        CHECK16 ax, 0xBBBB, "mov_bp_es_override"
        xor cx, cx
        mov es, cx

; ------------------------------------------------------------ MOV does not touch flags
        SETF CF|ZF|SF|OF|PF|AF
        mov ax, 0
        mov bl, 0xFF
        mov [DATA], ax
        CHECKF ARITH, CF|ZF|SF|OF|PF|AF, "mov_flags_untouched_1"
        SETF 0
        mov ax, 0
        mov es, ax
        mov ecx, [DATA]
        CHECKF ARITH, 0, "mov_flags_untouched_0"

; ------------------------------------------------------------ XCHG
        mov ax, 0x1111
        mov cx, 0x2222
        xchg ax, cx                     ; 91
        CHECK16 ax, 0x2222, "xchg_ax_cx_ax"
        CHECK16 cx, 0x1111, "xchg_ax_cx_cx"
        mov si, 0x3333
        xchg si, ax                     ; 96
        CHECK16 ax, 0x3333, "xchg_si_ax_ax"
        CHECK16 si, 0x2222, "xchg_si_ax_si"
        mov bl, 0x12
        mov dh, 0x34
        xchg bl, dh                     ; 86
        CHECK8 bl, 0x34, "xchg_r8_bl"
        CHECK8 dh, 0x12, "xchg_r8_dh"
        mov word [DATA+0x70], 0xAAAA
        mov dx, 0x5555
        xchg dx, [DATA+0x70]            ; 87 mem
        CHECK16 dx, 0xAAAA, "xchg_r16_mem_reg"
        CHECK16 [DATA+0x70], 0x5555, "xchg_r16_mem_mem"
        mov byte [DATA+0x72], 0x9C
        mov ch, 0x3E
        xchg [DATA+0x72], ch
        CHECK8 ch, 0x9C, "xchg_r8_mem_reg"
        CHECK8 [DATA+0x72], 0x3E, "xchg_r8_mem_mem"
        mov eax, 0x12345678
        mov edi, 0x9ABCDEF0
        xchg eax, edi                   ; 66 97
        CHECK32 eax, 0x9ABCDEF0, "xchg_eax_edi_eax"
        CHECK32 edi, 0x12345678, "xchg_eax_edi_edi"
        mov dword [DATA+0x74], 0xFEEDF00D
        mov ebx, 0x0BADCAFE
        xchg [DATA+0x74], ebx
        CHECK32 ebx, 0xFEEDF00D, "xchg_r32_mem_reg"
        CHECK32 [DATA+0x74], 0x0BADCAFE, "xchg_r32_mem_mem"
        xor edi, edi

; ------------------------------------------------------------ XLAT
        ; table at DATA+0x100: byte i = i XOR 0x5A
        mov bx, DATA+0x100
        xor cx, cx
.xlfill:
        mov al, cl
        xor al, 0x5A
        mov di, cx
        mov [bx+di], al
        inc cx
        cmp cx, 256
        jb .xlfill
        mov al, 0x03
        xlatb
        CHECK8 al, 0x59, "xlat_low"
        mov al, 0xF0                    ; AL is unsigned: table+0xF0
        xlatb
        CHECK8 al, 0xAA, "xlat_high_unsigned"
        mov eax, 0x12345600
        xlatb
        CHECK32 eax, 0x1234565A, "xlat_keeps_upper"
        ; segment override: ES:BX table, ES=0x0010 so ES:(bx-0x100) = same table
        mov ax, 0x0010
        mov es, ax
        mov bx, DATA
        mov al, 0x10
        es xlatb
        CHECK8 al, 0x4A, "xlat_es_override"
        xor ax, ax
        mov es, ax

; ------------------------------------------------------------ LEA
        mov bx, 0x1000
        mov si, 0x0234
        lea ax, [bx+si+0x10]
        CHECK16 ax, 0x1244, "lea_bx_si_disp"
        mov bp, 0x2000
        lea ax, [bp-2]
        CHECK16 ax, 0x1FFE, "lea_bp_neg_disp"
        mov bx, 0xFFF0
        mov si, 0x0020
        lea ax, [bx+si]                 ; 16-bit address wraps
        CHECK16 ax, 0x0010, "lea_wrap16"
        mov di, 0xFFFF
        lea cx, [di+2]
        CHECK16 cx, 0x0001, "lea_di_disp_wrap16"
        mov eax, 0xFFFFFFFF
        lea eax, [bx+si]                ; 32-bit operand, 16-bit address: zero-extended
        CHECK32 eax, 0x00000010, "lea_o32_a16_zext"
        mov ebx, 0x00100000
        mov ecx, 0x00000003
        lea eax, [ebx+ecx*4+0x100]
        CHECK32 eax, 0x0010010C, "lea_a32_sib"
        mov edx, 0xFFFFFFFF
        lea dx, [ebx+ecx*8+0x12345]     ; 16-bit operand, 32-bit address: truncated
        CHECK32 edx, 0xFFFF235D, "lea_o16_a32_trunc"
        mov ecx, 0x11111111
        lea ecx, [ecx*8+ecx]            ; ecx*9
        CHECK32 ecx, 0x99999999, "lea_scale9"
        SETF CF|OF
        lea ax, [bx+si]
        CHECKF ARITH, CF|OF, "lea_flags_untouched"
        xor ebx, ebx
        xor ecx, ecx
        xor edx, edx

; ------------------------------------------------------------ LDS/LES/LFS/LGS/LSS
        mov word [DATA+0x200], 0x1234   ; offset
        mov word [DATA+0x202], 0x5678   ; segment
        mov dword [DATA+0x204], 0x9ABCDEF0 ; 32-bit offset
        mov word [DATA+0x208], 0x2345   ; segment after it
        lds si, [DATA+0x200]
        mov ax, ds
        mov cx, 0
        mov ds, cx
        CHECK16 si, 0x1234, "lds_off"
        CHECK16 ax, 0x5678, "lds_seg"
        les di, [DATA+0x200]
        CHECK16 di, 0x1234, "les_off"
        CHECK16 es, 0x5678, "les_seg"
        lfs bx, [DATA+0x200]
        CHECK16 bx, 0x1234, "lfs_off"
        CHECK16 fs, 0x5678, "lfs_seg"
        lgs dx, [DATA+0x200]
        CHECK16 dx, 0x1234, "lgs_off"
        CHECK16 gs, 0x5678, "lgs_seg"
        mov eax, 0xFFFFFFFF
        les eax, [DATA+0x204]           ; 66 C4: 32-bit offset + selector
        CHECK32 eax, 0x9ABCDEF0, "les_o32_off"
        CHECK16 es, 0x2345, "les_o32_seg"
        ; LSS: load SS:SP, read back, restore
        mov word [DATA+0x210], 0x6F00   ; new SP
        mov word [DATA+0x212], 0x0010   ; new SS -> same linear stack area
        mov cx, sp
        mov dx, ss
        lss sp, [DATA+0x210]
        mov bx, sp
        mov ax, ss
        mov ss, dx
        mov sp, cx
        CHECK16 bx, 0x6F00, "lss_sp"
        CHECK16 ax, 0x0010, "lss_ss"
        xor ax, ax
        mov es, ax
        mov fs, ax
        mov gs, ax

; ------------------------------------------------------------ MOVSX / MOVZX
        mov bl, 0x80
        mov ax, 0
        movsx ax, bl
        CHECK16 ax, 0xFF80, "movsx_r16_r8_neg"
        mov bl, 0x7F
        movsx ax, bl
        CHECK16 ax, 0x007F, "movsx_r16_r8_pos"
        mov bx, 0x8001
        movsx eax, bx
        CHECK32 eax, 0xFFFF8001, "movsx_r32_r16_neg"
        mov bl, 0xFE
        movsx eax, bl
        CHECK32 eax, 0xFFFFFFFE, "movsx_r32_r8_neg"
        mov bl, 0xFE
        movzx ax, bl
        CHECK16 ax, 0x00FE, "movzx_r16_r8"
        mov eax, 0xFFFFFFFF
        mov bl, 0xFE
        movzx eax, bl
        CHECK32 eax, 0x000000FE, "movzx_r32_r8"
        mov word [DATA+0x220], 0x9876
        movzx eax, word [DATA+0x220]
        CHECK32 eax, 0x00009876, "movzx_r32_m16"
        movsx eax, word [DATA+0x220]
        CHECK32 eax, 0xFFFF9876, "movsx_r32_m16"
        movsx ecx, byte [DATA+0x221]
        CHECK32 ecx, 0xFFFFFF98, "movsx_r32_m8"
        mov ax, 0x1234
        movzx ax, ah
        CHECK16 ax, 0x0012, "movzx_r16_own_high"
        xor ebx, ebx
        xor ecx, ecx

; ------------------------------------------------------------ LAHF / SAHF
        SETF OF                          ; OF must survive SAHF
        mov ah, 0xFF
        sahf
        CHECKF ARITH, OF|SF|ZF|AF|PF|CF, "sahf_all_ones"
        lahf
        CHECK8 ah, 0xD7, "lahf_all_ones"
        mov ah, 0x00
        sahf
        CHECKF ARITH, OF, "sahf_zero"
        lahf
        CHECK8 ah, 0x02, "lahf_zero"
        SETF 0
        mov ah, 0x41                    ; ZF|CF
        sahf
        CHECKF ARITH, ZF|CF, "sahf_zf_cf"
        lahf
        CHECK8 ah, 0x43, "lahf_zf_cf"

; ------------------------------------------------------------ CBW/CWD/CWDE/CDQ
        mov ax, 0x1280
        cbw
        CHECK16 ax, 0xFF80, "cbw_neg"
        mov ax, 0xFF7F
        cbw
        CHECK16 ax, 0x007F, "cbw_pos"
        mov ax, 0x8000
        mov dx, 0x1234
        cwd
        CHECK16 dx, 0xFFFF, "cwd_neg"
        mov ax, 0x7FFF
        cwd
        CHECK16 dx, 0x0000, "cwd_pos"
        mov eax, 0x12348001
        cwde
        CHECK32 eax, 0xFFFF8001, "cwde_neg"
        mov eax, 0xFFFF7FFF
        cwde
        CHECK32 eax, 0x00007FFF, "cwde_pos"
        mov eax, 0x80000000
        mov edx, 0
        cdq
        CHECK32 edx, 0xFFFFFFFF, "cdq_neg"
        mov eax, 0x7FFFFFFF
        cdq
        CHECK32 edx, 0x00000000, "cdq_pos"
        mov edx, 0xFFFFFFFF
        mov ax, 0x0001
        cwd
        CHECK32 edx, 0xFFFF0000, "cwd_keeps_edx_high"

; ------------------------------------------------------------ BSWAP
        mov eax, 0x12345678
        bswap eax
        CHECK32 eax, 0x78563412, "bswap_eax"
        mov ecx, 0xAABBCCDD
        bswap ecx
        CHECK32 ecx, 0xDDCCBBAA, "bswap_ecx"
        mov esi, 0x00FF00FF
        bswap esi
        CHECK32 esi, 0xFF00FF00, "bswap_esi"
        mov edi, 0x01020304
        bswap edi
        bswap edi
        CHECK32 edi, 0x01020304, "bswap_twice"

        FINISH

rom_word: dw 0xBEEF

        ROM_END
