; pm_ts.asm - the checks of a task switch beyond pm_task/pm_exc: through
; a task gate whose selector names a data segment, lies past the GDT limit
; or is a busy TSS (#GP(selector)), a not-present task gate (#NP(gate)),
; a TI=1 selector in the gate (under SDM_EXTRA), INT n through a task gate
; to the busy current task; from
; ring 3: a DPL0 task gate and a DPL0 TSS (#GP), while a DPL3 task gate to a
; DPL0 TSS switches (the TSS DPL is not checked through a gate); and an
; error after the commit point: a new task whose LDT selector names a
; data segment raises #TS(LDT selector) in the context of the new task
; (delivered here through a task gate, so the handler task sees the back
; link to it and the error code on its own stack).  Expected values from the
; Intel SDM vol. 3 7.3 (task switching, Table 7-1) and vol. 2 JMP/CALL/INT.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_TA    equ 0x48        ; TSS A (0x3000), DPL0, limit 67h
S_TGL   equ 0x50        ; task gate -> S_TA|4 (TI=1)
S_TGD   equ 0x58        ; task gate -> SEL_DATA
S_TGF   equ 0x60        ; task gate -> past the GDT
S_TGNP  equ 0x68        ; task gate, not present
S_TG0   equ 0x70        ; task gate DPL0 -> S_TA
S_TG3   equ 0x78        ; task gate DPL3 -> S_TA
S_TGB   equ 0x80        ; task gate -> SEL_TSS (busy: the current task)
S_TH    equ 0x88        ; TSS of the #TS handler task (0x3200)
S_TB    equ 0x90        ; TSS B (0x3300): LDT field = SEL_DATA
TSS_A   equ 0x3000
TSS_H   equ 0x3200
TSS_B   equ 0x3300
T       equ T_SCRATCH

%macro INIT_A 0
        mov edi, TSS_A
        mov eax, task_a
        mov ebx, 0x5000
        call init_tss32
        and byte [GDT_BASE+S_TA+5], ~2
%endmacro

        INIT
        PM_INIT
        INIT_A
        SETDESC S_TA, TSS_A, 0x67, 0x0089
        SETGATE GDT_BASE+S_TGL, S_TA|4, 0, 0x85
        SETGATE GDT_BASE+S_TGD, SEL_DATA, 0, 0x85
        SETGATE GDT_BASE+S_TGF, GDT_SLOTS*8, 0, 0x85
        SETGATE GDT_BASE+S_TGNP, S_TA, 0, 0x05
        SETGATE GDT_BASE+S_TG0, S_TA, 0, 0x85
        SETGATE GDT_BASE+S_TG3, S_TA, 0, 0xE5
        SETGATE GDT_BASE+S_TGB, SEL_TSS, 0, 0x85
        mov edi, TSS_H
        mov eax, task_h
        mov ebx, 0x5400
        call init_tss32
        SETDESC S_TH, TSS_H, 0x67, 0x0089
        mov edi, TSS_B
        mov eax, task_b
        mov ebx, 0x4C00
        call init_tss32
        mov dword [TSS_B+TSS_LDT], SEL_DATA
        SETDESC S_TB, TSS_B, 0x67, 0x0089

; ------------------------------------------------------------ task gate checks
%ifdef SDM_EXTRA
        ; a TI=1 TSS selector in the gate is #GP(selector) (SDM vol. 2 JMP,
        ; CALL); QEMU raises #TS(selector)
        TRY
.tl:    jmp S_TGL:0
        CATCH 13, S_TA|4, "task_gate_ti1_selector"
        CHK32 [EXC_EIP], .tl-$$, "task_gate_ti1_selector_eip"
%endif
        TRY
        jmp S_TGD:0
        CATCH 13, SEL_DATA, "task_gate_to_data_segment"
        TRY
        call S_TGF:0
        CATCH 13, GDT_SLOTS*8, "task_gate_past_gdt"
        TRY
        jmp S_TGNP:0
        CATCH 11, S_TGNP, "task_gate_not_present"
        TRY
        call S_TGB:0
        CATCH 13, SEL_TSS, "task_gate_to_busy_tss"
        str ax
        CHK16 ax, SEL_TSS, "task_gate_busy_tr_unchanged"
        SETIDT 0x50, SEL_TSS, 0, 0x85
        TRY
.i50:   int 0x50
        CATCH 13, SEL_TSS, "int_task_gate_to_busy_tss"
        CHK32 [EXC_EIP], .i50-$$, "int_task_gate_to_busy_tss_eip"
        RESTORE_IDT 0x50
        CHK8 [GDT_BASE+S_TA+5], 0x89, "task_a_still_available"

; ------------------------------------------------------------ from ring 3
        TRY
        RING3
.r0:    jmp S_TG0:0
        RING0
        CATCH 13, S_TG0, "ring3_dpl0_task_gate"
        CHK32 [EXC_EIP], .r0-$$, "ring3_dpl0_task_gate_eip"
        TRY
        RING3
        jmp S_TA:0
        RING0
        CATCH 13, S_TA, "ring3_dpl0_tss"
        mov dword [T], 0
        TRY
        RING3
        jmp (S_TG3|3):0                 ; to task A, which jumps back
        mov ax, cs
        RING0
        NOFAULT "ring3_dpl3_gate_to_dpl0_tss"
        CHK32 [T], 0xA, "ring3_dpl3_gate_task_a_ran"
        CHK16 [T+4], S_TA, "ring3_dpl3_gate_task_a_tr"
        CHK16 ax, SEL_CODE32_R3, "ring3_resumed_after_task_return"
        INIT_A

; ------------------------------------------------------------ after the commit point
        SETIDT 10, S_TH, 0, 0x85
        mov dword [T+0x10], 0
        call S_TB:0
        FAILN "ts_new_task_ldt", "no #TS"
        PM_FINISH

task_a: mov dword [T], 0xA
        str ax
        mov [T+4], ax
        jmp SEL_TSS:0

task_b: mov dword [T+0x10], 0xB         ; must not run
        iretd

; the #TS handler task: runs the remaining checks, then finishes
task_h: pop eax                         ; the error code
        CHK32 [T+0x10], 0, "ts_new_task_ldt_task_b_not_run"
        and eax, 0xFFFC
        CHK32 eax, SEL_DATA, "ts_new_task_ldt_errcode"
        CHK16 [TSS_H+TSS_LINK], S_TB, "ts_handler_back_link_is_new_task"
        CHK8 [GDT_BASE+S_TB+5], 0x8B, "ts_new_task_busy"
        str ax
        CHK16 ax, S_TH, "ts_handler_tr"
        pushfd
        pop eax
        and eax, NTF
        CHK32 eax, NTF, "ts_handler_nt_set"
        CHK16 [TSS_B+TSS_LINK], SEL_TSS, "ts_new_task_back_link_is_caller"
        PM_FINISH

        PM_ROM_END
