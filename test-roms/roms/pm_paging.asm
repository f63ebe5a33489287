; pm_paging.asm - 32-bit paging: identity map with 4 KiB pages, accessed and
; dirty bits set by the processor (PTE and PDE, reads, writes, fetches),
; 4 MiB pages (CR4.PSE) with their A/D bits, PDE.PS ignored with CR4.PSE=0,
; #PF error codes (P, W/R, U/S) and CR2 for not-present reads/writes/fetches
; at the PTE and PDE level, CR0.WP (supervisor writes to read-only pages
; allowed with WP=0, #PF with WP=1), user accesses to supervisor pages and
; read-only pages from ring 3 with the U/S and R/W of PDE and PTE combined,
; faults leaving ESP and REP MOVS registers at the faulting point, INVLPG
; making a changed PTE visible, a CR3 reload flushing non-global entries,
; global pages (CR4.PGE) flushed by INVLPG, by toggling CR4.PGE and by
; clearing CR0.PG, two linear pages aliasing one physical page, and
; self-modifying code written through an alias and then jumped to.
;
; Only guaranteed TLB behaviour is tested: after a PTE change the old
; translation is never read again without an invalidation the SDM defines
; (vol. 3 4.10.4), since the TLB may or may not still hold it.
;
; qemu-args: -cpu pentium2
%include "pm.inc"

S_FLAT  equ 0x48        ; flat 32-bit code DPL0 (base 0, 4 GiB)

PT3_BASE equ 0xC00000   ; page table for linear C00000h (PS-bit test)
PT4_BASE equ 0x13000    ; page table for linear 1000000h (PDE permissions)

%define PTE(lin) (PT0_BASE + ((lin) >> 12) * 4)
%define PDE(lin) (PD_BASE + ((lin) >> 22) * 4)

; linear test pages (inside the first 4 MiB, remapped) and their frames
LA      equ 0x200000    ; A/D test page -> 20000h
LA2     equ 0x201000    ; -> 21000h
PF_NP   equ 0x300000    ; not present
PF_RO   equ 0x301000    ; user, read-only -> 22000h
PF_SUP  equ 0x302000    ; supervisor, r/w -> 22000h
PF_SRO  equ 0x303000    ; supervisor, read-only -> 22000h
MV_DST  equ 0x304000    ; present -> 23000h, followed by MV_NP (not present)
MV_NP   equ 0x305000
LT      equ 0x306000    ; TLB test page -> 24000h or 25000h
AL1     equ 0x307000    ; aliases of 26000h
AL2     equ 0x308000
SMC1    equ 0x309000    ; code alias of 27000h
SMC2    equ 0x30A000    ; data alias of 27000h

%macro SETPTE 2         ; linear, value (and INVLPG)
        mov dword [PTE(%1)], %2
        invlpg [%1]
%endmacro

%macro FLUSH_CR3 0
        push eax
        mov eax, cr3
        mov cr3, eax
        pop eax
%endmacro

%macro SET_WP 1
        push eax
        mov eax, cr0
  %if %1
        or eax, 0x10000
  %else
        and eax, ~0x10000
  %endif
        mov cr0, eax
        pop eax
%endmacro

        INIT
        PM_INIT
        SETDESC S_FLAT, 0, 0xFFFFF, 0xC09B
        mov eax, 1
        cpuid
        mov eax, edx
        and eax, 1 << 3
        CHK32 eax, 1 << 3, "cpuid_pse"
        and edx, 1 << 13
        CHK32 edx, 1 << 13, "cpuid_pge"
        call build_identity_paging
        call enable_paging

        mov eax, cr0
        and eax, 0x80000001
        CHK32 eax, 0x80000001, "cr0_pg_pe"
        mov eax, cr3
        CHK32 eax, PD_BASE, "cr3_value"
        mov dword [0x20000], 0x600DCAFE
        CHK32 [0x20000], 0x600DCAFE, "identity_map_rw"

; ------------------------------------------------------------ accessed / dirty bits
        SETPTE LA, 0x20000|7                    ; A=0, D=0
        mov eax, [LA]
        CHK32 eax, 0x600DCAFE, "remapped_page_read"
        mov eax, [PTE(LA)]
        and eax, 0x60
        CHK32 eax, 0x20, "pte_accessed_after_read"
        mov eax, [LA+4]
        mov dword [LA+8], 1
        mov eax, [PTE(LA)]
        and eax, 0x60
        CHK32 eax, 0x60, "pte_dirty_after_write"
        CHK32 [0x20008], 1, "remapped_page_write"
        SETPTE LA2, 0x21000|7
        mov dword [LA2], 0x21212121
        mov eax, [PTE(LA2)]
        and eax, 0x60
        CHK32 eax, 0x60, "pte_accessed_dirty_after_first_write"
        mov eax, [PTE(LA2)]
        and eax, 0xFFFFF000
        CHK32 eax, 0x21000, "pte_frame_unchanged_by_ad_update"
        ; the PDE's accessed bit (PDE4 -> PT4, flushed by a CR3 reload)
        mov edi, PT4_BASE
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov dword [PT4_BASE], 0x22000|7
        mov dword [PDE(0x1000000)], PT4_BASE|7
        FLUSH_CR3
        mov eax, [0x1000000]
        mov eax, [PDE(0x1000000)]
        and eax, 0x20
        CHK32 eax, 0x20, "pde_accessed_after_read"
        mov eax, [PT4_BASE]
        and eax, 0x60
        CHK32 eax, 0x20, "pt4_pte_accessed"

; ------------------------------------------------------------ 4 MiB pages
        mov eax, cr4
        or eax, 0x10                            ; PSE
        mov cr4, eax
        mov eax, cr4
        and eax, 0x10
        CHK32 eax, 0x10, "cr4_pse_set"
        mov dword [PDE(0x400000)], 0x800000|0x87        ; 4M -> phys 8M
        mov dword [PDE(0x800000)], 0x800000|0x87        ; 8M identity
        FLUSH_CR3
        mov dword [0x400010], 0xABCDEF01
        CHK32 [0x800010], 0xABCDEF01, "pse_4m_page_write_through_alias"
        mov dword [0x7FFFF0], 0x0E0D0E0D
        CHK32 [0xBFFFF0], 0x0E0D0E0D, "pse_4m_page_top_offset"
        mov eax, [PDE(0x400000)]
        and eax, 0x60
        CHK32 eax, 0x60, "pse_pde_accessed_dirty_after_write"
        mov dword [PDE(0x800000)], 0x800000|0x87        ; clear A/D again
        invlpg [0x800000]
        mov eax, [0x800020]
        mov eax, [PDE(0x800000)]
        and eax, 0x60
        CHK32 eax, 0x20, "pse_pde_accessed_after_read"
        mov dword [0x800020], 1
        mov eax, [PDE(0x800000)]
        and eax, 0x60
        CHK32 eax, 0x60, "pse_pde_dirty_after_write"
        ; PS is ignored while CR4.PSE = 0: the PDE then points to a page
        ; table.  The PDE for C00000h holds C00000h|PS: with PSE=1 a 4 MiB
        ; identity page, with PSE=0 the page table at physical C00000h.
        ; (Its address is 4 MiB aligned: in a 4 MiB PDE, bits 12-21 are PAT,
        ; PSE-36 address bits or reserved.)
        mov dword [PDE(0xC00000)], PT3_BASE|0x87        ; PS=1
        FLUSH_CR3
        mov edi, PT3_BASE                       ; linear = physical here
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov dword [PT3_BASE+0x20*4], 0x21000|7
        mov dword [0xC20000], 0xC2C2C2C2
        mov dword [0x21000], 0x21212121
        mov eax, [0xC20000]
        CHK32 eax, 0xC2C2C2C2, "pse1_pde_ps_maps_4m"
        mov eax, cr4
        and eax, ~0x10
        mov cr4, eax
        FLUSH_CR3
        mov eax, [0xC20000]                     ; PT3[20h] -> 21000h
        CHK32 eax, 0x21212121, "pse0_pde_ps_ignored"
        mov dword [PDE(0xC00000)], 0
        mov eax, cr4
        or eax, 0x10
        mov cr4, eax
        FLUSH_CR3

; ------------------------------------------------------------ #PF error codes and CR2
        SETPTE PF_NP, 0x22000|6                 ; P=0
        SETPTE PF_RO, 0x22000|5                 ; user, read-only
        SETPTE PF_SUP, 0x22000|3                ; supervisor, r/w
        SETPTE PF_SRO, 0x22000|1                ; supervisor, read-only
        TRY
.r:     mov eax, [PF_NP+0x10]
        CATCH 14, 0, "pf_not_present_read"
        CHK32 [EXC_CR2], PF_NP+0x10, "pf_not_present_read_cr2"
        CHK32 [EXC_EIP], .r-$$, "pf_not_present_read_eip"
        TRY
        mov dword [PF_NP+0x20], 0x12345678
        CATCH 14, 2, "pf_not_present_write"
        CHK32 [EXC_CR2], PF_NP+0x20, "pf_not_present_write_cr2"
        TRY
        mov eax, [PF_NP+0xFFE]                  ; crosses into PF_RO
        CATCH 14, 0, "pf_not_present_split_read"
        CHK32 [EXC_CR2], PF_NP+0xFFE, "pf_not_present_split_read_cr2"
        TRY
        mov eax, [PF_SUP-2]                     ; PF_RO and PF_SUP: present
        NOFAULT "split_read_present_pages"
        TRY
        mov eax, [0x1400123]                    ; PDE not present
        CATCH 14, 0, "pf_pde_not_present_read"
        CHK32 [EXC_CR2], 0x1400123, "pf_pde_not_present_read_cr2"
        TRY
        mov byte [0x1400FFF], 1
        CATCH 14, 2, "pf_pde_not_present_write"
        CHK32 [EXC_CR2], 0x1400FFF, "pf_pde_not_present_write_cr2"
        TRY
.j:     jmp S_FLAT:PF_NP+0x100
        CATCH 14, 0, "pf_fetch_not_present"
        CHK32 [EXC_CR2], PF_NP+0x100, "pf_fetch_not_present_cr2"
        CHK32 [EXC_EIP], PF_NP+0x100, "pf_fetch_not_present_eip"
        CHK16 [EXC_CS], S_FLAT, "pf_fetch_not_present_cs"
        ; CR0.WP
        mov dword [0x22000], 0
        TRY
        mov dword [PF_RO], 0x5555
        mov dword [PF_SRO+4], 0x6666
        NOFAULT "wp0_supervisor_write_read_only"
        CHK32 [0x22000], 0x5555, "wp0_write_user_ro_lands"
        CHK32 [0x22004], 0x6666, "wp0_write_supervisor_ro_lands"
        SET_WP 1
        TRY
.w1:    mov dword [PF_RO], 0x7777
        CATCH 14, 3, "wp1_supervisor_write_user_ro"
        CHK32 [EXC_CR2], PF_RO, "wp1_supervisor_write_user_ro_cr2"
        CHK32 [EXC_EIP], .w1-$$, "wp1_supervisor_write_user_ro_eip"
        CHK32 [0x22000], 0x5555, "wp1_write_did_not_land"
        TRY
        mov dword [PF_SRO+8], 0x7777
        CATCH 14, 3, "wp1_supervisor_write_supervisor_ro"
        TRY
        mov eax, [PF_RO]
        mov dword [PF_SUP], 0x5555
        NOFAULT "wp1_supervisor_read_ro_write_rw"
        SET_WP 0
        ; ring 3
        TRY
        RING3
.u1:    mov eax, [PF_SUP]
        RING0
        CATCH 14, 5, "pf_user_read_supervisor"
        CHK32 [EXC_CR2], PF_SUP, "pf_user_read_supervisor_cr2"
        CHK32 [EXC_EIP], .u1-$$, "pf_user_read_supervisor_eip"
        CHK16 [EXC_CS], SEL_CODE32_R3, "pf_user_read_supervisor_cs"
        TRY
        RING3
        mov dword [PF_SUP+0x40], 1
        RING0
        CATCH 14, 7, "pf_user_write_supervisor"
        CHK32 [EXC_CR2], PF_SUP+0x40, "pf_user_write_supervisor_cr2"
        TRY
        RING3
        mov dword [PF_RO+0x44], 1
        RING0
        CATCH 14, 7, "pf_user_write_read_only"
        TRY
        RING3
        mov eax, [PF_RO+0x44]
        RING0
        NOFAULT "user_read_read_only"
        TRY
        RING3
        mov eax, [PF_NP+0x48]
        RING0
        CATCH 14, 4, "pf_user_read_not_present"
        TRY
        RING3
        mov dword [PF_NP+0x4C], 1
        RING0
        CATCH 14, 6, "pf_user_write_not_present"
        ; user/supervisor and read/write combine PDE and PTE
        mov dword [PDE(0x1000000)], PT4_BASE|3  ; PDE supervisor, PTE user
        FLUSH_CR3
        TRY
        RING3
        mov eax, [0x1000000]
        RING0
        CATCH 14, 5, "pf_user_read_pde_supervisor"
        mov dword [PDE(0x1000000)], PT4_BASE|5  ; PDE read-only, PTE r/w
        FLUSH_CR3
        TRY
        RING3
        mov eax, [0x1000000]
        RING0
        NOFAULT "user_read_pde_read_only"
        TRY
        RING3
        mov dword [0x1000004], 1
        RING0
        CATCH 14, 7, "pf_user_write_pde_read_only"
        TRY
        mov dword [0x1000008], 1
        NOFAULT "wp0_supervisor_write_pde_read_only"
        SET_WP 1
        TRY
        mov dword [0x100000C], 1
        CATCH 14, 3, "wp1_supervisor_write_pde_read_only"
        SET_WP 0
        ; a faulting push leaves ESP unchanged (ring 3: the frame goes to ring 0)
        TRY
        RING3
        mov esp, PF_NP+0x1000
.p:     push eax
        RING0
        CATCH 14, 6, "pf_user_push_not_present"
        CHK32 [EXC_CR2], PF_NP+0xFFC, "pf_user_push_cr2"
        CHK32 [EXC_ESP], PF_NP+0x1000, "pf_user_push_esp_unchanged"
        CHK32 [EXC_EIP], .p-$$, "pf_user_push_eip"
        ; REP MOVSB into a not-present page: registers at the faulting byte
        SETPTE MV_DST, 0x23000|7
        SETPTE MV_NP, 0
        mov dword [0x20000], 0x44332211
        mov dword [0x20004], 0x88776655
        mov dword [0x23FF8], 0
        mov dword [0x23FFC], 0
        TRY
        mov esi, 0x20000
        mov edi, MV_NP-8
        mov ecx, 16
.mv:    rep movsb
        CATCH 14, 2, "pf_rep_movsb"
        CHK32 [EXC_CR2], MV_NP, "pf_rep_movsb_cr2"
        CHK32 [EXC_EIP], .mv-$$, "pf_rep_movsb_eip"
        CHK32 [EXC_ECX], 8, "pf_rep_movsb_ecx"
        CHK32 [EXC_ESI], 0x20008, "pf_rep_movsb_esi"
        CHK32 [EXC_EDI], MV_NP, "pf_rep_movsb_edi"
        CHK32 [0x23FF8], 0x44332211, "pf_rep_movsb_copied_1"
        CHK32 [0x23FFC], 0x88776655, "pf_rep_movsb_copied_2"
        ; INVLPG of unmapped addresses does not fault
        TRY
        invlpg [PF_NP]
        invlpg [0x1400000]
        invlpg [0xFFFFF000]
        NOFAULT "invlpg_unmapped"

; ------------------------------------------------------------ TLB invalidation
        mov dword [0x24000], 0xAAAA0001
        mov dword [0x25000], 0xBBBB0002
        SETPTE LT, 0x24000|7
        mov eax, [LT]
        CHK32 eax, 0xAAAA0001, "tlb_first_mapping"
        mov dword [PTE(LT)], 0x25000|7
        invlpg [LT]
        mov eax, [LT]
        CHK32 eax, 0xBBBB0002, "invlpg_makes_new_pte_visible"
        mov dword [PTE(LT)], 0x24000|7
        FLUSH_CR3
        mov eax, [LT]
        CHK32 eax, 0xAAAA0001, "cr3_reload_flushes_nonglobal"
        mov dword [PTE(LT)], 0x25000|6          ; not present
        FLUSH_CR3
        TRY
        mov eax, [LT]
        CATCH 14, 0, "cr3_reload_then_not_present"
        ; global pages
        mov eax, cr4
        or eax, 0x80                            ; PGE
        mov cr4, eax
        mov eax, cr4
        and eax, 0x90
        CHK32 eax, 0x90, "cr4_pge_pse_set"
        SETPTE LT, 0x25000|0x107                ; G
        mov eax, [LT]
        CHK32 eax, 0xBBBB0002, "global_page_read"
        mov dword [PTE(LT)], 0x24000|0x107
        invlpg [LT]
        mov eax, [LT]
        CHK32 eax, 0xAAAA0001, "invlpg_flushes_global"
        mov dword [PTE(LT)], 0x25000|0x107
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        or eax, 0x80
        mov cr4, eax
        mov eax, [LT]
        CHK32 eax, 0xBBBB0002, "cr4_pge_toggle_flushes_global"
        mov dword [PTE(LT)], 0x24000|0x107
        call disable_paging
        call enable_paging
        mov eax, [LT]
        CHK32 eax, 0xAAAA0001, "cr0_pg_toggle_flushes_global"
        mov eax, [PTE(LT)]
        and eax, 0x160
        CHK32 eax, 0x120, "global_pte_g_kept_accessed_set"

; ------------------------------------------------------------ aliasing
        SETPTE AL1, 0x26000|7
        SETPTE AL2, 0x26000|7
        mov dword [AL1+0x10], 0x12345678
        CHK32 [AL2+0x10], 0x12345678, "alias_write_1_read_2"
        mov byte [AL2+0x11], 0xAB
        CHK32 [AL1+0x10], 0x1234AB78, "alias_write_2_read_1"
        CHK32 [0x26010], 0x1234AB78, "alias_physical"
        mov eax, [PTE(AL2)]
        and eax, 0x60
        CHK32 eax, 0x60, "alias_each_pte_dirty"

; ------------------------------------------------------------ self-modifying code through an alias
        SETPTE SMC1, 0x27000|7
        SETPTE SMC2, 0x27000|7
        mov byte [SMC2], 0xB8                   ; mov eax, imm32
        mov dword [SMC2+1], 0x11111111
        mov byte [SMC2+5], 0xCB                 ; retf
        and dword [PTE(SMC1)], ~0x60
        invlpg [SMC1]
        xor eax, eax
        call S_FLAT:SMC1
        CHK32 eax, 0x11111111, "smc_first_run"
        mov eax, [PTE(SMC1)]
        and eax, 0x60
        CHK32 eax, 0x20, "pte_accessed_by_fetch_only"
        mov dword [SMC2+1], 0x22222222          ; through the data alias
        xor eax, eax
        call S_FLAT:SMC1
        CHK32 eax, 0x22222222, "smc_write_through_alias"
        mov dword [SMC1+1], 0x33333333          ; through the code's address
        xor eax, eax
        call S_FLAT:SMC1
        CHK32 eax, 0x33333333, "smc_write_same_linear"
        mov dword [0x27001], 0x44444444         ; through the identity map
        xor eax, eax
        call S_FLAT:SMC1
        CHK32 eax, 0x44444444, "smc_write_physical_identity"

        call disable_paging
        mov eax, cr0
        and eax, 0x80000000
        CHK32 eax, 0, "paging_disabled"
        mov eax, [0x27001]
        CHK32 eax, 0x44444444, "unpaged_read"
        PM_FINISH
        PM_ROM_END
