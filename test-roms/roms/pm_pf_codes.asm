; pm_pf_codes.asm - #PF error codes for every combination of the U/S and
; R/W bits in the PDE and the PTE (the effective rights are the AND of both
; levels): for each of the 16 combinations a user read (fault -> error
; code 5), a user write (-> 7) and a supervisor write with CR0.WP=1 (-> 3,
; supervisor writes to a read-only translation fault whatever U/S says),
; plus a supervisor write with CR0.WP=0 which never faults; CR2 for each
; fault; the PTE dirty bit set only by a write that completes.  The body is
; generated (one block per case); expected values from the Intel SDM vol. 3
; 4.6 (access rights combined over both levels), 4.7 (error code) and
; 4.8 (accessed and dirty flags).
;
; qemu-args: -cpu pentium2
%include "pm.inc"

PT2     equ 0x12000             ; page table for linear 800000h-BFFFFFh
LIN     equ 0x00800000          ; the page under test -> physical 20000h
PHYS    equ 0x20000
T       equ T_SCRATCH

; SETUP pde_bits, pte_bits: P plus the given R/W (2) and U/S (4) bits
%macro SETUP 2
        mov dword [PD_BASE+2*4], PT2 | 1 | (%1)
        mov dword [PT2], PHYS | 1 | (%2)
        invlpg [LIN]
%endmacro

        INIT
        PM_INIT
        call build_identity_paging
        mov edi, PT2
        xor eax, eax
        mov ecx, 1024
        rep stosd
        call enable_paging

; ---------------------------------------- PDE s_ro, PTE s_ro
        SETUP 0, 0
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_ro_pte_s_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_ro_pte_s_ro_user_read_cr2"
        SETUP 0, 0
        TRY
        RING3
        mov dword [LIN+0x20], 256
        RING0
        CATCH 14, 7, "pde_s_ro_pte_s_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_ro_pte_s_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_ro_pte_s_ro_user_write_no_dirty"
        SETUP 0, 0
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_ro_pte_s_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_ro_pte_s_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 0, 0
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_ro_pte_s_ro_wp0_supervisor_write"

; ---------------------------------------- PDE s_ro, PTE s_rw
        SETUP 0, 2
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_ro_pte_s_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_ro_pte_s_rw_user_read_cr2"
        SETUP 0, 2
        TRY
        RING3
        mov dword [LIN+0x20], 258
        RING0
        CATCH 14, 7, "pde_s_ro_pte_s_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_ro_pte_s_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_ro_pte_s_rw_user_write_no_dirty"
        SETUP 0, 2
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_ro_pte_s_rw_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_ro_pte_s_rw_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 0, 2
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_ro_pte_s_rw_wp0_supervisor_write"

; ---------------------------------------- PDE s_ro, PTE u_ro
        SETUP 0, 4
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_ro_pte_u_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_ro_pte_u_ro_user_read_cr2"
        SETUP 0, 4
        TRY
        RING3
        mov dword [LIN+0x20], 260
        RING0
        CATCH 14, 7, "pde_s_ro_pte_u_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_ro_pte_u_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_ro_pte_u_ro_user_write_no_dirty"
        SETUP 0, 4
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_ro_pte_u_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_ro_pte_u_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 0, 4
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_ro_pte_u_ro_wp0_supervisor_write"

; ---------------------------------------- PDE s_ro, PTE u_rw
        SETUP 0, 6
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_ro_pte_u_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_ro_pte_u_rw_user_read_cr2"
        SETUP 0, 6
        TRY
        RING3
        mov dword [LIN+0x20], 262
        RING0
        CATCH 14, 7, "pde_s_ro_pte_u_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_ro_pte_u_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_ro_pte_u_rw_user_write_no_dirty"
        SETUP 0, 6
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_ro_pte_u_rw_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_ro_pte_u_rw_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 0, 6
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_ro_pte_u_rw_wp0_supervisor_write"

