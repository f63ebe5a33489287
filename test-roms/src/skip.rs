//! Where the recorded CPUs (an 8086 and a 286) architecturally differ from
//! the 386/486-class processor oxbox models, as a table: every entry says
//! which tests it covers and why. docs/conformance.md lists the same rules.
//!
//! Nothing here may exist because oxbox gets a test wrong that a 386 would
//! get right: every rule names a documented difference between processor
//! generations, or a form the suite itself marks undefined.

use crate::model::{Test, CX};

/// Which recording a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// SingleStepTests/8086 (Intel P80C86A-2).
    I8086,
    /// SingleStepTests/80286 real mode (Harris N80C286-12).
    I286,
}

impl Set {
    pub fn name(self) -> &'static str {
        match self {
            Set::I8086 => "8086",
            Set::I286 => "80286",
        }
    }
}

/// Which tests of a file a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Every test in the file.
    Always,
    /// The ModR/M reg field is one of these.
    ModrmReg(&'static [u8]),
    /// The metadata gives the test's form this status.
    Status(&'static str),
    /// The initial CL is 32 or more (a 186+ masks shift counts to 5 bits).
    ClAbove31,
    /// A REP/REPNE prefix precedes the opcode.
    RepPrefix,
    /// AAA whose adjustment carries out of AL (AL >= 0xFA with the adjust).
    AaaCarry,
    /// AAS whose adjustment borrows out of AL (AL < 6 with the adjust).
    AasBorrow,
    /// A LOCK prefix on an instruction a 386 does not lock.
    LockNotLockable,
    /// The ModR/M byte is exactly this.
    Modrm(u8),
    /// DAA with AF set, CF clear and AL in 9Ah-9Fh.
    DaaHighWithAf,
    /// DAS with AF set, CF clear and AL below 6 or in 9Ah-9Fh.
    DasWithAf,
    /// The instruction (without the 286 set's trailing HLT) is longer than
    /// 10 bytes.
    LongerThan10,
    /// The recorded CPU took this exception or interrupt (the 286 `EXCP`
    /// chunk; for the 8086, the interrupt-table read in the bus trace).
    Recorded(u8),
}

pub struct Rule {
    pub set: Set,
    /// Test-file stem (`54`, `F6.7`); a bare opcode (`D2`) also covers its
    /// `D2.0`-`D2.7` files; `*` is every file of the set.
    pub file: &'static str,
    pub when: When,
    pub reason: &'static str,
}

const ALIAS_JCC: &str =
    "8086 decodes 60-6F as aliases of Jcc 70-7F; a 186+ has other instructions there";
const ALIAS_RET: &str = "8086 decodes C0/C1 as RETN imm16/RETN; a 186+ has the shift-by-imm8 group";
const ALIAS_RETF: &str = "8086 decodes C8/C9 as RETF imm16/RETF; a 186+ has ENTER/LEAVE";

const LOCK: &str = "LOCK on an instruction that is not a locked read-modify-write of memory: accepted by the 8086/286, #UD on a 386+";

pub const RULES: &[Rule] = &[
    Rule { set: Set::I8086, file: "*", when: When::Status("undefined"), reason: "the metadata marks the form undefined (the 8086 ignores the reg field; a 286+ raises #UD)" },
    Rule { set: Set::I8086, file: "*", when: When::Status("fpu"), reason: "ESC with no 8087 on the test rig; oxbox models a CPU with an x87" },
    Rule { set: Set::I286, file: "*", when: When::Status("fpu"), reason: "ESC with no 287 on the test rig; oxbox models a CPU with an x87" },
    Rule { set: Set::I8086, file: "*", when: When::LockNotLockable, reason: LOCK },
    Rule { set: Set::I286, file: "*", when: When::LockNotLockable, reason: LOCK },
    Rule { set: Set::I286, file: "*", when: When::LongerThan10, reason: "instruction longer than 10 bytes (prefixes): #GP on a 286, allowed up to 15 bytes on a 386+" },
    Rule { set: Set::I8086, file: "54", when: When::Always, reason: "PUSH SP: the 8086 pushes the decremented SP, a 286+ the value before the push" },
    Rule { set: Set::I8086, file: "60", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "61", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "62", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "63", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "64", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "65", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "66", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "67", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "68", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "69", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6A", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6B", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6C", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6D", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6E", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "6F", when: When::Always, reason: ALIAS_JCC },
    Rule { set: Set::I8086, file: "C0", when: When::Always, reason: ALIAS_RET },
    Rule { set: Set::I8086, file: "C1", when: When::Always, reason: ALIAS_RET },
    Rule { set: Set::I8086, file: "C8", when: When::Always, reason: ALIAS_RETF },
    Rule { set: Set::I8086, file: "C9", when: When::Always, reason: ALIAS_RETF },
    Rule { set: Set::I8086, file: "8C", when: When::ModrmReg(&[4, 5, 6, 7]), reason: "MOV r/m,Sreg with reg 4-7: the 8086 decodes 2 bits (ES/CS/SS/DS); a 386 has FS/GS and #UD" },
    Rule { set: Set::I8086, file: "8E", when: When::ModrmReg(&[1, 4, 5, 6, 7]), reason: "MOV Sreg,r/m with reg 1 or 4-7: the 8086 loads CS or aliases ES-DS; a 386 raises #UD or loads FS/GS" },
    Rule { set: Set::I8086, file: "D0.6", when: When::Always, reason: "undocumented 8086 SETMO; a 186+ executes /6 as SAL" },
    Rule { set: Set::I8086, file: "D1.6", when: When::Always, reason: "undocumented 8086 SETMO; a 186+ executes /6 as SAL" },
    Rule { set: Set::I8086, file: "D2.6", when: When::Always, reason: "undocumented 8086 SETMOC; a 186+ executes /6 as SAL" },
    Rule { set: Set::I8086, file: "D3.6", when: When::Always, reason: "undocumented 8086 SETMOC; a 186+ executes /6 as SAL" },
    Rule { set: Set::I8086, file: "D2", when: When::ClAbove31, reason: "shift count CL >= 32: the 8086 uses all 8 bits, a 186+ masks the count to 5 bits" },
    Rule { set: Set::I8086, file: "D3", when: When::ClAbove31, reason: "shift count CL >= 32: the 8086 uses all 8 bits, a 186+ masks the count to 5 bits" },
    Rule { set: Set::I8086, file: "FF.6", when: When::Modrm(0xF4), reason: "PUSH SP: the 8086 pushes the decremented SP, a 286+ the value before the push" },
    Rule { set: Set::I8086, file: "27", when: When::DaaHighWithAf, reason: "DAA with AF=1, CF=0, AL=9Ah-9Fh: the 8086 skips the +60h step, a 386 adds it (old AL > 99h)" },
    Rule { set: Set::I8086, file: "2F", when: When::DasWithAf, reason: "DAS with AF=1, CF=0, AL<6 or 9Ah-9Fh: the 8086 leaves CF clear (and skips -60h), a 386 sets CF (borrow, old AL > 99h)" },
    Rule { set: Set::I8086, file: "37", when: When::AaaCarry, reason: "AAA with AL >= FAh: the 8086 adds 6 to AL and 1 to AH, a 286+ adds 106h to AX" },
    Rule { set: Set::I8086, file: "3F", when: When::AasBorrow, reason: "AAS with AL < 6: the 8086 subtracts 6 from AL and 1 from AH, a 286+ subtracts 106h from AX" },
    Rule { set: Set::I8086, file: "F6.7", when: When::RepPrefix, reason: "IDIV with REP: the 8086 microcode negates the quotient, a 286+ ignores the prefix" },
    Rule { set: Set::I8086, file: "F7.7", when: When::RepPrefix, reason: "IDIV with REP: the 8086 microcode negates the quotient, a 286+ ignores the prefix" },
    Rule { set: Set::I8086, file: "FF.7", when: When::Always, reason: "8086 alias of PUSH r/m (FF /6); a 286+ raises #UD" },
];

/// Flags left out of the comparison for some tests, with the reason.
pub struct MaskRule {
    pub set: Set,
    pub file: &'static str,
    pub when: When,
    /// FLAGS bits not compared (in the register and in pushed images).
    pub flags: u16,
    pub reason: &'static str,
}

const AAM0: &str = "AAM 0: the 8086 and 286 update SF/ZF/PF before raising #DE; oxbox, like Bochs and QEMU, faults first (the SDM leaves these flags unspecified); SF/ZF/PF not compared";

pub const MASK_RULES: &[MaskRule] = &[
    MaskRule {
        set: Set::I8086,
        file: "D4",
        when: When::Recorded(0),
        flags: 0x00C4,
        reason: AAM0,
    },
    MaskRule {
        set: Set::I286,
        file: "D4",
        when: When::Recorded(0),
        flags: 0x00C4,
        reason: AAM0,
    },
];

/// Files whose divide errors are compared under [`DE_RETURN_8086`].
pub const DIVIDES: [&str; 5] = ["F6.6", "F6.7", "F7.6", "F7.7", "D4"];

/// The mask rule that applies to this test, if any.
pub fn mask_rule_for(set: Set, stem: &str, test: &Test) -> Option<&'static MaskRule> {
    MASK_RULES
        .iter()
        .find(|r| r.set == set && file_matches(r.file, stem) && applies(r.when, test, None))
}

/// The extra flag bits to leave out for this test, if a mask rule applies.
pub fn extra_flag_mask(set: Set, stem: &str, test: &Test) -> u16 {
    mask_rule_for(set, stem, test).map_or(0, |r| r.flags)
}

/// Dynamic rules the runner applies after running a test (see `runner`).
pub const SEGMENT_WRAP: &str =
    "offset wrap at FFFFh: the 8086 wraps inside the segment, a 286+ raises #GP/#SS (re-run with 4 GiB limits does not fault)";
pub const STRING_GP_286: &str =
    "INSW/OUTSW at offset FFFFh: the 286 steps DI/SI before raising #GP; a 386+ faults with them unchanged";
pub const POP_GP_286: &str = "POP m16 to offset FFFFh: the 286 commits the SP increment before raising #GP; a 386+ leaves SP unchanged";
pub const IDIV_286: &str =
    "IDIV quotient overflow the 286 misses (it stores 80h/8000h); a 386+ raises #DE (oxbox did)";
pub const IDIV_8086: &str =
    "IDIV quotient of -128/-32768: the 8086 raises #DE, a 286+ returns the quotient (oxbox did)";
/// Not skips: conventions under which some tests are compared.
pub const DE_RETURN_8086: &str =
    "8086 divide error: the 8086 pushes the address of the next instruction, a 286+ that of the faulting one; compared with the pushed IP expected to be the instruction's own";
pub const SS_AS_GP_286: &str =
    "stack-segment overrun: the 286 vectors it through int 13, a 386+ through #SS (int 12); compared with vector 12 pointed at the int 13 handler";

/// True when the rule's `file` names this test file stem.
pub fn file_matches(rule_file: &str, stem: &str) -> bool {
    rule_file == "*"
        || rule_file.eq_ignore_ascii_case(stem)
        || (stem.len() > rule_file.len()
            && stem[..rule_file.len()].eq_ignore_ascii_case(rule_file)
            && stem.as_bytes()[rule_file.len()] == b'.')
}

/// Prefixes the 8086 and 286 know.
pub fn is_prefix(b: u8) -> bool {
    matches!(b, 0x26 | 0x2E | 0x36 | 0x3E | 0xF0 | 0xF2 | 0xF3)
}

/// Index of the opcode byte after any prefixes.
pub fn opcode_index(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| !is_prefix(b))
}

