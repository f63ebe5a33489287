; pm_debug.asm - debug registers beyond pm_exc: DR0-DR3 read back and all
; four armed together (only the one hit reports in DR6), DR6/DR7 fixed bits,
; LEN 1/2/4 matching any byte of the aligned range (and nothing outside),
; RW=11 breaking on reads and writes, two breakpoints hit by one access, G
; bits enabling like L bits, a disabled breakpoint not firing, breakpoints
; on linear addresses (through a segment base and a PUSH), DR6.BS kept
; when a later data breakpoint reports B0 (DR6 bits other than B0-B3 are
; never cleared by the processor).  Data breakpoints are traps: the saved
; EIP is the next instruction.  Expected values from the Intel SDM vol. 3
; 17.2 (debug registers) and 17.3.1 (debug exception conditions).
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_B3000 equ 0x48        ; data r/w, base 3000h, limit FFFFh
BPX     equ 0x3100      ; breakpoint area (aligned)

; ARM n, rw, len, address: DRn = address, DR7 = Ln | RWn | LENn (others 0)
%macro ARM 4
        mov eax, %4
        mov dr%1, eax
        mov eax, (1 << (2*(%1))) | ((%2) << (16+4*(%1))) | ((%3) << (18+4*(%1)))
        mov dr7, eax
%endmacro
%macro DISARM 0
        xor eax, eax
        mov dr7, eax
        mov dr6, eax
%endmacro
; DR6_IS value, name: the DR6 recorded by the handler, bits B0-B3 and BS
%macro DR6_IS 2+
        mov eax, [EXC_DR6]
        and eax, 0x400F
        CHK32 eax, %1, %2
%endmacro

        INIT
        PM_INIT
        SETDESC S_B3000, 0x3000, 0xFFFF, 0x4093

; ------------------------------------------------------------ registers
        mov eax, 0x11111111
        mov dr0, eax
        mov eax, 0x22222222
        mov dr1, eax
        mov eax, 0x33333333
        mov dr2, eax
        mov eax, 0x44444444
        mov dr3, eax
        mov eax, dr0
        CHK32 eax, 0x11111111, "dr0_readback"
        mov eax, dr1
        CHK32 eax, 0x22222222, "dr1_readback"
        mov eax, dr2
        CHK32 eax, 0x33333333, "dr2_readback"
        mov eax, dr3
        CHK32 eax, 0x44444444, "dr3_readback"
        xor eax, eax
        mov dr6, eax
        mov eax, dr6
        CHK32 eax, 0xFFFF0FF0, "dr6_fixed_ones"
        xor eax, eax
        mov dr7, eax
        mov eax, dr7
        CHK32 eax, 0x00000400, "dr7_bit10_reads_1"

; ------------------------------------------------------------ four breakpoints
        mov dword [BPX], 0
        mov dword [BPX+0x10], 0
        mov dword [BPX+0x20], 0
        mov dword [BPX+0x30], 0
        mov eax, BPX
        mov dr0, eax
        mov eax, BPX+0x10
        mov dr1, eax
        mov eax, BPX+0x20
        mov dr2, eax
        mov eax, BPX+0x30
        mov dr3, eax
        ; L0-L3, all RW=01 (write) LEN=11 (4 bytes)
        mov eax, 0x55 | 0xDDDD0000
        mov dr7, eax
        xor eax, eax
        mov dr6, eax
        TRY
        mov dword [BPX+0x20], 2
.f2:    nop
        CATCH 1, 0, "four_bps_dr2_hit"
        CHK32 [EXC_EIP], .f2-$$, "four_bps_dr2_trap_eip"
        DR6_IS 0x0004, "four_bps_dr6_b2_only"
        xor eax, eax
        mov dr6, eax
        TRY
        mov dword [BPX+0x30], 3
        CATCH 1, 0, "four_bps_dr3_hit"
        DR6_IS 0x0008, "four_bps_dr6_b3_only"
        TRY
        mov dword [BPX+0x08], 3         ; between the breakpoints
        mov dword [BPX+0x14], 3
        NOFAULT "four_bps_other_addresses"
        DISARM