; ---------------------------------------- PDE s_rw, PTE s_ro
        SETUP 2, 0
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_rw_pte_s_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_rw_pte_s_ro_user_read_cr2"
        SETUP 2, 0
        TRY
        RING3
        mov dword [LIN+0x20], 288
        RING0
        CATCH 14, 7, "pde_s_rw_pte_s_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_rw_pte_s_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_rw_pte_s_ro_user_write_no_dirty"
        SETUP 2, 0
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_rw_pte_s_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_rw_pte_s_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 2, 0
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_rw_pte_s_ro_wp0_supervisor_write"

; ---------------------------------------- PDE s_rw, PTE s_rw
        SETUP 2, 2
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_rw_pte_s_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_rw_pte_s_rw_user_read_cr2"
        SETUP 2, 2
        TRY
        RING3
        mov dword [LIN+0x20], 290
        RING0
        CATCH 14, 7, "pde_s_rw_pte_s_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_rw_pte_s_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_rw_pte_s_rw_user_write_no_dirty"
        SETUP 2, 2
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        NOFAULT "pde_s_rw_pte_s_rw_wp1_supervisor_write"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax

; ---------------------------------------- PDE s_rw, PTE u_ro
        SETUP 2, 4
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_rw_pte_u_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_rw_pte_u_ro_user_read_cr2"
        SETUP 2, 4
        TRY
        RING3
        mov dword [LIN+0x20], 292
        RING0
        CATCH 14, 7, "pde_s_rw_pte_u_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_rw_pte_u_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_rw_pte_u_ro_user_write_no_dirty"
        SETUP 2, 4
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_s_rw_pte_u_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_s_rw_pte_u_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 2, 4
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_s_rw_pte_u_ro_wp0_supervisor_write"

; ---------------------------------------- PDE s_rw, PTE u_rw
        SETUP 2, 6
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_s_rw_pte_u_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_s_rw_pte_u_rw_user_read_cr2"
        SETUP 2, 6
        TRY
        RING3
        mov dword [LIN+0x20], 294
        RING0
        CATCH 14, 7, "pde_s_rw_pte_u_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_s_rw_pte_u_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_s_rw_pte_u_rw_user_write_no_dirty"
        SETUP 2, 6
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        NOFAULT "pde_s_rw_pte_u_rw_wp1_supervisor_write"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax

; ---------------------------------------- PDE u_ro, PTE s_ro
        SETUP 4, 0
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_u_ro_pte_s_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_u_ro_pte_s_ro_user_read_cr2"
        SETUP 4, 0
        TRY
        RING3
        mov dword [LIN+0x20], 320
        RING0
        CATCH 14, 7, "pde_u_ro_pte_s_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_ro_pte_s_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_ro_pte_s_ro_user_write_no_dirty"
        SETUP 4, 0
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_ro_pte_s_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_ro_pte_s_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 4, 0
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_ro_pte_s_ro_wp0_supervisor_write"

; ---------------------------------------- PDE u_ro, PTE s_rw
        SETUP 4, 2
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_u_ro_pte_s_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_u_ro_pte_s_rw_user_read_cr2"
        SETUP 4, 2
        TRY
        RING3
        mov dword [LIN+0x20], 322
        RING0
        CATCH 14, 7, "pde_u_ro_pte_s_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_ro_pte_s_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_ro_pte_s_rw_user_write_no_dirty"
        SETUP 4, 2
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_ro_pte_s_rw_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_ro_pte_s_rw_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 4, 2
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_ro_pte_s_rw_wp0_supervisor_write"

; ---------------------------------------- PDE u_ro, PTE u_ro
        SETUP 4, 4
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        NOFAULT "pde_u_ro_pte_u_ro_user_read"
        SETUP 4, 4
        TRY
        RING3
        mov dword [LIN+0x20], 324
        RING0
        CATCH 14, 7, "pde_u_ro_pte_u_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_ro_pte_u_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_ro_pte_u_ro_user_write_no_dirty"
        SETUP 4, 4
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_ro_pte_u_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_ro_pte_u_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 4, 4
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_ro_pte_u_ro_wp0_supervisor_write"

