bits 32
global start
_start:

header:
  dd 0x1BADB002
  dd 0x00000003
  dd -(0x1BADB002 + 0x00000003)
start:
  cmp eax, 0x2BADB002
  jne fail
  test dword [ebx], 1 << 2
  jz fail
  mov esi, [ebx+16]
.l: lodsb
  test al, al
  jz .d
  out 0xE9, al
  jmp .l
.d:
  mov al, ' '
  out 0xE9, al
  mov al, [ebx+20]
  add al, '0'
  out 0xE9, al
  mov esi, [ebx+24]     ; first module entry
  mov esi, [esi]        ; mod_start
  mov al, [esi]         ; its first byte
  out 0xE9, al
  mov al, 0
  out 0xF4, al
fail:
  mov al, 1
  out 0xF4, al
  hlt
