; cpu16-32.asm - oxbox CPU benchmark ROM: a CPU-bound integer mix in real mode.
;
; Build:  nasm -f bin -o bench/cpu16-32.bin bench/cpu16-32.asm
;         (nasm -DITER=n ... overrides the outer iteration count)
;
; Layout: a flat 64 KiB image whose last byte sits at physical 0xFFFFF, i.e. the
; image is segment F000 and file offset == offset in that segment (org 0).
; The CPU enters at F000:FFF0, which jumps to `start`. No BIOS is used or
; needed; only RAM below 0xA0000 is written (everything lives below 0x9000).
;
; Work per outer iteration (all in real mode, DS=ES=SS=0, CS=F000):
;   A  16-bit loop over byte/word arrays: [bx+si], [bx+si+disp16],
;      [bx+di+disp16] loads, stores and read-modify-writes; add/xor/sub/rol/
;      shr/imul; a data-dependent branch
;   B  32-bit operands and 32-bit SIB addressing (67h/66h prefixes):
;      [esi+ecx*4], [esi+ecx*4+disp], [ecx*8+disp32], a data-dependent table
;      lookup [edi+edx*4]; imul/shr/rol/ror/sar/adc/neg/not/lea/movzx; a signed
;      data-dependent branch
;   F  a few 32-bit and 16-bit DIVs (loop instruction)
;   C  near calls/returns to two small functions with push/pop
;   D  a bubble-sort pass over a word array (swap or not: data dependent) plus
;      a second data-dependent branch
;   E  rep movsw (512 words), rep stosd (256 dwords), a 32-bit SIB summing loop
; After every block its state is folded into a 32-bit checksum (`fold`). At the
; end the ROM prints "CHECKSUM xxxxxxxx" and "DONE" on port 0xE9 and then stops
; the machine (see `finish`).
;
; Every data-dependent branch has arms of equal instruction count, so the
; number of instructions executed does not depend on the data and is exact:
;
;   reset vector jmp                    1
;   prologue (setup + banner)         123
;   init (fill 6400 dwords)         57604  (4 + 6400*9)
;   main loop                 18502*ITER   (A 4879, B 6413, F 268, C 2699,
;                                           D 3836, E 405, loop 2)
;   epilogue up to and incl. out 0xF4 150
;   total = 57878 + 18502*ITER instructions; for ITER = 54000:
;
; INSTRUCTIONS: 999165878
;
; A REP-prefixed string instruction counts as ONE instruction above, however
; many times it iterates (768 element moves/stores per outer iteration). Counted
; per REP iteration (as Bochs' tick counter and single-stepping with TF do) it
; is 766 more steps per outer iteration (rep movsw 512-1 + rep stosd 256-1):
;
; REP-STEPS: 1040529878
;
; Cross-checked: a -DCOUNT build counts TF single-step traps (19268 per outer
; iteration + 57604 for init, under both QEMU and Bochs), and Bochs' tick count
; at the shutdown-port write is exactly REP-STEPS + 40 (the 40 instructions of
; the Bochs shutdown sequence after out 0xF4).
;
; Checksum printed by the default build (ITER = 54000), identical under QEMU
; 7.2 TCG and Bochs 2.7:
;
; EXPECTED-CHECKSUM: 73a6d6f2
;
; Stopping: see `finish`. QEMU (isa-debug-exit) and oxbox exit at out 0xF4;
; Bochs ignores that port and exits at the "Shutdown" string on port 0x8900.

%ifndef ITER
%define ITER 54000          ; outer iterations (QEMU TCG: ~1-3 s)
%endif

; ---------------------------------------------------------------- memory map
CSUM    equ 0x0500          ; dd  running checksum
CS16    equ 0x0504          ; dw  block A state
CS32    equ 0x0508          ; dd  block B/C state
OUTER   equ 0x050C          ; dd  outer loop counter (counts down)
STEPS   equ 0x0510          ; dd  single-step trap count (-DCOUNT builds only)
STACK   equ 0x2000          ; stack 0x1000..0x1FFF (SS=0)
ARR_B   equ 0x2000          ; 256 bytes
ARR_B2  equ 0x2100          ; 256 bytes
ARR_W   equ 0x3000          ; 256 words
ARR_D   equ 0x4000          ; 256 dwords
ARR_D2  equ 0x4400          ; 256 dwords
ARR_Q   equ 0x5000          ; 256 qwords (as dword pairs)
SRC     equ 0x6000          ; 512 words
DST     equ 0x6800          ; 512 words
DST2    equ 0x7000          ; 256 dwords
TAB     equ 0x8000          ; 256 dwords
DATA_END equ 0x8400         ; init fills ARR_B..TAB (0x2000..0x83FF)

        bits 16
        org 0

; ---------------------------------------------------------------- prologue
start:                                  ; 12 instructions + print
        cli
        cld
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, STACK
        xor bp, bp
        mov dword [CSUM], 0x811C9DC5
        mov word [CS16], 0x1234
        mov dword [CS32], 0x9E3779B9
        mov dword [OUTER], ITER

        mov si, msg_banner
        call print
%ifdef COUNT
        ; -DCOUNT: count single-step traps (TF=1) into dword [STEPS]
        mov dword [STEPS], 0
        mov word [4], db_handler
        mov word [6], 0xF000
        pushf
        pop ax
        or ah, 1
        push ax
        popf
%endif

; ---------------------------------------------------------------- init
; Fill 0x2000..0x83FF (6400 dwords) with a pseudo-random sequence.
; 4 + 6400*9 = 57604 instructions.
        mov edi, ARR_B                  ; 1
        mov eax, 0x2545F491             ; 2
        mov ecx, DATA_END               ; 3
        mov ebx, 1103515245             ; 4
.fill:
        imul eax, ebx                   ; 1
        add eax, 12345                  ; 2
        mov edx, eax                    ; 3
        shr edx, 15                     ; 4
        xor edx, eax                    ; 5
        mov [edi], edx                  ; 6
        add edi, 4                      ; 7
        cmp edi, ecx                    ; 8
        jb .fill                        ; 9

; ---------------------------------------------------------------- main loop
main_loop:

; ---- block A: 16-bit arrays.  4 + 256*19 + 4 + 7 = 4879
blockA:
        mov bx, ARR_B                   ; 1
        xor si, si                      ; 2
        mov dx, [CS16]                  ; 3
        mov cx, 256                     ; 4
.l:
        mov al, [bx+si]                 ; 1  byte load
        mov ah, [bx+si+(ARR_B2-ARR_B)]  ; 2  byte load, disp16
        add dx, ax                      ; 3
        rol dx, 3                       ; 4
        xor dx, [bx+si+(ARR_W-ARR_B)]   ; 5  word load [bx+si+disp16]
        mov di, si                      ; 6
        shl di, 1                       ; 7
        sub [bx+di+(ARR_W-ARR_B)], dx   ; 8  word RMW [bx+di+disp16]
        imul ax, dx, 0x6D               ; 9
        mov [bx+si+(ARR_B2-ARR_B)], ah  ; 10 byte store
        xor [bx+si], al                 ; 11 byte RMW
        test dl, 1                      ; 12
        jz .even                        ; 13
        add dx, 0x3F1B                  ; odd arm: 3
        inc bp
        jmp .j
.even:
        shr dx, 1                       ; even arm: 3
        dec bp
        xor dh, al
.j:
        inc si                          ; 17
        dec cx                          ; 18
        jnz .l                          ; 19
        mov [CS16], dx                  ; 1
        movzx eax, dx                   ; 2
        shl eax, 16                     ; 3
        mov ax, bp                      ; 4
        call fold                       ; 7 (call + 5 + ret)

; ---- block B: 32-bit operands/addressing.  4 + 256*25 + 9 = 6413
blockB:
        xor ecx, ecx                    ; 1
        mov esi, ARR_D                  ; 2
        mov edi, TAB                    ; 3
        mov ebx, [CS32]                 ; 4
.l:
        mov eax, [esi+ecx*4]            ; 1  SIB load
        imul eax, eax, 0x9E3779B1       ; 2
        add ebx, eax                    ; 3
        mov edx, ebx                    ; 4
        shr edx, 7                      ; 5
        xor ebx, edx                    ; 6
        rol ebx, 13                     ; 7
        movzx edx, bl                   ; 8
        add ebx, [edi+edx*4]            ; 9  data-dependent table load
        xor [edi+edx*4], eax            ; 10 data-dependent table RMW
        mov [esi+ecx*4], ebx            ; 11 SIB store
        sub [esi+ecx*4+(ARR_D2-ARR_D)], eax ; 12 SIB+disp32 RMW
        mov edx, [ecx*8+ARR_Q]          ; 13 index*8+disp32, no base
        adc edx, ebx                    ; 14
        sar edx, 3                      ; 15
        mov [ecx*8+ARR_Q+4], edx        ; 16
        cmp edx, eax                    ; 17
        jl .lt                          ; 18
        lea ebx, [ebx+edx*2+0x55]       ; ge arm: 3
        not eax
        jmp .j
.lt:
        sub ebx, edx                    ; lt arm: 3
        neg eax
        ror ebx, 5
.j:
        xor ebx, eax                    ; 22
        inc ecx                         ; 23
        cmp ecx, 256                    ; 24
        jb .l                           ; 25
        mov [CS32], ebx                 ; 1
        mov eax, ebx                    ; 2
        call fold                       ; 7

; ---- block F: divisions.  3 + 16*16 + 9 = 268
blockF:
        mov si, ARR_D2                  ; 1
        mov cx, 16                      ; 2
        mov ebx, [CS32]                 ; 3
.l:
        mov eax, [si]                   ; 1  32-bit operand, 16-bit address
        xor edx, edx                    ; 2
        mov edi, [si+4]                 ; 3
        and edi, 0xFFFF                 ; 4
        or edi, 3                       ; 5
        div edi                         ; 6  32-bit divide
        add ebx, eax                    ; 7
        xor ebx, edx                    ; 8
        mov ax, bx                      ; 9
        xor dx, dx                      ; 10
        mov di, [si+8]                  ; 11
        or di, 0x101                    ; 12
        div di                          ; 13 16-bit divide
        add bx, dx                      ; 14
        add si, 12                      ; 15
        loop .l                         ; 16
        mov [CS32], ebx                 ; 1
        mov eax, ebx                    ; 2
        call fold                       ; 7

; ---- block C: calls.  3 + 128*21 + 8 = 2699
blockC:
        mov cx, 128                     ; 1
        mov si, ARR_W                   ; 2
        mov eax, [CS32]                 ; 3
.l:
        mov dx, [si]                    ; 1
        call f16                        ; 8 (call + 7)
        call f32                        ; 9 (call + 8)
        add si, 2                       ; 19
        dec cx                          ; 20
        jnz .l                          ; 21
        mov [CS32], eax                 ; 1
        call fold                       ; 7

; ---- block D: bubble pass + branches.  3 + 255*15 + 8 = 3836
blockD:
        mov si, ARR_W                   ; 1
        mov cx, 255                     ; 2
        xor bx, bx                      ; 3
.l:
        mov ax, [si]                    ; 1
        mov dx, [si+2]                  ; 2
        cmp ax, dx                      ; 3
        jbe .ok                         ; 4
        mov [si], dx                    ; swap arm: 4
        mov [si+2], ax
        inc bx
        jmp .j
.ok:
        add bx, ax                      ; in-order arm: 4
        xor bx, dx
        ror bx, 1
        sub bx, cx
.j:
        test bl, 2                      ; 9
        jz .z                           ; 10
        xor word [si], 0x1234           ; nz arm: 2
        jmp .k
.z:
        add word [si+2], 7              ; z arm: 2
        inc di
.k:
        add si, 2                       ; 13
        dec cx                          ; 14
        jnz .l                          ; 15
        movzx eax, bx                   ; 1
        call fold                       ; 7

; ---- block E: string ops.  11 + 64*6 + 10 = 405
blockE:
        mov si, SRC                     ; 1
        mov di, DST                     ; 2
        mov cx, 512                     ; 3
        rep movsw                       ; 4  (512 iterations)
        mov eax, [CSUM]                 ; 5
        mov di, DST2                    ; 6
        mov cx, 256                     ; 7
        rep stosd                       ; 8  (256 iterations)
        xor ecx, ecx                    ; 9
        xor eax, eax                    ; 10
        mov ebx, DST                    ; 11
.l:
        add eax, [ebx+ecx*8]            ; 1
        xor eax, [ebx+ecx*8+(DST2-DST)+4] ; 2
        rol eax, 1                      ; 3
        inc ecx                         ; 4
        cmp cl, 64                      ; 5
        jne .l                          ; 6
        mov di, [OUTER]                 ; 1
        and di, 0x3FE                   ; 2
        xor [di+SRC], ax                ; 3
        call fold                       ; 7

; ---- outer loop: 2
        dec dword [OUTER]               ; 1
        jnz main_loop                   ; 2

; ---------------------------------------------------------------- epilogue
finish:
%ifdef COUNT
        pushf
        pop ax
        and ah, 0xFE
        push ax
        popf
        mov si, msg_steps
        call print
        mov eax, [STEPS]
        call print_hex32
        mov al, 10
        out 0xE9, al
%endif
        mov si, msg_csum
        call print
        mov eax, [CSUM]
        call print_hex32
        mov si, msg_done
        call print

; End sequence, the same for every emulator:
;  1. out 0xF4: QEMU's isa-debug-exit (and oxbox) exit here with status
;     (0<<1)|1 = 1.
;  2. "Shutdown" to port 0x8900: Bochs' shutdown port (unmapped-I/O device)
;     raises a fatal panic "Shutdown port: shutdown requested" and Bochs exits.
;  3. cli/hlt forever, for anything else.
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
; fold: mix eax into the checksum. Clobbers edx. 5 + ret.
fold:
        mov edx, [CSUM]
        rol edx, 5
        xor edx, eax
        add edx, 0x7F4A7C15
        mov [CSUM], edx
        ret

; f16: ax = rol(ax ^ dx*31, 1). 6 + ret.
f16:
        push bx
        mov bx, dx
        imul bx, bx, 31
        xor ax, bx
        rol ax, 1
        pop bx
        ret

; f32: eax ^= ... (xorshift-add). 7 + ret.
f32:
        push edx
        mov edx, eax
        shl edx, 4
        add eax, edx
        shr edx, 9
        xor eax, edx
        pop edx
        ret

; print: NUL-terminated string at cs:si to port 0xE9.
print:
        cs lodsb
        test al, al
        jz .r
        out 0xE9, al
        jmp print
.r:     ret

; print_hex32: eax as 8 hex digits to port 0xE9. Branch-free (table lookup),
; so its instruction count does not depend on the value: 1 + 8*7 + 1.
print_hex32:
        mov cx, 8
        mov bx, hexdigits
.d:     rol eax, 4
        push eax
        and al, 0x0F
        cs xlatb
        out 0xE9, al
        pop eax
        loop .d
        ret

hexdigits:    db "0123456789abcdef"
%ifdef COUNT
db_handler:
        add dword [STEPS], 1
        iret
msg_steps:    db "STEPS ", 0
%endif
msg_banner:   db "oxbox bench cpu16-32", 10, 0
msg_csum:     db "CHECKSUM ", 0
msg_done:     db 10, "DONE", 10, 0
msg_shutdown: db "Shutdown", 0

; ---------------------------------------------------------------- reset vector
        times 0xFFF0 - ($ - $$) db 0xF4
reset:
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xF4
