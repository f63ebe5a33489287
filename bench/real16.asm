; real16.asm - oxbox CPU benchmark ROM: a CPU-bound integer mix of plain
; 16-bit real-mode code (8086/286 instructions only, no 66h/67h prefixes), as
; DOS-era programs run it.
;
; Build:  nasm -f bin -o bench/real16.bin bench/real16.asm
;
; Layout: a flat 64 KiB image whose last byte sits at physical 0xFFFFF (segment
; F000, org 0). The CPU enters at F000:FFF0, which jumps to `start`. No BIOS is
; used; RAM from 0x500 to 0x8FFFF is written.
;
; The outer iteration count is the word at image offset 0xFFE0 (`iter_count`,
; ITER at build time, nasm -DITER=n). A test may patch it in the image.
;
; Work per outer iteration:
;   A  256 words: [bx+si], [bp+di+disp] (SS), [si+disp] loads, stores and
;      read-modify-writes; add/adc/xor/rol/shr/byte ops; cbw/cwd; a
;      data-dependent branch
;   B  64 near calls through a BP frame (ret 4) and 32 far calls (retf)
;   C  128 indirect jumps through a jump table in the code segment
;   D  string instructions between segments: rep movsw 32 KiB, rep movsb
;      (odd), rep stosw, a lodsw loop, repe cmpsw, repne scasb; xlat
;   E  32 rounds of mul/imul/div/idiv (16- and 8-bit)
;   F  512 loads and stores at pseudo-random words of 512 KiB (segment
;      arithmetic: a new ES for every access), and 64 les far-pointer loads
; Each block's state is folded into a 16-bit checksum pair (printed as 32
; bits). The ROM prints it on port 0xE9 and stops (see `finish`).
;
; Checksum and instruction count of the default build: see bench/README.md.

%ifndef ITER
%define ITER 20000
%endif

; ---------------------------------------------------------------- memory map
; Variables in segment 0
CSUM_LO equ 0x0500          ; dw  running checksum (low)
CSUM_HI equ 0x0502          ; dw  running checksum (high)
STATE   equ 0x0504          ; dw  block state
OUTER   equ 0x0506          ; dw  outer loop counter
SEED    equ 0x0508          ; dw  random walk state
SEED2   equ 0x050A          ; dw
FARPTRS equ 0x0600          ; 64 far pointers (seg:off) into BIG
STACK   equ 0x1000          ; SS = 0, stack 0x0800..0x0FFF
; Segments
ARR_SEG equ 0x0100          ; 0x1000: ARR1 at 0, ARR2 at 0x200 (256 words each)
SRC_SEG equ 0x0200          ; 0x2000: 32 KiB
DST_SEG equ 0x1000          ; 0x10000: 32 KiB (and 0x8000.. for stosw)
BIG_SEG equ 0x2000          ; 0x20000..0x9FFFF: 512 KiB
ARR1    equ 0x0000
ARR2    equ 0x0200

        bits 16
        org 0

start:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, STACK
        mov ds, ax
        mov word [CSUM_LO], 0x9DC5
        mov word [CSUM_HI], 0x811C
        mov word [STATE], 0x79B9
        mov word [SEED], 0x5678
        mov word [SEED2], 0x1234
        mov ax, [cs:iter_count]
        mov [OUTER], ax
        mov si, msg_banner
        call print

        ; init ARR1/ARR2 and SRC with an LCG (ax), BIG with a counter pattern
        mov ax, ARR_SEG
        mov es, ax
        xor di, di
        mov ax, 0x2545
        mov cx, 512
.i1:    mov dx, 25173
        mul dx
        add ax, 13849
        stosw
        loop .i1
        mov bx, SRC_SEG
        mov es, bx
        xor di, di
        mov cx, 16384
.i2:    mov dx, 25173
        mul dx
        add ax, 13849
        stosw
        loop .i2
        ; BIG: 8 segments of 64 KiB, word k of segment s = k*40503 + s
        mov bx, BIG_SEG
        mov dx, 8
.i3s:   mov es, bx
        xor di, di
        mov ax, bx
        mov cx, 32768
.i3:    stosw
        add ax, 40503
        loop .i3
        add bx, 0x1000
        dec dx
        jnz .i3s
        ; far pointers: FARPTRS[i] = (BIG_SEG + i*0x0E3) : (i*0x1F6)
        mov di, FARPTRS
        xor bx, bx
        mov ax, BIG_SEG
        mov cx, 64
