; muldiv.asm - MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV on
; 8/16/32-bit operands, CF/OF after MUL/IMUL, and divide errors (#DE, INT 0):
; divide by zero and quotient overflow fault with the pushed CS:IP pointing
; AT the faulting instruction (386+ behaviour), registers unchanged, and
; execution resumes after it.
;
; After MUL/IMUL only CF and OF are defined; after DIV/IDIV no flag is.
%include "common.inc"

DATA      equ 0x1000
DE_COUNT  equ SCRATCH+0
DE_IP     equ SCRATCH+2
DE_CS     equ SCRATCH+4
DE_FL     equ SCRATCH+6
DE_RESUME equ SCRATCH+8

; DE_CASE name, instruction: run an instruction that must raise #DE; check
; the handler ran once and the pushed IP is the instruction's first byte.
%macro DE_CASE 2+
        mov word [DE_COUNT], 0
        mov word [DE_IP], 0xFFFF
        mov word [DE_RESUME], %%after
%%at:   %2
%%after:
        CHECK16 [DE_COUNT], 1, %1, "_count"
        CHECK16 [DE_IP], %%at-$$, %1, "_ip"
%endmacro

        INIT
        jmp tests

; INT 0 handler: record the pushed IP/CS/FLAGS, count, and return to the
; address the test stored in DE_RESUME.
de_handler:
        push bp
        mov bp, sp
        push ax
        push ds
        xor ax, ax
        mov ds, ax
        inc word [DE_COUNT]
        mov ax, [bp+2]
        mov [DE_IP], ax
        mov ax, [bp+4]
        mov [DE_CS], ax
        mov ax, [bp+6]
        mov [DE_FL], ax
        mov ax, [DE_RESUME]
        mov [bp+2], ax
        pop ds
        pop ax
        pop bp
        iret

tests:
; ------------------------------------------------------------ MUL
        mov al, 0x80
        mov bl, 0x02
        SETF 0
        mul bl
        CHECKF CF|OF, CF|OF, "mul8_overflow.f"
        CHECK16 ax, 0x0100, "mul8_overflow"
        mov ax, 0xAA10
        mov bl, 0x0F
        SETF CF|OF
        mul bl
        CHECKF CF|OF, 0, "mul8_fits.f"
        CHECK16 ax, 0x00F0, "mul8_fits"
        mov byte [DATA], 0xFF
        mov al, 0xFF
        mul byte [DATA]
        CHECKF CF|OF, CF|OF, "mul8_mem.f"
        CHECK16 ax, 0xFE01, "mul8_mem"
        mov ax, 0x1234
        mov bx, 0x0100
        mov dx, 0xFFFF
        mul bx
        CHECKF CF|OF, CF|OF, "mul16.f"
        CHECK16 ax, 0x3400, "mul16_lo"
        CHECK16 dx, 0x0012, "mul16_hi"
        mov ax, 0x00FF
        mov cx, 0x00FF
        mov dx, 0x5555
        mul cx
        CHECKF CF|OF, 0, "mul16_fits.f"
        CHECK16 ax, 0xFE01, "mul16_fits_lo"
        CHECK16 dx, 0x0000, "mul16_fits_hi"
        mov eax, 0xFFFFFFFF
        mov ebx, 0xFFFFFFFF
        mul ebx
        CHECKF CF|OF, CF|OF, "mul32_max.f"
        CHECK32 eax, 0x00000001, "mul32_max_lo"
        CHECK32 edx, 0xFFFFFFFE, "mul32_max_hi"
        mov eax, 3
        mov ebx, 5
        mov edx, 0x12345678
        SETF CF|OF
        mul ebx
        CHECKF CF|OF, 0, "mul32_small.f"
        CHECK32 eax, 15, "mul32_small_lo"
        CHECK32 edx, 0, "mul32_small_hi"
        mov dword [DATA+4], 0x00010000
        mov eax, 0x00010000
        mul dword [DATA+4]
        CHECKF CF|OF, CF|OF, "mul32_mem.f"
        CHECK32 eax, 0x00000000, "mul32_mem_lo"
        CHECK32 edx, 0x00000001, "mul32_mem_hi"

; ------------------------------------------------------------ IMUL, one operand
        mov al, 0xFF
        mov bl, 0x02
        SETF CF|OF
        imul bl
        CHECKF CF|OF, 0, "imul8_neg.f"
        CHECK16 ax, 0xFFFE, "imul8_neg"
        mov al, 0x40
        mov bl, 0x02
        imul bl
        CHECKF CF|OF, CF|OF, "imul8_overflow.f"
        CHECK16 ax, 0x0080, "imul8_overflow"
        mov al, 0x80
        mov bl, 0x80
        imul bl
        CHECKF CF|OF, CF|OF, "imul8_min_min.f"
        CHECK16 ax, 0x4000, "imul8_min_min"
        mov ax, 0x8000
        mov bx, 0x8000
        imul bx
        CHECKF CF|OF, CF|OF, "imul16_min_min.f"
        CHECK16 ax, 0x0000, "imul16_min_min_lo"
        CHECK16 dx, 0x4000, "imul16_min_min_hi"
        mov ax, 0xFFFF
        mov bx, 0x7FFF
        imul bx
        CHECKF CF|OF, 0, "imul16_fits.f"
        CHECK16 ax, 0x8001, "imul16_fits_lo"
        CHECK16 dx, 0xFFFF, "imul16_fits_hi"
        mov eax, -2
        mov ebx, 3
        imul ebx
        CHECKF CF|OF, 0, "imul32_neg.f"
        CHECK32 eax, 0xFFFFFFFA, "imul32_neg_lo"
        CHECK32 edx, 0xFFFFFFFF, "imul32_neg_hi"
        mov eax, 0x40000000
        mov ecx, 2
        imul ecx
        CHECKF CF|OF, CF|OF, "imul32_overflow.f"
        CHECK32 eax, 0x80000000, "imul32_overflow_lo"
        CHECK32 edx, 0x00000000, "imul32_overflow_hi"

; ------------------------------------------------------------ IMUL, two and three operands
        mov ax, 0x0100
        mov bx, 0x0100
        imul ax, bx                     ; 0F AF
        CHECKF CF|OF, CF|OF, "imul2_16_overflow.f"
        CHECK16 ax, 0x0000, "imul2_16_overflow"
        mov cx, -3
        mov dx, 7
        imul cx, dx
        CHECKF CF|OF, 0, "imul2_16.f"
        CHECK16 cx, 0xFFEB, "imul2_16"
        mov dword [DATA+8], 0x100
        mov eax, 0x12345
        imul eax, [DATA+8]
        CHECKF CF|OF, 0, "imul2_32_mem.f"
        CHECK32 eax, 0x01234500, "imul2_32_mem"
        mov esi, 0x7FFFFFFF
        mov edi, 2
        imul esi, edi
        CHECKF CF|OF, CF|OF, "imul2_32_overflow.f"
        CHECK32 esi, 0xFFFFFFFE, "imul2_32_overflow"
        mov bx, 7
        imul ax, bx, -3                 ; 6B /r ib
        CHECKF CF|OF, 0, "imul3_16_imm8.f"
        CHECK16 ax, 0xFFEB, "imul3_16_imm8"
        mov ebx, 0x00010000
        imul eax, ebx, 0x00010000       ; 69 /r id
        CHECKF CF|OF, CF|OF, "imul3_32_imm32.f"
        CHECK32 eax, 0x00000000, "imul3_32_imm32"
        mov word [DATA+12], 0x1000
        imul cx, [DATA+12], 5
        CHECKF CF|OF, 0, "imul3_16_mem.f"
        CHECK16 cx, 0x5000, "imul3_16_mem"
        mov si, 2
        imul dx, si, 0x4000             ; 69 /r iw
        CHECKF CF|OF, CF|OF, "imul3_16_imm16_overflow.f"
        CHECK16 dx, 0x8000, "imul3_16_imm16_overflow"
        mov ecx, -1
        imul ebp, ecx, 100
        CHECKF CF|OF, 0, "imul3_32_neg.f"
        CHECK32 ebp, 0xFFFFFF9C, "imul3_32_neg"
        xor ebp, ebp
        mov eax, 0xFFFF0003
        mov ebx, 0xAAAA0005
        imul ax, bx                     ; 16-bit form keeps the high half
        CHECK32 eax, 0xFFFF000F, "imul2_16_keeps_high"

; ------------------------------------------------------------ DIV
        mov ax, 0x0107
        mov bl, 0x10
        div bl
        CHECK16 ax, 0x0710, "div8"
        mov byte [DATA], 0xFF
        mov ax, 0x00FF
        div byte [DATA]
        CHECK16 ax, 0x0001, "div8_mem"
        mov dx, 0x0001
        mov ax, 0x0000
        mov bx, 3
        div bx
        CHECK16 ax, 0x5555, "div16_quot"
        CHECK16 dx, 0x0001, "div16_rem"
        mov dx, 0x1234
        mov ax, 0x5678
        mov cx, 0xFFFF
        div cx
        CHECK16 ax, 0x1234, "div16_big_quot"
        CHECK16 dx, 0x68AC, "div16_big_rem"
        mov edx, 1
        mov eax, 0
        mov ebx, 0x10
        div ebx
        CHECK32 eax, 0x10000000, "div32_quot"
        CHECK32 edx, 0, "div32_rem"
        mov dword [DATA+4], 7
        mov edx, 0
        mov eax, 100
        div dword [DATA+4]
        CHECK32 eax, 14, "div32_mem_quot"
        CHECK32 edx, 2, "div32_mem_rem"
        mov edx, 0xFFFFFFFE
        mov eax, 0xFFFFFFFF
        mov ecx, 0xFFFFFFFF
        div ecx
        CHECK32 eax, 0xFFFFFFFF, "div32_max_quot"
        CHECK32 edx, 0xFFFFFFFE, "div32_max_rem"

; ------------------------------------------------------------ IDIV (truncates toward zero, remainder has the dividend's sign)
        mov ax, -7
        mov bl, 2
        idiv bl
        CHECK16 ax, 0xFFFD, "idiv8_neg_dividend"
        mov ax, 7
        mov bl, -2
        idiv bl
        CHECK16 ax, 0x01FD, "idiv8_neg_divisor"
        mov ax, -128
        mov bl, 1
        idiv bl                         ; quotient -128 fits (no #DE on 386+)
        CHECK16 ax, 0x0080, "idiv8_min_quot"
        mov dx, 0xFFFF
        mov ax, 0xFC18                  ; -1000
        mov bx, 7
        idiv bx
        CHECK16 ax, 0xFF72, "idiv16_quot"
        CHECK16 dx, 0xFFFA, "idiv16_rem"
        mov dx, 0xFFFF
        mov ax, 0x8000                  ; -32768 / 1
        mov bx, 1
        idiv bx
        CHECK16 ax, 0x8000, "idiv16_min_quot"
        CHECK16 dx, 0x0000, "idiv16_min_rem"
        mov edx, 0
        mov eax, 100
        mov ebx, -7
        idiv ebx
        CHECK32 eax, 0xFFFFFFF2, "idiv32_quot"
        CHECK32 edx, 2, "idiv32_rem"
        mov edx, 0xFFFFFFFF
        mov eax, 0xFFFFFFFF             ; -1 / 2
        mov ecx, 2
        idiv ecx
        CHECK32 eax, 0, "idiv32_small_quot"
        CHECK32 edx, 0xFFFFFFFF, "idiv32_small_rem"

; ------------------------------------------------------------ #DE
        SETVEC 0, de_handler

        mov ax, 0x1234
        mov bl, 0
        SETF CF|ZF
        DE_CASE "de_div8_zero", div bl
        CHECKF ARITH, CF|ZF, "de_div8_zero_iret_flags"
        CHECK16 ax, 0x1234, "de_div8_zero_ax_unchanged"
        CHECK16 [DE_CS], 0xF000, "de_div8_zero_cs"
        mov ax, [DE_FL]
        and ax, ARITH|IFL|TFL|DFL
        CHECK16 ax, CF|ZF, "de_div8_zero_pushed_flags"

        mov ax, 0x1000                  ; 0x1000 / 2 = 0x800 > 0xFF
        mov bl, 2
        DE_CASE "de_div8_overflow", div bl
        CHECK16 ax, 0x1000, "de_div8_overflow_ax_unchanged"

        mov ax, 0x8000                  ; -32768 / -1 = 32768 > 127
        mov bl, 0xFF
        DE_CASE "de_idiv8_overflow", idiv bl
        CHECK16 ax, 0x8000, "de_idiv8_overflow_ax_unchanged"

        mov ax, 0x0080                  ; +128 / 1 does not fit in int8
        mov bl, 1
        DE_CASE "de_idiv8_pos128", idiv bl

        mov dx, 0x0001                  ; 0x10000 / 1 > 0xFFFF
        mov ax, 0x0000
        mov cx, 1
        DE_CASE "de_div16_overflow", div cx
        CHECK16 dx, 0x0001, "de_div16_overflow_dx_unchanged"

        mov dx, 5
        mov ax, 6
        mov word [DATA+0x20], 0
        DE_CASE "de_div16_mem_zero", div word [DATA+0x20]

        mov edx, 1
        mov eax, 0
        mov ebx, 1
        DE_CASE "de_div32_overflow", div ebx
        CHECK32 edx, 1, "de_div32_overflow_edx_unchanged"
        CHECK32 eax, 0, "de_div32_overflow_eax_unchanged"

        mov edx, 0xFFFFFFFF
        mov eax, 0x80000000
        mov ecx, -1
        DE_CASE "de_idiv32_overflow", idiv ecx

        ; prefixed instruction: the pushed IP is the first prefix byte
        mov ax, 0x0100
        mov es, ax
        mov dword [DATA+0x24], 0        ; ES:0x0024 = phys 0x1024
        mov bx, 0x0024
        mov edx, 0
        mov eax, 1
        DE_CASE "de_div32_prefixed", div dword [es:bx]
        mov ax, 0
        mov es, ax

        ; the handler ran the right number of times overall and normal
        ; division still works afterwards
        mov ax, 100
        mov bl, 10
        div bl
        CHECK16 ax, 0x000A, "div_after_faults"

        FINISH
        ROM_END
