; pm_iopl.asm - IOPL and the TSS I/O permission bitmap beyond pm_priv:
; CPL3 with IOPL 2 still consults the bitmap and faults on CLI, PUSHFD
; shows IOPL, CPL1 with IOPL1 ignores the bitmap and may CLI/STI and change
; IF but not IOPL through POPFD, CPL1 with IOPL0 uses the bitmap; byte, word
; and dword accesses checking every bit they cover; INSB/OUTSB/INSD at CPL3
; (a faulting INS leaves EDI unchanged); and the two-byte bitmap read: a
; port whose bit is inside the TSS limit but whose following byte is past
; it faults.  Expected values from the Intel SDM vol. 1 19.5 (I/O
; permission bit map) and 19.8 (IOPL), vol. 2 IN/OUT/INS/OUTS/CLI/POPF.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_C1    equ 0x48        ; 32-bit code DPL1, base F0000
S_D1    equ 0x50        ; flat data DPL1
ESP1    equ 0x6400
T       equ T_SCRATCH
BITMAP  equ TSS_BASE+TSS_IOMAP

; RING1 [eflags]: continue at CPL1 (CS=S_C1|1, SS=DS=ES=S_D1|1) via IRETD;
; RING0 (the DPL3 call gate) brings it back.
%macro RING1 0-1 0x0002
        mov [R3_RET_ESP], esp
        push dword S_D1|1
        push dword ESP1
        push dword %1
        push dword S_C1|1
        push dword %%r1
        iretd
%%r1:   push dword S_D1|1
        pop ds
        push dword S_D1|1
        pop es
%endmacro

        INIT
        PM_INIT
        SETDESC S_C1, 0xF0000, 0xFFFF, 0x40BB
        SETDESC S_D1, 0, 0xFFFFF, 0xC0B3
        ; ports 80h-83h allowed, everything else in 0-FFh denied
        mov byte [BITMAP+0x10], 0xF0
        ; ports F0h and F8h allowed (bitmap bytes 86h and 87h of the TSS)
        mov byte [BITMAP+0x1E], 0xFE
        mov byte [BITMAP+0x1F], 0xFE

; ------------------------------------------------------------ CPL3, IOPL 2
        TRY
        RING3 0x2002
        in al, 0x80
        in eax, 0x80
        pushfd
        pop ebx
        RING0
        NOFAULT "cpl3_iopl2_bitmap_allowed"
        and ebx, 0x3000
        CHK32 ebx, 0x2000, "cpl3_pushfd_shows_iopl2"
        TRY
        RING3 0x2002
.i2:    in al, 0x84
        RING0
        CATCH 13, 0, "cpl3_iopl2_bitmap_denied"
        CHK32 [EXC_EIP], .i2-$$, "cpl3_iopl2_bitmap_denied_eip"
        TRY
        RING3 0x2002
.c2:    cli
        RING0
        CATCH 13, 0, "cpl3_iopl2_cli"
        CHK32 [EXC_EIP], .c2-$$, "cpl3_iopl2_cli_eip"

; ------------------------------------------------------------ access sizes
        TRY
        RING3
        in ax, 0x82                     ; 82h, 83h
        RING0
        NOFAULT "word_82_both_allowed"
        TRY
        RING3
        in ax, 0x83                     ; 83h allowed, 84h denied
        RING0
        CATCH 13, 0, "word_83_second_bit_denied"
        TRY
        RING3
        in eax, 0x81                    ; 81h-84h: 84h denied
        RING0
        CATCH 13, 0, "dword_81_last_bit_denied"
        TRY
        RING3
        in al, 0x7F
        RING0
        CATCH 13, 0, "byte_7f_denied"
        TRY
        RING3
        mov dx, 0x80
        in eax, dx
        RING0
        NOFAULT "dword_80_via_dx_allowed"

; ------------------------------------------------------------ string I/O at CPL3
        TRY
        RING3
        mov esi, T
        mov dx, 0x80
        outsb
        mov [es:T+0x10], esi
        mov edi, T+0x20
        insd
        mov [es:T+0x14], edi
        RING0
        NOFAULT "cpl3_outsb_insd_allowed"
        CHK32 [T+0x10], T+1, "cpl3_outsb_esi_advanced"
        CHK32 [T+0x14], T+0x24, "cpl3_insd_edi_advanced"
        TRY
        RING3
        mov edi, T+0x30
        mov dx, 0x84
.ins:   insb
        RING0
        CATCH 13, 0, "cpl3_insb_denied"
        CHK32 [EXC_EIP], .ins-$$, "cpl3_insb_denied_eip"
        CHK32 [EXC_EDI], T+0x30, "cpl3_insb_denied_edi_unchanged"
        TRY
        RING3
        mov esi, T
        mov dx, 0x83
        outsw                           ; 83h, 84h
        RING0
        CATCH 13, 0, "cpl3_outsw_spanning_denied"

; ------------------------------------------------------------ CPL1
        TRY
        RING1 0x1002                    ; IOPL 1
        in al, 0x84                     ; bitmap ignored: CPL <= IOPL
        cli
        sti
        pushfd
        pop ebx
        push dword 0x3002               ; IOPL 3, IF 0
        popfd
        pushfd
        pop ecx
        mov ax, cs
        RING0
        NOFAULT "cpl1_iopl1_io_cli_sti"
        CHK16 ax, S_C1|1, "cpl1_cs"
        and ebx, IFL
        CHK32 ebx, IFL, "cpl1_iopl1_sti_sets_if"
        and ecx, 0x3000 | IFL
        CHK32 ecx, 0x1000, "cpl1_iopl1_popfd_if_cleared_iopl_kept"
        TRY
        RING1
        in al, 0x80
        RING0
        NOFAULT "cpl1_iopl0_bitmap_allowed"
        TRY
        RING1
        in al, 0x84
        RING0
        CATCH 13, 0, "cpl1_iopl0_bitmap_denied"
        TRY
        RING1
        cli
        RING0
        CATCH 13, 0, "cpl1_iopl0_cli"

; ------------------------------------------------------------ two-byte bitmap read
        TRY
        RING3
        in al, 0xF0
        in al, 0xF8
        RING0
        NOFAULT "ports_f0_f8_allowed"
        ; TSS limit 87h: the bit of port F8h (byte 87h) is inside the
        ; limit, the byte after it is not
        and byte [GDT_BASE+SEL_TSS+5], ~2       ; not busy
        mov word [GDT_BASE+SEL_TSS], 0x87
        mov ax, SEL_TSS
        ltr ax
        TRY
        RING3
        in al, 0xF0                     ; reads bytes 86h-87h
        RING0
        NOFAULT "port_f0_bitmap_read_inside_limit"
        TRY
        RING3
.f8:    in al, 0xF8                     ; reads bytes 87h-88h
        RING0
        CATCH 13, 0, "port_f8_bitmap_read_past_limit"
        CHK32 [EXC_EIP], .f8-$$, "port_f8_bitmap_read_past_limit_eip"
        TRY
        RING3 0x3002
        in al, 0xF8                     ; IOPL 3: no bitmap read
        RING0
        NOFAULT "port_f8_iopl3_no_bitmap"

        PM_FINISH
        PM_ROM_END
