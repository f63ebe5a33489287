bits 32
org 0x100000
header:
  dd 0x1BADB002
  dd 0x00010003
  dd -(0x1BADB002 + 0x00010003)
  dd header          ; header_addr
  dd header          ; load_addr
  dd 0               ; load_end_addr: whole file
  dd 0               ; bss_end_addr
  dd start           ; entry_addr
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