.i4:    mov [di], bx
        mov [di+2], ax
        add bx, 0x1F6
        add ax, 0x0E3
        add di, 4
        loop .i4

; ---------------------------------------------------------------- main loop
outer:
; ---- A: ALU, loads, stores (DS = ARR_SEG, BP addressing through SS = 0)
        mov ax, ARR_SEG
        mov ds, ax
        mov cx, 256
        xor bx, bx
        xor si, si
        mov dx, [ss:STATE]
        mov bp, ARR_SEG * 16 - 0x0100   ; [bp+di+0x100] reaches ARR1 via SS
.a:     mov ax, [bx + si]               ; ARR1[i]
        mov di, si
        add ax, dx
        xor ax, [si + ARR2]
        rol ax, 3
        mov [si + ARR2], ax
        add [bx + si], dx
        adc dx, ax
        mov al, [bp + di + 0x101]       ; high byte of ARR1[i] through SS
        cbw
        cwd
        xor dx, ax
        shr ax, 1
        add dl, ah
        test al, 1
        jz .a_even
        sub dx, [si + ARR2 + 2]
        jmp .a_next
.a_even:
        add dx, [si + ARR2 + 2]
        nop
.a_next:
        add si, 2
        loop .a
        xor ax, ax
        mov ds, ax
        mov [STATE], dx
        mov ax, dx
        call fold

; ---- B: near calls with BP frames, far calls
        mov cx, 64
        xor si, si
.b:     push cx
        mov bx, cx
        shl bx, 1
        push word [FARPTRS + bx]
        call frame_fn
        add si, ax
        pop cx
        loop .b
        mov cx, 32
.bf:    mov ax, si
        call 0xF000:far_fn
        mov si, ax
        loop .bf
        mov ax, si
        call fold

; ---- C: a switch through a jump table
        mov cx, 128
        mov dx, [STATE]
        mov si, FARPTRS
.c:     mov bx, [si]
        add bx, cx
        and bx, 7
        shl bx, 1
        add si, 2
        jmp [cs:jtab + bx]
.c0:    add dx, cx
        jmp .c_next
.c1:    shl dx, 1
        adc dx, 0
        jmp .c_next
.c2:    xor dx, [FARPTRS + 2]
        jmp .c_next
.c3:    sub dx, 0x1234
        jmp .c_next
.c4:    not dx
        jmp .c_next
.c5:    xchg dl, dh
        jmp .c_next
.c6:    ror dx, 5
        jmp .c_next
.c7:    neg dx
.c_next:
        and si, 0xFF
        or si, FARPTRS
        loop .c
        mov [STATE], dx
        mov ax, dx
        call fold

; ---- D: string instructions between segments
        mov ax, SRC_SEG
        mov ds, ax
        mov ax, DST_SEG
        mov es, ax
        xor si, si
        xor di, di
        mov cx, 16384
        rep movsw
        mov si, 1
        mov di, 0x8003
        mov cx, 1001
        rep movsb
        mov di, 0x9000
        mov ax, [ss:STATE]
        mov cx, 2048
        rep stosw
        ; lodsw from ES's data through a segment override
        mov si, 0x8FF0
        mov cx, 256
        xor dx, dx
.dl:    es lodsw
        add dx, ax
        rol dx, 1
        loop .dl
        ; xlat through a table in the ROM
        mov bx, hexdigits
        mov cx, 64
.dx:    mov al, dl
        and al, 15
        cs xlatb
        add dh, al
        rol dx, 1
        loop .dx
        xor ax, ax
        mov ds, ax
        mov ax, dx
        call fold
        mov ax, SRC_SEG
        mov ds, ax
        xor si, si
        xor di, di
        mov cx, 8192
        repe cmpsw
        xor ax, ax
        mov ds, ax
        mov ax, cx
        call fold
        mov di, 0x8000
        mov al, [STATE]
        mov cx, 512
        repne scasb
        mov ax, cx
        call fold
        ; perturb SRC for the next round
        mov bx, [OUTER]
        and bx, 0x3FFF
        shl bx, 1
        mov ax, SRC_SEG
        mov es, ax
        mov ax, [STATE]
        mov [es:bx], ax

; ---- E: multiply and divide
        mov cx, 32
        xor si, si
        mov bx, FARPTRS