; ------------------------------------------------------------ LEN matching
        ARM 0, 1, 0, BPX+1              ; 1 byte at BPX+1
        TRY
        mov byte [BPX], 1
        mov byte [BPX+2], 1
        NOFAULT "len1_neighbour_bytes"
        TRY
        mov word [BPX], 0x0101          ; covers BPX+1
        CATCH 1, 0, "len1_hit_by_word_write"
        DR6_IS 0x0001, "len1_dr6_b0"
        DISARM
        ARM 1, 1, 1, BPX+2              ; 2 bytes at BPX+2
        TRY
        mov byte [BPX+3], 1
        CATCH 1, 0, "len2_hit_second_byte"
        DR6_IS 0x0002, "len2_dr6_b1"
        TRY
        mov byte [BPX+1], 1
        mov byte [BPX+4], 1
        NOFAULT "len2_outside"
        DISARM
        ARM 2, 1, 3, BPX+4              ; 4 bytes at BPX+4
        TRY
        mov byte [BPX+7], 1
        CATCH 1, 0, "len4_hit_last_byte"
        TRY
        mov dword [BPX+6], 0            ; unaligned dword overlapping
        CATCH 1, 0, "len4_hit_overlapping_dword"
        TRY
        mov byte [BPX+8], 1
        mov byte [BPX+3], 1
        NOFAULT "len4_outside"
        DISARM

; ------------------------------------------------------------ RW=11, G bits
        mov dword [BPX+0x40], 0x600D
        ARM 3, 3, 3, BPX+0x40           ; read/write
        xor eax, eax
        mov dr6, eax
        TRY
        mov ebx, [BPX+0x40]
.rw:    nop
        CATCH 1, 0, "rw11_read_hits"
        CHK32 [EXC_EIP], .rw-$$, "rw11_read_trap_eip"
        CHK32 [EXC_EBX], 0x600D, "rw11_read_completed"
        DR6_IS 0x0008, "rw11_dr6_b3"
        TRY
        add dword [BPX+0x40], 1
        CATCH 1, 0, "rw11_rmw_hits"
        DISARM
        CHK32 [BPX+0x40], 0x600E, "rw11_rmw_completed"
        mov eax, BPX+0x50
        mov dr0, eax
        mov eax, 0x2 | (1 << 16) | (3 << 18)    ; G0, write, 4 bytes
        mov dr7, eax
        TRY
        mov dword [BPX+0x50], 1
        CATCH 1, 0, "g0_enables_breakpoint"
        DR6_IS 0x0001, "g0_dr6_b0"
        mov eax, (1 << 16) | (3 << 18)          ; neither L0 nor G0
        mov dr7, eax
        TRY
        mov dword [BPX+0x50], 1
        NOFAULT "l0_g0_clear_disabled"
        DISARM

; ------------------------------------------------------------ two at once, linear addresses
        mov eax, BPX+0x60
        mov dr0, eax
        mov eax, BPX+0x62
        mov dr1, eax
        mov eax, 0x5 | (1 << 16) | (1 << 20)    ; L0 L1, write, 1 byte each
        mov dr7, eax
        TRY
        mov dword [BPX+0x60], 0
        CATCH 1, 0, "two_bps_one_write"
        mov eax, [EXC_DR6]
        and eax, 1
        CHK32 eax, 1, "two_bps_dr6_b0"
%ifdef SDM_EXTRA
        ; both conditions were met, so both B0 and B1 are set (SDM vol. 3
        ; 17.2.3); QEMU reports only the first matching breakpoint
        DR6_IS 0x0003, "two_bps_dr6_b0_b1"
%endif
        DISARM
        ARM 0, 1, 3, 0x3200             ; linear 3200h = S_B3000:200h
        mov ax, S_B3000
        mov es, ax
        TRY
        mov dword [es:0x200], 1
        CATCH 1, 0, "bp_linear_via_segment_base"
        TRY
        mov ax, S_B3000                 ; (TRY's end reloaded ES)
        mov es, ax
        mov dword [es:0x3200], 1        ; offset 3200h is linear 6200h
        NOFAULT "bp_offset_not_linear"
        DISARM
        ARM 1, 1, 3, STACK_TOP-0x104
        mov ebp, esp
        TRY
        mov esp, STACK_TOP-0x100
        push dword 0x1234
.ps:    nop
        CATCH 1, 0, "bp_on_push"
        CHK32 [EXC_EIP], .ps-$$, "bp_on_push_eip"
        DISARM
        mov esp, ebp

; ------------------------------------------------------------ DR6.BS kept
        ARM 0, 1, 3, BPX+0x70
        xor eax, eax
        mov dr6, eax
        TRY
        pushfd
        or dword [esp], TFL
        popfd
        nop
        CATCH 1, 0, "step_before_bp"
        DR6_IS 0x4000, "step_dr6_bs"
        TRY
        mov dword [BPX+0x70], 1
        CATCH 1, 0, "bp_after_step"
        DR6_IS 0x4001, "bp_after_step_dr6_bs_kept_b0"
        DISARM

        PM_FINISH
        PM_ROM_END
