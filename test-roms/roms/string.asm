; string.asm - MOVS/CMPS/SCAS/LODS/STOS (byte/word/dword) with REP/REPE/
; REPNE, DF=0 and DF=1, CX=0 doing nothing, segment overrides on the source
; (the ES:DI destination cannot be overridden), 16- vs 32-bit address size
; (67h: ECX/ESI/EDI, no 16-bit wrap; without it only CX/SI/DI change).
%include "common.inc"

SRCSEG  equ 0x0100              ; DS for these tests (phys 0x1000)
DSTSEG  equ 0x0200              ; ES for these tests (phys 0x2000)
FSSEG   equ 0x0300              ; FS (phys 0x3000)
BIGSEG  equ 0x4000              ; 64 KiB area for the 32-bit count test

        INIT

        ; DS:0000-00FF = i + 0x10 (bytes); ES:0000-00FF = 0
        mov ax, SRCSEG
        mov ds, ax
        mov ax, DSTSEG
        mov es, ax
        xor bx, bx
.fill:  mov al, bl
        add al, 0x10
        mov [bx], al
        mov byte [es:bx], 0
        inc bx
        cmp bx, 0x100
        jb .fill

; ------------------------------------------------------------ MOVS
        cld
        mov si, 0
        mov di, 0x10
        movsb
        CHECK8 [es:0x10], 0x10, "movsb_data"
        CHECK16 si, 0x0001, "movsb_si"
        CHECK16 di, 0x0011, "movsb_di"
        CHECK8 [es:0x11], 0x00, "movsb_one_byte_only"

        mov si, 0x20
        mov di, 0x40
        mov cx, 5
        rep movsb
        CHECK16 cx, 0, "rep_movsb_cx"
        CHECK16 si, 0x25, "rep_movsb_si"
        CHECK16 di, 0x45, "rep_movsb_di"
        CHECK32 [es:0x40], 0x33323130, "rep_movsb_data"
        CHECK8 [es:0x44], 0x34, "rep_movsb_last"
        CHECK8 [es:0x45], 0x00, "rep_movsb_no_extra"

        std
        mov si, 0x34
        mov di, 0x64
        mov cx, 3
        rep movsw
        cld
        CHECK16 cx, 0, "rep_movsw_df1_cx"
        CHECK16 si, 0x2E, "rep_movsw_df1_si"
        CHECK16 di, 0x5E, "rep_movsw_df1_di"
        CHECK16 [es:0x64], 0x4544, "rep_movsw_df1_first"
        CHECK16 [es:0x60], 0x4140, "rep_movsw_df1_last"
        CHECK16 [es:0x5E], 0x0000, "rep_movsw_df1_no_extra"

        mov si, 0x80
        mov di, 0x80
        mov cx, 2
        rep movsd
        CHECK16 si, 0x88, "rep_movsd_si"
        CHECK16 di, 0x88, "rep_movsd_di"
        CHECK32 [es:0x80], 0x93929190, "rep_movsd_data0"
        CHECK32 [es:0x84], 0x97969594, "rep_movsd_data1"

        mov si, 0x90
        mov di, 0x90
        mov cx, 0
        SETF CF|ZF
        rep movsb
        CHECKF ARITH, CF|ZF, "rep_movsb_cx0_flags"
        CHECK16 si, 0x90, "rep_movsb_cx0_si"
        CHECK16 di, 0x90, "rep_movsb_cx0_di"
        CHECK8 [es:0x90], 0x00, "rep_movsb_cx0_no_write"

