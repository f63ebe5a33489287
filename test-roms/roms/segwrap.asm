; segwrap.asm - real-mode address arithmetic: linear = segment*16 + offset
; (aliases of the same byte through different segment:offset pairs),
; 16-bit effective-address wrap ([bx+si], [bx+disp], [bp+di], negative
; displacements), SP wrap on PUSH at SP=0 and POP at SP=FFFEh, string
; SI/DI wrap, reads of the ROM at FFFF:0000, and the high memory area:
; A20 is enabled explicitly through port 92h, then FFFF:0010 and up reach
; 1 MiB and above, which is memory distinct from 0000:xxxx.
;
; Not tested: a word/dword access that runs past offset FFFFh.  On a 386+
; that is a segment-limit violation (#GP, or #SS for the stack segment), but
; QEMU 7.2 TCG does not check real-mode segment limits (it just reads across
; the boundary), so such a check cannot be cross-checked; no access here
; crosses offset FFFFh.
%include "common.inc"

        INIT

; ------------------------------------------------------------ segment:offset aliases
        mov ax, 0x1234
        mov ds, ax
        mov byte [0x5678], 0x3E         ; phys 0x179B8
        mov ax, 0x179B
        mov es, ax
        CHECK8 [es:0x0008], 0x3E, "alias_179b_0008"
        mov ax, 0x1000
        mov es, ax
        CHECK8 [es:0x79B8], 0x3E, "alias_1000_79b8"
        mov ax, 0x0000
        mov ds, ax
        mov ax, 0x1799
        mov fs, ax
        mov word [fs:0x0028], 0xBEEF    ; phys 0x179B8 again
        mov ax, 0x1234
        mov gs, ax
        CHECK16 [gs:0x5678], 0xBEEF, "alias_word_1799_0028"

; ------------------------------------------------------------ 16-bit effective address wrap
        mov ax, 0x0100                  ; DS base 0x1000
        mov ds, ax
        mov ax, 0x1100                  ; ES base 0x11000 = DS base + 0x10000
        mov es, ax
        mov word [0x0010], 0
        mov word [es:0x0010], 0
        mov bx, 0xFFF0
        mov si, 0x0020
        mov word [bx+si], 0xA1A1        ; offset 0x10010 -> 0x0010
        CHECK16 [0x0010], 0xA1A1, "ea_bx_si_wraps"
        CHECK16 [es:0x0010], 0x0000, "ea_bx_si_no_carry_into_segment"
        mov bx, 0xFFFF
        mov byte [bx+0x13], 0xB2        ; disp16 wrap: 0x0012
        CHECK8 [0x0012], 0xB2, "ea_bx_disp_wraps"
        mov di, 0xFFFE
        db 0xC6, 0x85, 0xFF, 0xFF, 0xC3 ; mov byte [di+word 0xFFFF], 0xC3: disp16, = di - 1
        CHECK8 [0xFFFD], 0xC3, "ea_di_disp16_wraps"
        mov si, 0x0002
        mov byte [si-4], 0xD4           ; 0xFFFE
        CHECK8 [0xFFFE], 0xD4, "ea_si_neg_disp8_wraps"
        mov bx, 0x8000
        mov di, 0x8000
        mov byte [bx+di], 0xE5          ; exactly 0x10000 -> 0
        CHECK8 [0x0000], 0xE5, "ea_bx_di_exact_64k"
        mov bx, 0xFFFF
        mov si, 0xFFFF
        mov byte [bx+si+2], 0xF6        ; 0x20000 -> 0x0000
        CHECK8 [0x0000], 0xF6, "ea_bx_si_disp_double_wrap"
        ; [bp+di] (SS) wrap: SS=0, bp+di = 0x10800 -> SS:0800
        xor ax, ax
        mov ds, ax
        mov word [0x0800], 0
        mov bp, 0xF800
        mov di, 0x1000
        mov word [bp+di], 0x5AA5
        CHECK16 [0x0800], 0x5AA5, "ea_bp_di_wraps_ss"
        xor bp, bp
        ; LEA gives the wrapped offset too
        mov bx, 0xFFF0
        mov si, 0x0020
        lea ax, [bx+si+5]
        CHECK16 ax, 0x0015, "lea_wraps"

; ------------------------------------------------------------ SP wrap
        xor ax, ax
        mov ds, ax
        mov word [0x2FFE], 0            ; where a non-wrapping push would go
        mov ax, 0x1000
        mov es, ax
        mov word [es:0x2FFE], 0         ; phys 0x12FFE = 0300:FFFE
        mov dx, 0x0300
        mov ss, dx
        mov sp, 0x0000
        push word 0x7E57                ; SP 0 -> FFFE, writes 0300:FFFE
        mov cx, sp
        pop bx                          ; SP FFFE -> 0
        mov dx, sp
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        CHECK16 cx, 0xFFFE, "push_sp0_wraps_sp"
        CHECK16 bx, 0x7E57, "push_sp0_pop_value"
        CHECK16 dx, 0x0000, "pop_spfffe_wraps_sp"
        CHECK16 [es:0x2FFE], 0x7E57, "push_sp0_writes_seg_top"
        CHECK16 [0x2FFE], 0x0000, "push_sp0_not_below_segment"
        ; a near CALL at SP=0 also wraps
        mov dx, 0x0300
        mov ss, dx
        mov sp, 0x0000
        call .wcall
.wret:  mov dx, sp
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        CHECK16 dx, 0x0000, "call_sp0_ret_sp"
        CHECK16 [es:0x2FFE], .wret-$$, "call_sp0_pushed_ip"
        jmp .wdone
.wcall: ret
.wdone:

; ------------------------------------------------------------ string index wrap
        mov ax, 0x0100
        mov es, ax
        mov ds, ax
        mov byte [0xFFFF], 0
        cld
        mov di, 0xFFFF
        mov al, 0x77
        stosb
        CHECK16 di, 0x0000, "stosb_di_wraps"
        CHECK8 [0xFFFF], 0x77, "stosb_at_ffff"
        std
        mov si, 0x0000
        lodsb
        cld
        CHECK16 si, 0xFFFF, "lodsb_si_wraps_down"
        xor ax, ax
        mov ds, ax
        mov es, ax

; ------------------------------------------------------------ top of the first megabyte: the ROM
        mov ax, 0xFFFF
        mov ds, ax
        CHECK8 [0x0000], 0xEA, "ffff_0000_is_reset_vector"
        CHECK16 [0x0001], start-$$, "ffff_0001_reset_target"
        mov ax, 0xF000
        mov ds, ax
        CHECK8 [0xFFF0], 0xEA, "f000_fff0_is_reset_vector"
        CHECK8 [0xFFFF], 0xFF, "f000_ffff_last_rom_byte"
        xor ax, ax
        mov ds, ax

; ------------------------------------------------------------ A20 on: FFFF:0010+ is memory above 1 MiB
        in al, 0x92
        and al, 0xFE                    ; never set bit 0 (fast reset)
        or al, 0x02
        out 0x92, al
        in al, 0x92
        and al, 0x02
        CHECK8 al, 0x02, "port92_a20_bit_set"
        mov ax, 0xFFFF
        mov es, ax
        mov byte [0x1000], 0x5A         ; phys 0x001000
        mov byte [es:0x1010], 0xA5      ; phys 0x101000
        CHECK8 [0x1000], 0x5A, "a20_low_byte_kept"
        CHECK8 [es:0x1010], 0xA5, "a20_high_byte"
        mov byte [es:0x1010], 0x3C
        CHECK8 [0x1000], 0x5A, "a20_high_write_not_aliased"
        mov dword [es:0xFFEC], 0x11223344   ; phys 0x10FFDC..DF, near the HMA top
        CHECK32 [es:0xFFEC], 0x11223344, "hma_top_dword"
        mov byte [es:0xFFFF], 0x99      ; phys 0x10FFEF, last byte of the HMA
        CHECK8 [es:0xFFFF], 0x99, "hma_last_byte"
        mov byte [es:0x0010], 0x3C      ; phys 0x100000
        CHECK16 [es:0x000F], 0x3CFF, "word_across_1mib"  ; ROM byte FFFFF + RAM 100000
        mov ax, 0xF800                  ; another alias of 1 MiB + 0x1000: F800:9000
        mov fs, ax
        CHECK8 [fs:0x9000], 0x3C, "a20_alias_f800_9000"
        xor ax, ax
        mov es, ax
        mov fs, ax

        FINISH
        ROM_END