/// The ModR/M reg field of the instruction, if it has a ModR/M byte there.
pub fn modrm_reg(bytes: &[u8]) -> Option<u8> {
    let i = opcode_index(bytes)?;
    let m = if bytes[i] == 0x0F {
        bytes.get(i + 2)?
    } else {
        bytes.get(i + 1)?
    };
    Some((m >> 3) & 7)
}

/// The rule that skips this test, if any. `status` is the metadata status of
/// the test's form.
pub fn rule_for(set: Set, stem: &str, test: &Test, status: Option<&str>) -> Option<&'static Rule> {
    RULES
        .iter()
        .filter(|r| r.set == set && file_matches(r.file, stem))
        .find(|r| applies(r.when, test, status))
}

/// A rule that skips the whole file whatever its tests hold.
pub fn file_rule(set: Set, stem: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.set == set && r.file != "*" && r.when == When::Always && file_matches(r.file, stem)
    })
}

fn applies(when: When, t: &Test, status: Option<&str>) -> bool {
    let r = &t.init.regs.v;
    let al = r[0] & 0xFF;
    let af = r[13] & 0x10 != 0;
    match when {
        When::Always => true,
        When::ModrmReg(list) => modrm_reg(&t.bytes).is_some_and(|g| list.contains(&g)),
        When::Status(s) => status == Some(s),
        When::ClAbove31 => r[CX] & 0xFF >= 32,
        When::RepPrefix => t
            .bytes
            .iter()
            .take_while(|&&b| is_prefix(b))
            .any(|&b| b == 0xF2 || b == 0xF3),
        When::AaaCarry => (al & 0xF > 9 || af) && al >= 0xFA,
        When::AasBorrow => (al & 0xF > 9 || af) && al < 6,
        When::Modrm(m) => opcode_index(&t.bytes).and_then(|i| t.bytes.get(i + 1)) == Some(&m),
        When::DaaHighWithAf => af && r[13] & 1 == 0 && (0x9A..=0x9F).contains(&al),
        When::DasWithAf => af && r[13] & 1 == 0 && (al < 6 || (0x9A..=0x9F).contains(&al)),
        When::LongerThan10 => length_286(&t.bytes) > 10,
        When::Recorded(v) => match t.exception {
            Some(e) => e.number == v,
            None => t.ivt_vector() == Some(v),
        },
        When::LockNotLockable => {
            t.bytes
                .iter()
                .take_while(|&&b| is_prefix(b))
                .any(|&b| b == 0xF0)
                && !lockable(&t.bytes)
        }
    }
}

