; pm32.asm - oxbox CPU benchmark ROM: a CPU-bound integer mix in 32-bit
; protected mode, flat segments; with -DPAGING, the same work under 4 KiB
; paging with an 8 MiB data working set mapped through scattered pages.
;
; Build:  nasm -f bin -o bench/pm32.bin   bench/pm32.asm
;         nasm -f bin -DPAGING -o bench/pm32pg.bin bench/pm32.asm
;
; Layout: a flat 64 KiB image whose last byte sits at physical 0xFFFFF
; (org 0xF0000). The CPU enters at F000:FFF0, which jumps to `start16`. It
; loads a GDT from the ROM, enters protected mode and runs with CS = 08h
; (base 0, limit 4 GiB, 32-bit) and DS = ES = SS = 10h. No BIOS is used; RAM
; up to 12 MiB is written (the machine needs 16 MiB, as bench/run gives
; every emulator).
;
; The outer iteration count is the dword at image offset 0xFFE0 (`iter_count`,
; ITER at build time, nasm -DITER=n). A test may patch it in the image.
;
; Work per outer iteration:
;   A  256 elements: SIB loads [ARR1+ecx*4], read-modify-write stores,
;      add/xor/rol/imul/lea, 8- and 16-bit loads (movzx/movsx), setcc and a
;      data-dependent branch
;   B  64 calls through a stack frame (push ebp / mov ebp,esp / leave /
;      ret 4) into a leaf function; push/pop
;   C  128 indirect jumps through a jump table (a switch statement)
;   D  string instructions: rep movsd 16 KiB (across page boundaries),
;      unaligned rep movsb, rep stosd, a lodsd loop, repe cmpsd, repne scasb
;   E  32 rounds of mul/imul/div/idiv
;   F  512 loads and stores at pseudo-random dwords of the 8 MiB region BIG
;      (with paging: 2048 pages, twice the entries of a 1024-entry TLB)
;   PAGING builds also reload CR3 once per iteration (a TLB flush, as on a
;      context switch) and map BIG at 0x40000000 with its pages permuted.
; Each block's state is folded into a 32-bit checksum; the ROM prints it on
; port 0xE9 and stops (see `finish`). The work and so the checksum are the
; same with and without paging.
;
; Checksums of the default build (ITER = 20000), the same under QEMU 7.2 TCG
; and oxbox; INSTRUCTIONS counts REP string instructions once, as counted by
; oxbox (`--stats`):
;
; EXPECTED-CHECKSUM: see bench/README.md
; INSTRUCTIONS: see bench/README.md

%ifndef ITER
%define ITER 20000
%endif

ROMBASE equ 0xF0000

; ---------------------------------------------------------------- memory map
CSUM    equ 0x1000          ; dd  running checksum
STATE   equ 0x1004          ; dd  block state
OUTER   equ 0x1008          ; dd  outer loop counter
SEED    equ 0x100C          ; dd  random walk state
STACK   equ 0x9000          ; stack 0x8000..0x8FFF
ARR1    equ 0x10000         ; 1024 dwords
ARR2    equ 0x11000         ; 1024 dwords
SRC     equ 0x20000         ; 4096 dwords (16 KiB)
DST     equ 0x24000         ; 4096 dwords
DST2    equ 0x28000         ; 1024 dwords
PDIR    equ 0x80000         ; page directory
PT_LOW  equ 0x81000         ; identity map of 0..4 MiB
PT_BIG  equ 0x82000         ; two page tables for BIG
BIG_PHYS equ 0x400000       ; 8 MiB of RAM at 4..12 MiB
BIG_SIZE equ 0x800000
%ifdef PAGING
BIG     equ 0x40000000      ; linear address of BIG (PDE 256 and 257)
%else
BIG     equ BIG_PHYS
%endif

        org ROMBASE

; ---------------------------------------------------------------- real mode
        bits 16
gdt:    dq 0
        dq 0x00CF9A000000FFFF       ; 08h: code, base 0, 4 GiB, 32-bit
        dq 0x00CF92000000FFFF       ; 10h: data, base 0, 4 GiB
gdtr:   dw gdtr - gdt - 1
        dd gdt

start16:
        cli
        cld
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        o32 lgdt [cs:gdtr - $$]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:pm_entry

; ---------------------------------------------------------------- protected mode
        bits 32
pm_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, STACK
        mov esi, msg_banner
        call print