.e:     mov ax, [bx]
        xor dx, dx
        mov di, cx
        or di, 0x101
        div di
        add si, dx
        mov ax, [bx + 2]
        mul word [bx + 4]
        add si, dx
        mov ax, si
        imul cx
        add si, ax
        mov ax, si
        cwd
        mov di, cx
        add di, 3
        idiv di
        xor si, dx
        mov al, cl
        mov ah, 0
        mov dl, 7
        div dl
        add si, ax
        add bx, 2
        loop .e
        mov ax, si
        call fold

; ---- F: the large working set through segment arithmetic, far pointers
        mov cx, 512
        mov bx, [SEED]
        mov dx, [SEED2]
        xor si, si
.f:     mov ax, 25173
        mul bx
        add ax, 13849
        mov bx, ax                      ; bx: new seed
        mov di, ax
        and di, 0xFFFE                  ; word offset in the segment
        mov al, ah
        and ax, 0x70                    ; segment 0x2000 + (0..7) * 0x1000
        mov ah, al
        xor al, al
        add ax, BIG_SEG
        mov es, ax
        mov ax, [es:di]
        add ax, bx
        add ax, dx
        mov [es:di], ax
        xor si, ax
        loop .f
        mov [SEED], bx
        rol dx, 1
        mov [SEED2], dx
        mov cx, 64
        mov bx, FARPTRS
.ff:    les di, [bx]
        mov ax, [es:di]
        add si, ax
        inc word [es:di]
        add bx, 4
        loop .ff
        mov ax, si
        call fold

        dec word [OUTER]
        jnz outer

; ---------------------------------------------------------------- finish
        mov si, msg_csum
        call print
        mov ax, [CSUM_HI]
        call print_hex16
        mov ax, [CSUM_LO]
        call print_hex16
        mov si, msg_done
        call print

; End sequence, the same for every emulator: out 0xF4 (QEMU isa-debug-exit
; and oxbox exit with status 1), then "Shutdown" to Bochs' shutdown port
; 0x8900 (Bochs exits), then cli/hlt forever.
        xor al, al
        out 0xF4, al
        mov dx, 0x8900
        mov si, msg_shutdown
.sd:    cs lodsb
        test al, al
        jz .halt
        out dx, al
        jmp .sd
.halt:  cli
        hlt
        jmp .halt

; ---------------------------------------------------------------- functions
; fold: mix ax into the checksum (DS = 0). Clobbers ax, dx.
fold:
        push bx
        mov bx, [CSUM_LO]
        mov dx, [CSUM_HI]
        xor bx, ax
        rol bx, 5
        add dx, bx
        xchg bx, dx
        ror bx, 3
        xor dx, 0x7C15
        mov [CSUM_LO], dx
        mov [CSUM_HI], bx
        pop bx
        ret

; frame_fn(x): a Pascal-style near function with a BP frame; returns ax.
frame_fn:
        push bp
        mov bp, sp
        push bx
        mov ax, [bp + 4]
        mov bx, [bp + 6]
        call leaf
        add ax, bx
        pop bx
        mov sp, bp
        pop bp
        ret 2

; leaf: ax = xorshift16(ax) + bx
leaf:
        mov dx, ax
        shl dx, 7
        xor ax, dx
        mov dx, ax
        shr dx, 9
        xor ax, dx
        add ax, bx
        ret

; far_fn: ax = ax * 5 + 1 (far call, returns with retf)
far_fn:
        mov dx, ax
        shl ax, 2
        add ax, dx
        inc ax
        retf

; print: NUL-terminated string at cs:si to port 0xE9.
print:
        cs lodsb
        test al, al
        jz .r
        out 0xE9, al
        jmp print
.r:     ret

; print_hex16: ax as 4 hex digits to port 0xE9.
print_hex16:
        mov cx, 4
        mov bx, hexdigits
.d:     rol ax, 4
        push ax
        and al, 0x0F
        cs xlatb
        out 0xE9, al
        pop ax
        loop .d
        ret

jtab:   dw outer.c0, outer.c1, outer.c2, outer.c3, outer.c4, outer.c5, outer.c6, outer.c7
hexdigits:    db "0123456789abcdef"
msg_banner:   db "oxbox bench real16", 10, 0
msg_csum:     db "CHECKSUM ", 0
msg_done:     db 10, "DONE", 10, 0
msg_shutdown: db "Shutdown", 0

; ---------------------------------------------------------------- iteration count and reset vector
        times 0xFFE0 - ($ - $$) db 0xF4
iter_count:
        dw ITER
        times 0xFFF0 - ($ - $$) db 0xF4
reset:
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xF4