; ------------------------------------------------------------ CMPS
        ; DS:A0 "ABCDE", ES:A0 "ABXDE", ES:B0 "XYCDE", ES:B8 "ABCDE"
        mov dword [0xA0], 'ABCD'
        mov byte [0xA4], 'E'
        mov dword [es:0xA0], 'ABXD'
        mov byte [es:0xA4], 'E'
        mov dword [es:0xB0], 'XYCD'
        mov byte [es:0xB4], 'E'
        mov dword [es:0xB8], 'ABCD'
        mov byte [es:0xBC], 'E'

        mov si, 0xA0
        mov di, 0xA0
        mov cx, 5
        repe cmpsb                      ; stops after C vs X
        CHECKF ARITH, CF|PF|AF|SF, "repe_cmpsb_mismatch.f"
        CHECK16 cx, 2, "repe_cmpsb_mismatch_cx"
        CHECK16 si, 0xA3, "repe_cmpsb_mismatch_si"
        CHECK16 di, 0xA3, "repe_cmpsb_mismatch_di"

        mov si, 0xA0
        mov di, 0xB0
        mov cx, 5
        repne cmpsb                     ; stops after C vs C
        CHECKF ZF, ZF, "repne_cmpsb_match.f"
        CHECK16 cx, 2, "repne_cmpsb_match_cx"
        CHECK16 si, 0xA3, "repne_cmpsb_match_si"

        mov si, 0xA0
        mov di, 0xB8
        mov cx, 5
        repe cmpsb                      ; all equal
        CHECKF ARITH, ZF|PF, "repe_cmpsb_equal.f"
        CHECK16 cx, 0, "repe_cmpsb_equal_cx"
        CHECK16 di, 0xBD, "repe_cmpsb_equal_di"

        mov si, 0xA0
        mov di, 0xA0
        mov cx, 0
        SETF CF|SF
        repe cmpsb                      ; CX=0: no compare, flags kept
        CHECKF ARITH, CF|SF, "repe_cmpsb_cx0.f"
        CHECK16 si, 0xA0, "repe_cmpsb_cx0_si"

        mov si, 0xA2                    ; "CD" vs "XD" as words: 0x4443 - 0x4458
        mov di, 0xA2
        cmpsw
        CHECKF ARITH, CF|SF|PF|AF, "cmpsw.f"
        CHECK16 si, 0xA4, "cmpsw_si"

        std
        mov si, 0xA4
        mov di, 0xBC
        mov cx, 5
        repe cmpsb                      ; backwards over equal strings
        cld
        CHECKF ZF, ZF, "repe_cmpsb_df1.f"
        CHECK16 cx, 0, "repe_cmpsb_df1_cx"
        CHECK16 si, 0x9F, "repe_cmpsb_df1_si"
        CHECK16 di, 0xB7, "repe_cmpsb_df1_di"

        mov si, 0xA0
        mov di, 0xB8
        cmpsd
        CHECKF ARITH, ZF|PF, "cmpsd.f"
        CHECK16 si, 0xA4, "cmpsd_si"

; ------------------------------------------------------------ SCAS
        mov di, 0xA0
        mov al, 'D'
        mov cx, 5
        repne scasb
        CHECKF ZF, ZF, "repne_scasb_found.f"
        CHECK16 cx, 1, "repne_scasb_found_cx"
        CHECK16 di, 0xA4, "repne_scasb_found_di"

        mov di, 0xA0
        mov al, 'Z'
        mov cx, 5
        repne scasb
        CHECKF ZF, 0, "repne_scasb_missing.f"
        CHECK16 cx, 0, "repne_scasb_missing_cx"
        CHECK16 di, 0xA5, "repne_scasb_missing_di"

        mov word [es:0xC0], 0x1111
        mov word [es:0xC2], 0x1111
        mov word [es:0xC4], 0x1111
        mov word [es:0xC6], 0x2222
        mov di, 0xC0
        mov ax, 0x1111
        mov cx, 10
        repe scasw
        CHECKF ARITH, CF|SF|AF, "repe_scasw.f"
        CHECK16 cx, 6, "repe_scasw_cx"
        CHECK16 di, 0xC8, "repe_scasw_di"

        mov dword [es:0xC8], 0x89ABCDEF
        mov di, 0xC8
        mov eax, 0x89ABCDEF
        scasd
        CHECKF ZF, ZF, "scasd.f"
        CHECK16 di, 0xCC, "scasd_di"

; ------------------------------------------------------------ LODS
        mov si, 0x05
        lodsb
        CHECK8 al, 0x15, "lodsb"
        CHECK16 si, 0x06, "lodsb_si"
        mov si, 0x06
        lodsw
        CHECK16 ax, 0x1716, "lodsw"
        mov si, 0x08
        lodsd
        CHECK32 eax, 0x1B1A1918, "lodsd"
        CHECK16 si, 0x0C, "lodsd_si"
        std
        mov si, 0x20
        lodsb
        cld
        CHECK8 al, 0x30, "lodsb_df1"
        CHECK16 si, 0x1F, "lodsb_df1_si"
        mov si, 0x40
        mov cx, 3
        rep lodsb
        CHECK8 al, 0x52, "rep_lodsb_last"
        CHECK16 si, 0x43, "rep_lodsb_si"

; ------------------------------------------------------------ STOS
        mov di, 0xD0
        mov al, 0xAA
        mov cx, 4
        rep stosb
        CHECK32 [es:0xD0], 0xAAAAAAAA, "rep_stosb"
        CHECK8 [es:0xD4], 0x00, "rep_stosb_no_extra"
        CHECK16 di, 0xD4, "rep_stosb_di"
        std
        mov di, 0xE2
        mov ax, 0x1234
        mov cx, 2
        rep stosw
        cld
        CHECK16 [es:0xE2], 0x1234, "rep_stosw_df1_first"
        CHECK16 [es:0xE0], 0x1234, "rep_stosw_df1_last"
        CHECK16 [es:0xDE], 0x0000, "rep_stosw_df1_no_extra"
        CHECK16 di, 0xDE, "rep_stosw_df1_di"
        mov di, 0xE8
        mov eax, 0xDEADBEEF
        stosd
        CHECK32 [es:0xE8], 0xDEADBEEF, "stosd"
        CHECK16 di, 0xEC, "stosd_di"