; ---------------------------------------- PDE u_ro, PTE u_rw
        SETUP 4, 6
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        NOFAULT "pde_u_ro_pte_u_rw_user_read"
        SETUP 4, 6
        TRY
        RING3
        mov dword [LIN+0x20], 326
        RING0
        CATCH 14, 7, "pde_u_ro_pte_u_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_ro_pte_u_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_ro_pte_u_rw_user_write_no_dirty"
        SETUP 4, 6
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_ro_pte_u_rw_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_ro_pte_u_rw_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 4, 6
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_ro_pte_u_rw_wp0_supervisor_write"

; ---------------------------------------- PDE u_rw, PTE s_ro
        SETUP 6, 0
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_u_rw_pte_s_ro_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_u_rw_pte_s_ro_user_read_cr2"
        SETUP 6, 0
        TRY
        RING3
        mov dword [LIN+0x20], 352
        RING0
        CATCH 14, 7, "pde_u_rw_pte_s_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_rw_pte_s_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_rw_pte_s_ro_user_write_no_dirty"
        SETUP 6, 0
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_rw_pte_s_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_rw_pte_s_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 6, 0
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_rw_pte_s_ro_wp0_supervisor_write"

; ---------------------------------------- PDE u_rw, PTE s_rw
        SETUP 6, 2
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        CATCH 14, 5, "pde_u_rw_pte_s_rw_user_read"
        CHK32 [EXC_CR2], LIN+0x10, "pde_u_rw_pte_s_rw_user_read_cr2"
        SETUP 6, 2
        TRY
        RING3
        mov dword [LIN+0x20], 354
        RING0
        CATCH 14, 7, "pde_u_rw_pte_s_rw_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_rw_pte_s_rw_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_rw_pte_s_rw_user_write_no_dirty"
        SETUP 6, 2
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        NOFAULT "pde_u_rw_pte_s_rw_wp1_supervisor_write"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax

; ---------------------------------------- PDE u_rw, PTE u_ro
        SETUP 6, 4
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        NOFAULT "pde_u_rw_pte_u_ro_user_read"
        SETUP 6, 4
        TRY
        RING3
        mov dword [LIN+0x20], 356
        RING0
        CATCH 14, 7, "pde_u_rw_pte_u_ro_user_write"
        CHK32 [EXC_CR2], LIN+0x20, "pde_u_rw_pte_u_ro_user_write_cr2"
        mov eax, [PT2]
        and eax, 0x40
        CHK32 eax, 0, "pde_u_rw_pte_u_ro_user_write_no_dirty"
        SETUP 6, 4
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        CATCH 14, 3, "pde_u_rw_pte_u_ro_wp1_supervisor_write"
        CHK32 [EXC_CR2], LIN+0x30, "pde_u_rw_pte_u_ro_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        SETUP 6, 4
        TRY
        mov dword [LIN+0x34], 2
        NOFAULT "pde_u_rw_pte_u_ro_wp0_supervisor_write"

; ---------------------------------------- PDE u_rw, PTE u_rw
        SETUP 6, 6
        TRY
        RING3
        mov eax, [LIN+0x10]
        RING0
        NOFAULT "pde_u_rw_pte_u_rw_user_read"
        SETUP 6, 6
        TRY
        RING3
        mov dword [LIN+0x20], 358
        RING0
        NOFAULT "pde_u_rw_pte_u_rw_user_write"
        CHK32 [PHYS+0x20], 358, "pde_u_rw_pte_u_rw_user_write_landed"
        mov eax, [PT2]
        and eax, 0x60
        CHK32 eax, 0x60, "pde_u_rw_pte_u_rw_user_write_pte_a_d"
        SETUP 6, 6
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        TRY
        mov dword [LIN+0x30], 1
        NOFAULT "pde_u_rw_pte_u_rw_wp1_supervisor_write"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax

        call disable_paging
        PM_FINISH
        PM_ROM_END
