; op32.asm - 32-bit operands and addressing in real mode: 66h and 67h
; prefixes, 32-bit registers and immediates, sign-extended imm8, SIB
; addressing with every scale, no-base SIB with disp32, the default segment
; (SS for an ESP or EBP base, DS otherwise - also for an EBP *index*),
; MOVZX/MOVSX to 32 bits, IMUL r32, and 16/8-bit operations keeping the
; upper bits of the 32-bit registers.
%include "common.inc"

DSEG    equ 0x0100              ; DS for the addressing tests (base 0x1000); SS stays 0

        INIT

; ------------------------------------------------------------ 32-bit arithmetic
        mov eax, 0x12345678
        add eax, 0x11111111
        CHECK32 eax, 0x23456789, "add32_imm32"
        mov eax, 0x0000FFFF
        mov ebx, 1
        add eax, ebx                    ; carry goes into bit 16, no CF
        CHECKF ARITH, AF|PF, "add32_carry_into_bit16.f"
        CHECK32 eax, 0x00010000, "add32_carry_into_bit16"
        mov ecx, 0x00000010
        add ecx, byte -1                ; 66 83 /0 ib, sign-extended
        CHECK32 ecx, 0x0000000F, "add32_simm8"
        xor eax, eax
        dec eax
        CHECK32 eax, 0xFFFFFFFF, "dec32_from_zero"
        inc eax                         ; 66 40
        CHECKF ZF|CF, ZF, "inc32_to_zero.f"
        mov edx, 0x80000000
        cmp edx, 0x7FFFFFFF
        CHECKF ARITH, OF|AF, "cmp32_imm32.f"
        mov esi, 0xF0F0F0F0
        and esi, 0x0FF00FF0
        CHECK32 esi, 0x00F000F0, "and32_imm32"
        mov edi, 0x00000001
        shl edi, 31
        CHECK32 edi, 0x80000000, "shl32"
        mov ebp, 0xFFFFFFFF
        neg ebp
        CHECK32 ebp, 1, "neg32"
        xor ebp, ebp

; ------------------------------------------------------------ 16/8-bit operations keep the upper half
        mov eax, 0x1234FFFF
        add ax, 1
        CHECKF CF|ZF, CF|ZF, "add16_in_eax.f"
        CHECK32 eax, 0x12340000, "add16_keeps_high"
        mov ecx, 0xAAAAFFFF
        inc cx
        CHECK32 ecx, 0xAAAA0000, "inc16_keeps_high"
        mov edx, 0xFFFFFFFF
        xor dx, dx
        CHECK32 edx, 0xFFFF0000, "xor16_keeps_high"
        mov eax, 0x87654321
        mov al, 0x12
        CHECK32 eax, 0x87654312, "mov8l_keeps_rest"
        mov ah, 0x34
        CHECK32 eax, 0x87653412, "mov8h_keeps_rest"
        mov esi, 0x55550001
        neg si
        CHECK32 esi, 0x5555FFFF, "neg16_keeps_high"
        mov edi, 0x33338001
        shl di, 1
        CHECK32 edi, 0x33330002, "shl16_keeps_high"
        mov eax, 0x11112222
        mov ebx, 0x33334444
        xchg ax, bx
        CHECK32 eax, 0x11114444, "xchg16_keeps_high_a"
        CHECK32 ebx, 0x33332222, "xchg16_keeps_high_b"
        mov ecx, 0x9999AAAA
        push word 0x1234
        pop cx
        CHECK32 ecx, 0x99991234, "pop16_keeps_high"
        mov edx, 0xDEAD0000
        mov bl, 0xFE
        movzx dx, bl
        CHECK32 edx, 0xDEAD00FE, "movzx16_keeps_high"
        mov eax, 0xFFFF0000
        mov ebx, 0x00000003
        imul ax, bx, 5
        CHECK32 eax, 0xFFFF000F, "imul16_keeps_high"
        xor ebx, ebx

; ------------------------------------------------------------ 32-bit addressing (67h)
        ; DS:0100 + 4*i = dword 0x01010101 * i  (i = 0..15)
        mov ax, DSEG
        mov ds, ax
        xor ecx, ecx
        xor eax, eax