%ifdef PAGING
        ; Page directory: PDE 0 -> identity map of 0..4 MiB; PDE 256/257 ->
        ; BIG, whose 2048 pages are permuted: linear page i maps to physical
        ; page (i * 1237) mod 2048 of the BIG area.
        mov edi, PDIR
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov dword [PDIR], PT_LOW | 3
        mov dword [PDIR + 256*4], PT_BIG | 3
        mov dword [PDIR + 257*4], (PT_BIG + 0x1000) | 3
        mov edi, PT_LOW
        mov eax, 3
        mov ecx, 1024
.idmap: stosd
        add eax, 0x1000
        loop .idmap
        mov edi, PT_BIG
        xor ebx, ebx
.bigmap:
        mov eax, ebx
        imul eax, eax, 1237
        and eax, 2047
        shl eax, 12
        add eax, BIG_PHYS | 3
        stosd
        inc ebx
        cmp ebx, 2048
        jb .bigmap
        mov eax, PDIR
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        jmp .paged
.paged:
%endif

        mov dword [CSUM], 0x811C9DC5
        mov dword [STATE], 0x9E3779B9
        mov dword [SEED], 0x12345678
        mov eax, [iter_count]
        mov [OUTER], eax

        ; init: ARR1, ARR2 (contiguous, 2048 dwords) and SRC with an LCG
        mov edi, ARR1
        mov eax, 0x2545F491
        mov ecx, 2048
.i1:    imul eax, eax, 1103515245
        add eax, 12345
        stosd
        loop .i1
        mov edi, SRC
        mov ecx, 4096
.i2:    imul eax, eax, 1103515245
        add eax, 12345
        stosd
        loop .i2
        ; BIG: dword k = k * 0x9E3779B1 (by linear offset)
        mov edi, BIG
        xor eax, eax
        mov ecx, BIG_SIZE / 4
.i3:    stosd
        add eax, 0x9E3779B1
        loop .i3

; ---------------------------------------------------------------- main loop
outer:
; ---- A: ALU, loads, stores
        mov ecx, 255
        mov ebx, [STATE]
.a:     mov eax, [ARR1 + ecx*4]
        mov edx, [ARR2 + ecx*4]
        add eax, ebx
        xor edx, eax
        rol edx, 7
        imul eax, edx, 0x9E3779B1
        mov [ARR2 + ecx*4], edx
        add [ARR1 + ecx*4], eax
        movzx esi, byte [ARR2 + ecx*4 + 1]
        movsx edi, word [ARR1 + ecx*4 + 2]
        lea ebx, [ebx + eax*2 + 1]
        add ebx, esi
        xor ebx, edi
        cmp eax, edx
        setb al
        movzx eax, al
        add ebx, eax
        test dl, 1
        jz .a_even
        sub ebx, edx
        jmp .a_next
.a_even:
        add ebx, edx
        ror ebx, 3
.a_next:
        dec ecx
        jns .a
        mov [STATE], ebx
        mov eax, ebx
        call fold

; ---- B: calls with stack frames
        mov ecx, 64
        xor esi, esi
.b:     push ecx
        push dword [ARR1 + ecx*4]
        call frame_fn
        add esi, eax
        pop ecx
        loop .b
        mov eax, esi
        call fold

; ---- C: a switch through a jump table
        mov ecx, 127
        mov ebx, [STATE]
.c:     mov eax, [ARR2 + ecx*4]
        and eax, 7
        jmp [jtab + eax*4]
.c0:    add ebx, ecx
        jmp .c_next
.c1:    shl ebx, 1
        adc ebx, 0
        jmp .c_next
.c2:    xor ebx, [ARR1 + ecx*4]
        jmp .c_next
.c3:    sub ebx, 0x1234567
        jmp .c_next
.c4:    not ebx
        jmp .c_next
.c5:    movzx eax, bl
        add ebx, eax
        jmp .c_next
.c6:    bswap ebx
        jmp .c_next
.c7:    neg ebx
.c_next:
        dec ecx
        jns .c
        mov [STATE], ebx
        mov eax, ebx
        call fold

; ---- D: string instructions
        mov esi, SRC
        mov edi, DST
        mov ecx, 4096
        rep movsd
        mov esi, SRC + 1
        mov edi, DST2 + 3
        mov ecx, 1001
        rep movsb
        mov edi, DST + 0x2000
        mov eax, [STATE]
        mov ecx, 1024
        rep stosd
        mov esi, DST + 0x1FF0
        mov ecx, 256
        xor ebx, ebx
