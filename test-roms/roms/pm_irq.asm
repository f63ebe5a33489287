; pm_irq.asm - hardware interrupts in protected mode: the 8259 pair
; remapped to vectors 20h-2Fh, the 8254 channel 0 raising IRQ0, an IRQ
; held pending in the IRR while IF=0 and delivered only after the
; instruction following STI (the STI interrupt shadow), the ISR bit set
; until EOI, IF cleared by an interrupt gate and kept by a trap gate, IRETD
; restoring IF, HLT resuming after the handler, a masked IRQ not delivered,
; and an IRQ arriving at ring 3 through a DPL0 interrupt gate (the gate DPL
; is ignored for external interrupts; the frame holds the ring-3 CS and
; SS:ESP).  With a local APIC, LINT0 is first set to ExtINT (virtual wire).  Expected values from the Intel SDM vol. 3 6.8.3 (STI shadow),
; 6.12.1 and 6.12.1.2, vol. 2 STI/HLT, and the 8259A/8254 data sheets.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

T       equ T_SCRATCH
WAITN   equ 50000000

; mask IRQ0 (1) or unmask it (0)
%macro IRQ0MASK 1
        mov al, 0xFE | (%1)
        out 0x21, al
%endmacro

        INIT
        PM_INIT
        ; with a local APIC (CPUID.1:EDX[9]), LINT0 is masked after reset:
        ; program it as ExtINT (virtual-wire mode) so the 8259's INTR
        ; reaches the processor, as a BIOS does (SDM vol. 3 10.5.1)
        mov eax, 1
        cpuid
        test edx, 1 << 9
        jz .noapic
        mov dword [0xFEE00350], 0x00000700
.noapic:
        ; 8259: master at 20h, slave at 28h (cascade on IRQ2)
        mov al, 0x11
        out 0x20, al
        out 0xA0, al
        mov al, 0x20
        out 0x21, al
        mov al, 0x28
        out 0xA1, al
        mov al, 0x04
        out 0x21, al
        mov al, 0x02
        out 0xA1, al
        mov al, 0x01
        out 0x21, al
        out 0xA1, al
        mov al, 0xFF
        out 0xA1, al
        IRQ0MASK 0
        SETIDT 0x20, SEL_CODE32, irq0, 0x8E
        ; 8254 channel 0, mode 2, count 1000h
        mov al, 0x34
        out 0x43, al
        xor al, al
        out 0x40, al
        mov al, 0x10
        out 0x40, al

; ------------------------------------------------------------ pending with IF=0, STI shadow
        mov dword [T+4], 0
        mov ecx, WAITN
.w1:    mov al, 0x0A                    ; OCW3: read IRR
        out 0x20, al
        in al, 0x20
        test al, 1
        jnz .pend
        dec ecx
        jnz .w1
.pend:  and eax, 1
        CHK32 eax, 1, "irr_irq0_pending_with_if0"
        CHK32 [T+4], 0, "irq_not_delivered_with_if0"
        xor ebx, ebx
        sti
        inc ebx                         ; runs before the interrupt
.after: nop
        nop
        cli
        CHK32 [T+4], 1, "irq_delivered_once_after_sti"
        CHK32 [T], 1, "sti_shadow_next_insn_ran"
        CHK32 [T+8], .after-$$, "sti_shadow_irq_at_following_boundary"
        mov eax, [T+12]
        and eax, 1
        CHK32 eax, 1, "isr_irq0_in_service_in_handler"
        mov eax, [T+16]
        and eax, IFL
        CHK32 eax, 0, "irq_interrupt_gate_clears_if"
        mov eax, [T+20]
        and eax, IFL
        CHK32 eax, IFL, "irq_frame_eflags_if_set"
        CHK16 [T+24], SEL_CODE32, "irq_frame_cs"
        mov al, 0x0B                    ; OCW3: read ISR
        out 0x20, al
        in al, 0x20
        and eax, 1
        CHK32 eax, 0, "isr_clear_after_eoi"

; ------------------------------------------------------------ HLT, mask, trap gate
        IRQ0MASK 0
        sti
        hlt
.hlt:   cli
        CHK32 [T+4], 2, "hlt_woken_by_irq"
        CHK32 [T+8], .hlt-$$, "hlt_irq_frame_eip_after_hlt"
        ; masked: nothing arrives however long we wait with IF=1
        IRQ0MASK 1
        sti
        mov ecx, 200000
.w2:    dec ecx
        jnz .w2
        cli
        CHK32 [T+4], 2, "masked_irq_not_delivered"
        SETIDT 0x20, SEL_CODE32, irq0, 0x8F
        IRQ0MASK 0
        sti
        hlt
        cli
        CHK32 [T+4], 3, "trap_gate_irq_delivered"
        mov eax, [T+16]
        and eax, IFL
        CHK32 eax, IFL, "irq_trap_gate_keeps_if"
        SETIDT 0x20, SEL_CODE32, irq0, 0x8E

; ------------------------------------------------------------ ring 3
        IRQ0MASK 0
        TRY
        RING3 IFL | 2
        mov ecx, WAITN
.w3:    cmp dword [T+4], 3
        jne .got3
        dec ecx
        jnz .w3
.got3:  RING0
        NOFAULT "irq_at_ring3"
        cli
        CHK32 [T+4], 4, "irq_at_ring3_delivered"
        CHK16 [T+24], SEL_CODE32_R3, "irq_at_ring3_frame_cs"
        CHK16 [T+32], SEL_DATA_R3, "irq_at_ring3_frame_ss"
        CHK16 [T+36], SEL_CODE32, "irq_at_ring3_handler_cs"
        mov al, 0xFF
        out 0x21, al
        PM_FINISH

; irq0: records EBX (T), count (T+4), the frame EIP/EFLAGS/CS/ESP/SS
; (T+8, T+20, T+24, T+28, T+32), ISR (T+12), EFLAGS inside (T+16), CS
; (T+36); masks IRQ0, EOI
irq0:   push eax
        push ds
        mov ax, SEL_DATA
        mov ds, ax
        mov [T], ebx
        inc dword [T+4]
        mov eax, [esp+8]
        mov [T+8], eax
        mov eax, [esp+12]
        mov [T+24], eax
        mov eax, [esp+16]
        mov [T+20], eax
        test byte [esp+12], 3
        jz .same
        mov eax, [esp+20]
        mov [T+28], eax
        mov eax, [esp+24]
        mov [T+32], eax
.same:  mov [T+36], cs
        pushfd
        pop eax
        mov [T+16], eax
        mov al, 0x0B
        out 0x20, al
        in al, 0x20
        mov [T+12], al
        mov al, 0xFF                    ; mask IRQ0 before the EOI
        out 0x21, al
        mov al, 0x20
        out 0x20, al
        pop ds
        pop eax
        iretd

        PM_ROM_END
