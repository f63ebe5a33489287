; pm_stack16.asm - 16-bit stack segments (SS.B=0) under 32-bit code: PUSH
; and POP use and wrap SP only (the upper half of ESP is kept), a near CALL
; and RET imm16 wrapping SP, PUSHAD wrapping element by element, an
; interrupt frame pushed through SP, and expand-down 16-bit stacks (upper
; bound FFFFh: a push at SP=0 wraps into the valid range, a push down to
; the lower bound).  Limit violations (a wrapped push past the limit of an
; expand-up 16-bit stack, reads below the expand-down bound or past FFFFh)
; are under SDM_EXTRA: QEMU does not check segment limits.  Expected values from the Intel SDM
; vol. 3 3.4.5.1 (B flag, expand-down) and 6.8.1 (stack size), vol. 2
; PUSH/POP/CALL/RET/PUSHA.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_S16   equ 0x48        ; data r/w, B=0, base 30000h, limit FFFFh
S_ED16  equ 0x50        ; expand-down r/w, B=0, base 40000h, limit 0FFFh
S_S16L3 equ 0x58        ; data r/w DPL3, B=0, base 30000h, limit 7FFFh
SBASE   equ 0x30000
EBASE   equ 0x40000
T       equ T_SCRATCH

; ON16 sel, esp: switch to a 16-bit stack (the 32-bit one is kept in EBP)
%macro ON16 2
        mov ebp, esp
        mov ax, %1
        mov ss, ax
        mov esp, %2
%endmacro
%macro OFF16 0
        mov ax, SEL_DATA
        mov ss, ax
        mov esp, ebp
%endmacro

        INIT
        PM_INIT
        SETDESC S_S16, SBASE, 0xFFFF, 0x0093
        SETDESC S_ED16, EBASE, 0x0FFF, 0x0097
        SETDESC S_S16L3, SBASE, 0x7FFF, 0x00F3
        SETIDT 0x40, SEL_CODE32, h40, 0x8E

; ------------------------------------------------------------ SP wrap
        ON16 S_S16, 0x12340000
        push word 0xAAAA
        mov ebx, esp
        pop cx
        mov edx, esp
        push dword 0xBBBBBBBB
        mov esi, esp
        pop edi
        OFF16
        CHK32 ebx, 0x1234FFFE, "push16_sp0_wraps_high_kept"
        CHK32 [SBASE+0xFFFC], 0xBBBBBBBB, "push32_sp0_writes_fffc"
        CHK16 cx, 0xAAAA, "pop16_value"
        CHK32 edx, 0x12340000, "pop16_sp_wraps_to_0"
        CHK32 esi, 0x1234FFFC, "push32_on_16bit_stack_sp0"
        CHK32 edi, 0xBBBBBBBB, "pop32_on_16bit_stack"
        ; near CALL pushes EIP through SP
        ON16 S_S16, 0x00000000
        call .sub
.sret:  mov ecx, esp
        OFF16
        CHK32 ebx, 0x0000FFFC, "call_on_16bit_stack_sp_wraps"
        CHK32 edx, .sret-$$, "call_on_16bit_stack_pushed_eip"
        CHK32 ecx, 0x00000000, "ret_on_16bit_stack_sp_back"
        jmp .rt
.sub:   mov ebx, esp
        mov edx, [ss:0xFFFC]
        ret
.rt:
        ; RET imm16: SP = FFF8h + 4 + 8 wraps to 4
        ON16 S_S16, 0xFFFC
        push dword .r8
        ret 8
.r8:    mov ebx, esp
        OFF16
        CHK32 ebx, 0x0004, "ret_imm16_sp_wraps"
        ; PUSHAD at SP=10h: EAX at 0Ch ... EBX at 0, ESP at FFFCh, EDI at FFF0h
        ON16 S_S16, 0x0010
        mov eax, 0xA0A0A0A0
        mov ebx, 0xB0B0B0B0
        mov edi, 0xD1D1D1D1
        pushad
        mov [T+4], esp
        popad
        mov edx, esp
        OFF16
        CHK32 [T+4], 0xFFF0, "pushad_16bit_stack_sp"
        CHK32 [SBASE+0x0C], 0xA0A0A0A0, "pushad_eax_at_0c"
        CHK32 [SBASE+0x00], 0xB0B0B0B0, "pushad_ebx_at_0"
        CHK32 [SBASE+0xFFFC], 0x0010, "pushad_esp_at_fffc"
        CHK32 [SBASE+0xFFF0], 0xD1D1D1D1, "pushad_edi_at_fff0"
        CHK32 edx, 0x0010, "popad_16bit_stack_sp_back"
        ; interrupt frame through SP (32-bit gate: 12 bytes)
        ON16 S_S16, 0x00000008
        int 0x40
.i40:   mov ebx, esp
        OFF16
        CHK32 [T], 0xFFFC, "int_frame_16bit_stack_sp"
        CHK32 [SBASE+0xFFFC], .i40-$$, "int_frame_16bit_stack_eip"
        CHK32 [SBASE+0x0000], SEL_CODE32, "int_frame_16bit_stack_cs"
        CHK32 ebx, 0x0008, "iretd_16bit_stack_sp_back"

; ------------------------------------------------------------ limits
%ifdef SDM_EXTRA
        ; QEMU does not check segment limits on stack or data accesses
        TRY
        RING3
        mov ax, S_S16L3|3
        mov ss, ax
        mov esp, 0
.l3:    push word 1                     ; SP FFFEh > limit 7FFFh
        RING0
        CATCH 12, 0, "push16_wrap_past_limit_ss"
        CHK32 [EXC_EIP], .l3-$$, "push16_wrap_past_limit_eip"
        CHK32 [EXC_ESP], 0, "push16_wrap_past_limit_sp_unchanged"
%endif
        ; expand-down, B=0: valid offsets 1000h-FFFFh
        ON16 S_ED16, 0
        push word 0xED16
        mov ebx, esp
        OFF16
        CHK32 ebx, 0xFFFE, "expdown16_push_sp0_wraps_valid"
        CHK16 [EBASE+0xFFFE], 0xED16, "expdown16_push_value"
        ON16 S_ED16, 0x1004
        push dword 0x12345678
        mov ebx, esp
        OFF16
        CHK32 ebx, 0x1000, "expdown16_push_to_lower_bound"
        CHK32 [EBASE+0x1000], 0x12345678, "expdown16_push_lower_bound_value"
%ifdef SDM_EXTRA
        ; limit checks: not done by QEMU
        TRY
        mov ax, S_ED16
        mov es, ax
        mov ax, [es:0x0FFF]
        CATCH 13, 0, "expdown16_read_below_bound_gp"
        TRY
        mov ax, S_ED16
        mov es, ax
        mov ax, [es:0xFFFE]
        NOFAULT "expdown16_read_top_word"
        TRY
        mov ax, S_ED16
        mov es, ax
        mov eax, [es:0xFFFE]            ; past FFFFh (B=0 upper bound)
        CATCH 13, 0, "expdown16_dword_past_ffff_gp"
%endif

        PM_FINISH

h40:    mov [T], esp
        iretd

        PM_ROM_END