.fill:  mov [ecx*4+0x100], eax
        add eax, 0x01010101
        inc ecx
        cmp ecx, 16
        jb .fill

        mov ebx, 0x100
        mov eax, [ebx]
        CHECK32 eax, 0x00000000, "a32_base"
        mov eax, [ebx+8]
        CHECK32 eax, 0x02020202, "a32_base_disp8"
        mov esi, 4
        mov eax, [esi+0x100]
        CHECK32 eax, 0x01010101, "a32_base_disp32"
        mov ecx, 3
        mov eax, [ebx+ecx*1]            ; unaligned: bytes 3..6
        CHECK32 eax, 0x01010100, "a32_sib_scale1"
        mov ecx, 2
        mov eax, [ebx+ecx*2]
        CHECK32 eax, 0x01010101, "a32_sib_scale2"
        mov ecx, 3
        mov eax, [ebx+ecx*4+8]
        CHECK32 eax, 0x05050505, "a32_sib_scale4_disp8"
        mov ecx, 7
        mov eax, [ebx+ecx*8]
        CHECK32 eax, 0x0E0E0E0E, "a32_sib_scale8"
        mov ecx, 2
        mov eax, [ecx*8+0x100]          ; no base: disp32
        CHECK32 eax, 0x04040404, "a32_sib_nobase_disp32"
        mov eax, 12
        mov eax, [eax+eax*2+0x100]      ; eax*3
        CHECK32 eax, 0x09090909, "a32_sib_same_reg"
        mov edi, 0x100
        mov ecx, 15
        mov word [edi+ecx*4], 0xBEEF    ; 16-bit store through a32
        CHECK16 [0x100+60], 0xBEEF, "a32_store16"
        mov ebx, 0x100
        mov ax, [ebx+60]                ; 16-bit load through a32
        CHECK16 ax, 0xBEEF, "a32_load16"
        movzx ecx, byte [ebx+61]
        CHECK32 ecx, 0x000000BE, "a32_movzx8"
        movsx ecx, word [ebx+60]
        CHECK32 ecx, 0xFFFFBEEF, "a32_movsx16"
        add dword [ebx+4], 0x10000000   ; read-modify-write through a32
        CHECK32 [0x104], 0x11010101, "a32_rmw"
        mov esi, 0x100
        imul ecx, [esi+8], 3
        CHECK32 ecx, 0x06060606, "a32_imul3"
        mov si, 0x100
        mov eax, [si+8]                 ; 32-bit operand, 16-bit address
        CHECK32 eax, 0x02020202, "o32_a16"

        ; default segments: SS=0, DS=DSEG.  Markers: SS:0808 = 'SS', DS:0808 = 'DS'
        push ds
        xor ax, ax
        mov ds, ax
        mov word [0x0808], 'SS'
        pop ds
        mov word [0x0808], 'DS'
        mov ebp, 0x800
        mov ax, [ebp+8]                 ; EBP base -> SS
        CHECK16 ax, 'SS', "a32_ebp_base_ss"
        mov eax, 0x808
        mov ax, [eax]                   ; other base -> DS
        CHECK16 ax, 'DS', "a32_eax_base_ds"
        mov ecx, 8
        mov ax, [ebp+ecx*1]             ; EBP base with index -> SS
        CHECK16 ax, 'SS', "a32_ebp_base_index_ss"
        mov eax, 0x800
        mov ebp, 8
        db 0x67, 0x8B, 0x0C, 0x28       ; mov cx, [eax+ebp*1]: EBP index -> DS
        CHECK16 cx, 'DS', "a32_ebp_index_ds"
        mov ebp, 0x404
        db 0x67, 0x8B, 0x0C, 0x6D       ; mov cx, [ebp*2+disp32]: no base -> DS
        dd 0
        CHECK16 cx, 'DS', "a32_ebp_index_nobase_ds"
        mov ebp, 0x808
        mov ax, [ds:ebp]                ; override
        CHECK16 ax, 'DS', "a32_ebp_ds_override"
        mov eax, 0x808
        mov ax, [ss:eax]
        CHECK16 ax, 'SS', "a32_eax_ss_override"
        xor ebp, ebp

        push dword 0xCAFEF00D
        mov eax, [esp]                  ; ESP base -> SS
        CHECK32 eax, 0xCAFEF00D, "a32_esp_base_ss"
        push dword 0x12345678
        mov eax, [esp+4]
        CHECK32 eax, 0xCAFEF00D, "a32_esp_disp_ss"
        mov ecx, 1
        mov eax, [esp+ecx*4]            ; ESP base with index -> SS
        CHECK32 eax, 0xCAFEF00D, "a32_esp_base_index_ss"
        mov dword [esp], 0x0BADF00D     ; store through [esp]
        pop eax
        CHECK32 eax, 0x0BADF00D, "a32_esp_store"
        pop eax
        CHECK16 sp, STACK_TOP, "a32_esp_balanced"

        xor ax, ax
        mov ds, ax

; ------------------------------------------------------------ 32-bit multiply, moves, stack
        mov eax, 0x00012345
        mov ebx, 0x00010000
        imul eax, ebx
        CHECKF CF|OF, CF|OF, "imul32_2op_overflow.f"
        CHECK32 eax, 0x23450000, "imul32_2op"
        mov ecx, -7
        imul ecx, ecx, -3
        CHECK32 ecx, 21, "imul32_3op_neg"
        mov bx, 0x8000
        movsx eax, bx
        CHECK32 eax, 0xFFFF8000, "movsx32_r16"
        mov bl, 0x80
        movzx eax, bl
        CHECK32 eax, 0x00000080, "movzx32_r8"
        mov eax, 0xA5A5A5A5
        push eax
        CHECK16 sp, STACK_TOP-4, "push32_sp"
        pop ebx
        CHECK32 ebx, 0xA5A5A5A5, "pop32"
        mov edx, 0x11223344
        mov [0x0700], edx
        mov eax, [0x0700]
        CHECK32 eax, 0x11223344, "mov32_moffs"
        mov ax, [0x0702]
        CHECK16 ax, 0x1122, "mov32_high_word_in_memory"

        FINISH
        ROM_END