.dl:    lodsd
        add ebx, eax
        rol ebx, 1
        loop .dl
        mov eax, ebx
        call fold
        mov esi, SRC
        mov edi, DST
        mov ecx, 2048
        repe cmpsd
        mov eax, ecx
        call fold
        mov edi, DST2
        mov al, [STATE]
        mov ecx, 512
        repne scasb
        mov eax, ecx
        call fold
        ; perturb SRC for the next round
        mov eax, [OUTER]
        and eax, 4095
        mov edx, [STATE]
        mov [SRC + eax*4], edx

; ---- E: multiply and divide
        mov ecx, 32
        xor esi, esi
.e:     mov eax, [ARR1 + ecx*4]
        xor edx, edx
        mov ebx, ecx
        or ebx, 0x10001
        div ebx
        add esi, edx
        mov eax, [ARR2 + ecx*4]
        mul dword [ARR1 + ecx*4 + 4]
        add esi, edx
        imul eax, esi, 37
        cdq
        mov ebx, ecx
        add ebx, 3
        idiv ebx
        xor esi, eax
        imul esi, edx
        loop .e
        mov eax, esi
        call fold

; ---- F: the large working set
        mov ecx, 512
        mov ebx, [SEED]
        xor esi, esi
.f:     imul ebx, ebx, 1664525
        add ebx, 1013904223
        mov eax, ebx
        shr eax, 9
        and eax, BIG_SIZE - 4
        mov edx, [BIG + eax]
        add edx, ebx
        mov [BIG + eax], edx
        xor esi, edx
        dec ecx
        jnz .f
        mov [SEED], ebx
        mov eax, esi
        call fold

%ifdef PAGING
        mov eax, cr3
        mov cr3, eax
%endif
        dec dword [OUTER]
        jnz outer

; ---------------------------------------------------------------- finish
        mov esi, msg_csum
        call print
        mov eax, [CSUM]
        call print_hex32
        mov esi, msg_done
        call print

; End sequence, the same for every emulator: out 0xF4 (QEMU isa-debug-exit
; and oxbox exit with status 1), then "Shutdown" to Bochs' shutdown port
; 0x8900 (Bochs exits), then cli/hlt forever.
        xor al, al
        out 0xF4, al
        mov dx, 0x8900
        mov esi, msg_shutdown
.sd:    lodsb
        test al, al
        jz .halt
        out dx, al
        jmp .sd
.halt:  cli
        hlt
        jmp .halt

; ---------------------------------------------------------------- functions
; fold: mix eax into the checksum. Clobbers edx.
fold:
        mov edx, [CSUM]
        rol edx, 5
        xor edx, eax
        imul edx, edx, 0x01000193
        add edx, 0x7F4A7C15
        mov [CSUM], edx
        ret

; frame_fn(x): a C-style function with a frame; returns eax.
frame_fn:
        push ebp
        mov ebp, esp
        push ebx
        mov eax, [ebp + 8]
        mov ebx, [ebp + 12]
        call leaf
        add eax, ebx
        pop ebx
        leave
        ret 4

; leaf: eax = xorshift(eax) + ebx
leaf:
        mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        add eax, ebx
        ret

; print: NUL-terminated string at esi to port 0xE9.
print:
        lodsb
        test al, al
        jz .r
        out 0xE9, al
        jmp print
.r:     ret

; print_hex32: eax as 8 hex digits to port 0xE9.
print_hex32:
        mov ecx, 8
        mov ebx, hexdigits
.d:     rol eax, 4
        push eax
        and al, 0x0F
        xlatb
        out 0xE9, al
        pop eax
        loop .d
        ret

        align 4
jtab:   dd outer.c0, outer.c1, outer.c2, outer.c3, outer.c4, outer.c5, outer.c6, outer.c7


hexdigits:    db "0123456789abcdef"
%ifdef PAGING
msg_banner:   db "oxbox bench pm32pg", 10, 0
%else
msg_banner:   db "oxbox bench pm32", 10, 0
%endif
msg_csum:     db "CHECKSUM ", 0
msg_done:     db 10, "DONE", 10, 0
msg_shutdown: db "Shutdown", 0

; ---------------------------------------------------------------- iteration count and reset vector
        times 0xFFE0 - ($ - $$) db 0xF4
iter_count:
        dd ITER
        times 0xFFF0 - ($ - $$) db 0xF4
reset:
        db 0xEA                     ; jmp far F000:start16
        dw start16 - ROMBASE, 0xF000
        times 0x10000 - ($ - $$) db 0xF4
