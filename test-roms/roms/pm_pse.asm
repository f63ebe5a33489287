; pm_pse.asm - 4 MiB pages (CR4.PSE) mixed with the 4 KiB page table of
; the first 4 MiB: a 4 MiB page at 2 GiB aliasing physical 4 MiB, #PF
; error codes and CR2 for 4 MiB pages (user read of a supervisor page,
; user write to a read-only page, CR0.WP for supervisor writes, a
; not-present PS entry for reads and user writes), a faulting write
; leaving D clear, a dword crossing from a 4 KiB page into a 4 MiB page
; and from a 4 MiB page into a not-present one (CR2 = the second page),
; D never set in a PDE that points to a page table, INVLPG of any address
; in a 4 MiB page and the CR4.PGE toggle flushing a global 4 MiB page, and
; the CR3 PWT/PCD bits read back.  Expected values from the Intel SDM vol. 3
; 4.3 (32-bit paging), 4.6 (access rights), 4.7 (#PF error code), 4.8
; (A/D bits) and 4.10.4 (TLB invalidation).
;
; qemu-args: -cpu pentium2
%include "pm.inc"

PDE     equ PD_BASE
PDE1    equ PDE+1*4             ; 400000h: 4 MiB, P RW U -> phys 400000h
PDE2    equ PDE+2*4             ; 800000h: 4 MiB, P U read-only -> 800000h
PDE3    equ PDE+3*4             ; C00000h: 4 MiB, P RW supervisor -> 400000h
PDE4    equ PDE+4*4             ; 1000000h: PS, not present
PDEH    equ PDE+0x200*4         ; 80000000h: 4 MiB, P RW -> 400000h
PS      equ 0x80
G       equ 0x100

%macro RESET_PDES 0
        mov dword [PDE1], 0x00400000 | PS | 7
        mov dword [PDE2], 0x00800000 | PS | 5
        mov dword [PDE3], 0x00400000 | PS | 3
        mov dword [PDE4], 0x00800000 | PS | 6
        mov dword [PDEH], 0x00400000 | PS | 3
        mov eax, cr3
        mov cr3, eax
%endmacro

        INIT
        PM_INIT
        call build_identity_paging
        mov eax, cr4
        or eax, 0x10                    ; PSE
        mov cr4, eax
        call enable_paging
        RESET_PDES

; ------------------------------------------------------------ mappings
        mov dword [0x400100], 0x4A4A4A4A
        CHK32 [0x80000100], 0x4A4A4A4A, "pse_2g_alias_of_4m"
        CHK32 [0xC00100], 0x4A4A4A4A, "pse_c00000_alias_of_4m"
        mov dword [0x80000104], 0x5B5B5B5B
        CHK32 [0x400104], 0x5B5B5B5B, "pse_write_through_2g_alias"
        mov eax, [PDEH]
        and eax, 0x60
        CHK32 eax, 0x60, "pse_2g_pde_accessed_dirty"
        ; a dword across 3FFFFFh/400000h (4 KiB page, then 4 MiB page)
        mov dword [0x3FFFFE], 0x11223344
        CHK16 [0x80000000], 0x1122, "cross_4k_to_4m_high_half"
        CHK16 [0x3FFFFE], 0x3344, "cross_4k_to_4m_low_half"
        mov eax, [PT0_BASE+0x3FF*4]
        and eax, 0x60
        CHK32 eax, 0x60, "cross_4k_pte_accessed_dirty"
        mov eax, [PDE]
        and eax, 0x40
        CHK32 eax, 0, "pde_to_page_table_dirty_never_set"

; ------------------------------------------------------------ #PF on 4 MiB pages
        TRY
        RING3
.us:    mov eax, [0xC00100]
        RING0
        CATCH 14, 5, "pse_user_read_supervisor"
        CHK32 [EXC_CR2], 0xC00100, "pse_user_read_supervisor_cr2"
        CHK32 [EXC_EIP], .us-$$, "pse_user_read_supervisor_eip"
        TRY
        RING3
        mov dword [0x800200], 1
        RING0
        CATCH 14, 7, "pse_user_write_read_only"
        CHK32 [EXC_CR2], 0x800200, "pse_user_write_read_only_cr2"
        mov eax, [PDE2]
        and eax, 0x40
        CHK32 eax, 0, "pse_faulting_write_no_dirty"
        TRY
        RING3
        mov eax, [0x800200]
        RING0
        NOFAULT "pse_user_read_read_only"
        TRY
        mov dword [0x800300], 0x77
        NOFAULT "pse_wp0_supervisor_write_read_only"
        mov eax, cr0
        or eax, 0x10000                 ; WP
        mov cr0, eax
        TRY
        mov dword [0x800304], 0x77
        CATCH 14, 3, "pse_wp1_supervisor_write_read_only"
        CHK32 [EXC_CR2], 0x800304, "pse_wp1_supervisor_write_cr2"
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        TRY
        mov eax, [0x1000010]
        CATCH 14, 0, "pse_not_present_read"
        CHK32 [EXC_CR2], 0x1000010, "pse_not_present_read_cr2"
        TRY
        RING3
        mov dword [0x1000020], 1
        RING0
        CATCH 14, 6, "pse_not_present_user_write"
        TRY
        mov eax, [0xFFFFFE]             ; C00000h page, then 1000000h
        CATCH 14, 0, "cross_4m_to_not_present"
        CHK32 [EXC_CR2], 0x1000000, "cross_4m_to_not_present_cr2"
        TRY
        RING3
        mov dword [0x400400], 0x99
        RING0
        NOFAULT "pse_user_write_rw_page"
        mov eax, [PDE1]
        and eax, 0x60
        CHK32 eax, 0x60, "pse_user_write_sets_pde_dirty"

; ------------------------------------------------------------ TLB
        mov dword [0x800100], 0x8C8C8C8C
        mov eax, [0x80000100]           ; cache the old translation
        mov dword [PDEH], 0x00800000 | PS | 3
        invlpg [0x803FF000]             ; any address in the 4 MiB page
        CHK32 [0x80000100], 0x8C8C8C8C, "invlpg_anywhere_flushes_4m_page"
        mov eax, cr4
        or eax, 0x80                    ; PGE
        mov cr4, eax
        mov dword [PDEH], 0x00400000 | PS | G | 3
        invlpg [0x80000000]
        mov eax, [0x80000100]
        CHK32 eax, 0x4A4A4A4A, "global_4m_page_read"
        mov dword [PDEH], 0x00800000 | PS | G | 3
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        or eax, 0x80
        mov cr4, eax
        CHK32 [0x80000100], 0x8C8C8C8C, "pge_toggle_flushes_global_4m"
        mov eax, [PDEH]
        and eax, G
        CHK32 eax, G, "global_pde_g_kept"
        mov eax, PD_BASE | 0x18         ; PWT, PCD
        mov cr3, eax
        mov eax, cr3
        CHK32 eax, PD_BASE | 0x18, "cr3_pwt_pcd_read_back"
        mov eax, PD_BASE
        mov cr3, eax
        call disable_paging

        PM_FINISH
        PM_ROM_END
