; pace10s: waits 1000 ticks of a 100 Hz PIT (10 s of guest time) with HLT,
; then exits through port F4h. `oxbox --bios bench/pace10s.bin` opens the
; window, paced to host time: the process should last 10 s (measured 10.02 s).
bits 16
org 0
start:
  cli
  xor ax, ax
  mov ss, ax
  mov sp, 0x7000
  mov ds, ax
  mov word [8*4], irq0 - start
  mov word [8*4+2], 0xF000
  mov dword [0x500], 0
  ; PIC: ICW1..4, vectors 8-15, unmask IRQ0 only
  mov al, 0x11
  out 0x20, al
  mov al, 0x08
  out 0x21, al
  mov al, 0x04
  out 0x21, al
  mov al, 0x01
  out 0x21, al
  mov al, 0xFE
  out 0x21, al
  ; PIT channel 0, mode 2, 100 Hz (1193182 / 11932)
  mov al, 0x34
  out 0x43, al
  mov ax, 11932
  out 0x40, al
  mov al, ah
  out 0x40, al
  sti
.wait:
  hlt
  cmp dword [0x500], 1000      ; 1000 ticks = 10 s
  jb .wait
  mov al, 0
  out 0xF4, al
  cli
  hlt
irq0:
  push ax
  inc dword [0x500]
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
times 0xFFF0-($-$$) db 0xF4
  jmp 0xF000:start
times 0x10000-($-$$) db 0xF4