/// The length the 286 decodes for a test's instruction. The 286 files'
/// bytes end with the HLT that follows the instruction; the 286 decodes
/// C6/C7 with any reg field as MOV r/m, imm, which may run past the HLT.
pub fn length_286(bytes: &[u8]) -> usize {
    let plain = bytes.len().saturating_sub(1);
    let Some(i) = opcode_index(bytes) else {
        return plain;
    };
    let (op, Some(&m)) = (bytes[i], bytes.get(i + 1)) else {
        return plain;
    };
    if op != 0xC6 && op != 0xC7 {
        return plain;
    }
    let disp = match (m >> 6, m & 7) {
        (0, 6) | (2, _) => 2,
        (1, _) => 1,
        _ => 0,
    };
    let imm = if op == 0xC6 { 1 } else { 2 };
    plain.max(i + 2 + disp + imm)
}

/// Whether a 386 accepts LOCK on this instruction: the read-modify-write
/// forms with a memory destination (Intel SDM, LOCK).
pub fn lockable(bytes: &[u8]) -> bool {
    let Some(i) = opcode_index(bytes) else {
        return false;
    };
    let op = bytes[i];
    let (modrm, two) = if op == 0x0F {
        (bytes.get(i + 2), bytes.get(i + 1).copied())
    } else {
        (bytes.get(i + 1), None)
    };
    let Some(&m) = modrm else { return false };
    if m >> 6 == 3 {
        return false;
    }
    let reg = (m >> 3) & 7;
    match (op, two) {
        (0x0F, Some(o)) => {
            matches!(o, 0xAB | 0xB3 | 0xBB | 0xB0 | 0xB1 | 0xC0 | 0xC1)
                || (o == 0xBA && reg >= 5)
                || (o == 0xC7 && reg == 1)
        }
        (0x00..=0x3F, _) => op & 7 <= 1 && op & 0x38 != 0x38,
        (0x80..=0x83, _) => reg != 7,
        (0x86 | 0x87, _) => true,
        (0xF6 | 0xF7, _) => reg == 2 || reg == 3,
        (0xFE | 0xFF, _) => reg <= 1,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_matching() {
        assert!(file_matches("D2", "D2.4"));
        assert!(file_matches("D2", "d2"));
        assert!(!file_matches("D2", "D20"));
        assert!(file_matches("F6.7", "F6.7"));
        assert!(!file_matches("F6.7", "F6.6"));
        assert!(file_matches("*", "00"));
    }

    #[test]
    fn modrm_after_prefixes() {
        assert_eq!(modrm_reg(&[0x26, 0x8C, 0xE0]), Some(4));
        assert_eq!(modrm_reg(&[0x0F, 0xA3, 0x08]), Some(1));
        assert_eq!(modrm_reg(&[0x26]), None);
    }

    #[test]
    fn lengths_286() {
        assert_eq!(
            length_286(&[0x2E, 0x3E, 0x26, 0x3E, 0x26, 0xC7, 0xB9, 0xF4]),
            11
        );
        assert_eq!(length_286(&[0x54, 0xF4]), 1);
        assert_eq!(length_286(&[0xC6, 0x06, 0x34, 0x12, 0x56, 0xF4]), 5);
    }

    #[test]
    fn lockable_forms() {
        assert!(lockable(&[0xF0, 0x00, 0x07]));
        assert!(!lockable(&[0xF0, 0x00, 0xC7]));
        assert!(!lockable(&[0xF0, 0x38, 0x07]));
        assert!(!lockable(&[0xF0, 0x54]));
        assert!(lockable(&[0xF0, 0x26, 0xF7, 0x1F]));
        assert!(!lockable(&[0xF0, 0xF7, 0x37]));
        assert!(lockable(&[0xF0, 0x0F, 0xBA, 0x2F, 0x01]));
    }

    #[test]
    fn every_rule_has_a_reason() {
        for r in RULES {
            assert!(!r.reason.is_empty());
        }
    }
}