; ------------------------------------------------------------ segment overrides
        mov byte [0xF0], 0x66           ; DS:F0
        mov byte [es:0xF0], 0x77        ; ES:F0
        mov byte [es:0xF8], 0
        mov si, 0xF0
        mov di, 0xF8
        es movsb                        ; source ES:SI
        CHECK8 [es:0xF8], 0x77, "movsb_es_source"

        mov ax, FSSEG
        mov fs, ax
        mov byte [fs:0x10], 0x99
        mov si, 0x10
        fs lodsb
        CHECK8 al, 0x99, "lodsb_fs_source"
        mov si, rom_text
        cs lodsb
        CHECK8 al, 'R', "lodsb_cs_source"
        mov si, rom_text
        mov di, 0xF9
        mov cx, 3
        rep cs movsb                    ; F3 2E A4
        CHECK8 [es:0xFB], 'M', "rep_movsb_cs_source"
        mov ax, FSSEG
        mov gs, ax
        mov byte [gs:0x20], 'E'
        mov si, 0x20
        mov di, 0xA4                    ; ES:A4 = 'E'
        gs cmpsb
        CHECKF ZF, ZF, "cmpsb_gs_source"

        ; the destination is always ES:DI, a prefix does not move it
        mov byte [fs:0x30], 0x00
        mov byte [es:0x30], 0x00
        mov di, 0x30
        mov al, 0x5C
        fs stosb
        CHECK8 [es:0x30], 0x5C, "stosb_fs_prefix_writes_es"
        CHECK8 [fs:0x30], 0x00, "stosb_fs_prefix_not_fs"
        mov byte [fs:0x31], 0x00
        mov di, 0x31
        mov byte [fs:0x00], 0x42
        mov byte [0x00], 0x10
        mov si, 0x00
        fs movsb                        ; source FS:0, destination ES:DI
        CHECK8 [es:0x31], 0x42, "movsb_fs_source_es_dest"
        xor ax, ax
        mov fs, ax
        mov gs, ax

; ------------------------------------------------------------ address size
        ; 16-bit addressing only updates CX/SI/DI and wraps at 64 KiB
        mov ecx, 0x00010003
        mov esi, 0x12340040
        mov edi, 0x56780070
        rep movsb
        CHECK32 ecx, 0x00010000, "a16_rep_uses_cx"
        CHECK32 esi, 0x12340043, "a16_rep_uses_si"
        CHECK32 edi, 0x56780073, "a16_rep_uses_di"
        CHECK8 [es:0x72], 0x52, "a16_rep_data"
        mov esi, 0x0000FFFF
        lodsb
        CHECK32 esi, 0x00000000, "a16_si_wraps"
        ; 32-bit addressing uses ECX/ESI/EDI
        mov ecx, 3
        mov esi, 0x00000044
        mov edi, 0x00000074
        a32 rep movsb
        CHECK32 ecx, 0, "a32_rep_movsb_ecx"
        CHECK32 esi, 0x00000047, "a32_rep_movsb_esi"
        CHECK32 edi, 0x00000077, "a32_rep_movsb_edi"
        CHECK8 [es:0x76], 0x56, "a32_rep_movsb_data"
        mov esi, 0x0000FFFF
        a32 lodsb
        CHECK32 esi, 0x00010000, "a32_esi_no_wrap"
        mov edi, 0x000000A0
        mov al, 'D'
        mov ecx, 5
        a32 repne scasb
        CHECK32 ecx, 1, "a32_repne_scasb_ecx"
        CHECK32 edi, 0x000000A4, "a32_repne_scasb_edi"
        ; CX=0 but ECX=0x10000: the 16-bit form does nothing, the 32-bit
        ; form stores 64 KiB (to BIGSEG:0000-FFFF)
        mov ax, BIGSEG
        mov es, ax
        mov byte [es:0x0000], 0
        mov byte [es:0xFFFF], 0
        mov ecx, 0x00010000
        mov edi, 0
        mov al, 0xE7
        rep stosb
        CHECK32 ecx, 0x00010000, "a16_rep_cx0_ecx_kept"
        CHECK8 [es:0x0000], 0x00, "a16_rep_cx0_no_store"
        mov ecx, 0x00010000
        mov edi, 0
        a32 rep stosb
        CHECK32 ecx, 0, "a32_rep_ecx_64k"
        CHECK32 edi, 0x00010000, "a32_rep_edi_64k"
        CHECK8 [es:0x0000], 0xE7, "a32_rep_64k_first"
        CHECK8 [es:0xFFFF], 0xE7, "a32_rep_64k_last"

        xor ax, ax
        mov ds, ax
        mov es, ax
        FINISH

rom_text: db "ROM", 0

        ROM_END
