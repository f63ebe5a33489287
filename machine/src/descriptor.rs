//! Descriptor tables as a debugger shows them: GDT, LDT and IDT entries
//! (the interrupt vector table in real mode) decoded from guest memory
//! without side effects (no accessed bits set, no faults raised).

use std::fmt;

use crate::{Machine, Unmapped};

/// Which table to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Gdt,
    Ldt,
    /// The IDT in protected mode, the interrupt vector table in real mode.
    Idt,
}

/// What one table slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descriptor {
    /// A real-mode interrupt vector.
    Vector { segment: u16, offset: u16 },
    /// An all-zero slot (the GDT's first entry, or an unused one).
    Null,
    /// A code or data segment.
    Segment {
        base: u32,
        /// The last valid offset, after granularity.
        limit: u32,
        code: bool,
        /// Code: conforming; data: expand-down.
        conforming_or_down: bool,
        /// Code: readable; data: writable.
        readable_or_writable: bool,
        accessed: bool,
        /// D/B: 32-bit code or stack.
        big: bool,
        dpl: u8,
        present: bool,
    },
    /// An LDT or TSS descriptor.
    System {
        kind: &'static str,
        base: u32,
        limit: u32,
        dpl: u8,
        present: bool,
    },
    /// A call, interrupt, trap or task gate.
    Gate {
        kind: &'static str,
        selector: u16,
        offset: u32,
        /// Call gates: dwords/words copied between stacks.
        params: u8,
        dpl: u8,
        present: bool,
    },
    /// A system type the architecture reserves.
    Reserved { type_: u8 },
}

impl Descriptor {
    /// Decodes an 8-byte protected-mode descriptor.
    pub fn decode(raw: u64) -> Descriptor {
        if raw == 0 {
            return Descriptor::Null;
        }
        let lo = raw as u32;
        let hi = (raw >> 32) as u32;
        let access = (hi >> 8) as u8;
        let present = access & 0x80 != 0;
        let dpl = (access >> 5) & 3;
        let type_ = access & 0xF;
        let base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF00_0000);
        let raw_limit = (lo & 0xFFFF) | (hi & 0xF_0000);
        let limit = if hi & (1 << 23) != 0 {
            (raw_limit << 12) | 0xFFF
        } else {
            raw_limit
        };
        if access & 0x10 != 0 {
            return Descriptor::Segment {
                base,
                limit,
                code: type_ & 8 != 0,
                conforming_or_down: type_ & 4 != 0,
                readable_or_writable: type_ & 2 != 0,
                accessed: type_ & 1 != 0,
                big: hi & (1 << 22) != 0,
                dpl,
                present,
            };
        }
        let gate = |kind, wide: bool| Descriptor::Gate {
            kind,
            selector: (lo >> 16) as u16,
            offset: if wide {
                (lo & 0xFFFF) | (hi & 0xFFFF_0000)
            } else {
                lo & 0xFFFF
            },
            params: (hi & 0x1F) as u8,
            dpl,
            present,
        };
        let system = |kind| Descriptor::System {
            kind,
            base,
            limit,
            dpl,
            present,
        };
        match type_ {
            0x1 => system("tss16"),
            0x2 => system("ldt"),
            0x3 => system("tss16 busy"),
            0x4 => gate("call16", false),
            0x5 => gate("task", false),
            0x6 => gate("int16", false),
            0x7 => gate("trap16", false),
            0x9 => system("tss32"),
            0xB => system("tss32 busy"),
            0xC => gate("call32", true),
            0xE => gate("int32", true),
            0xF => gate("trap32", true),
            _ => Descriptor::Reserved { type_ },
        }
    }
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |present: bool| if present { "P" } else { "not present" };
        match *self {
            Descriptor::Vector { segment, offset } => write!(f, "{segment:04x}:{offset:04x}"),
            Descriptor::Null => f.write_str("null"),
            Descriptor::Segment {
                base,
                limit,
                code,
                conforming_or_down,
                readable_or_writable,
                accessed,
                big,
                dpl,
                present,
            } => {
                let bits = if big { 32 } else { 16 };
                let (kind, rw, cd) = if code {
                    (
                        "code",
                        if readable_or_writable { "r" } else { "" },
                        "conforming",
                    )
                } else {
                    (
                        "data",
                        if readable_or_writable { "w" } else { "" },
                        "expand-down",
                    )
                };
                write!(
                    f,
                    "{kind}{bits} base {base:08x} limit {limit:08x} dpl {dpl} {}{}{}{}",
                    p(present),
                    if rw.is_empty() {
                        String::new()
                    } else {
                        format!(" {rw}")
                    },
                    if conforming_or_down {
                        format!(" {cd}")
                    } else {
                        String::new()
                    },
                    if accessed { " accessed" } else { "" }
                )
            }
            Descriptor::System {
                kind,
                base,
                limit,
                dpl,
                present,
            } => write!(
                f,
                "{kind} base {base:08x} limit {limit:08x} dpl {dpl} {}",
                p(present)
            ),
            Descriptor::Gate {
                kind,
                selector,
                offset,
                params,
                dpl,
                present,
            } => {
                write!(
                    f,
                    "{kind} gate -> {selector:04x}:{offset:08x} dpl {dpl} {}",
                    p(present)
                )?;
                if kind.starts_with("call") {
                    write!(f, " params {params}")?;
                }
                Ok(())
            }
            Descriptor::Reserved { type_ } => write!(f, "reserved system type {type_:x}"),
        }
    }
}

/// One slot of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableEntry {
    pub index: u32,
    /// The slot's bytes, little-endian (4 of them for a real-mode vector).
    pub raw: u64,
    pub descriptor: Descriptor,
}

impl Machine {
    /// Reads up to `count` entries of `table` from entry `first`, stopping
    /// at the table's limit. In real mode the IDT is the vector table at
    /// IDTR (4-byte entries); the LDT is empty unless LDTR holds one.
    pub fn descriptor_table(
        &mut self,
        table: Table,
        first: u32,
        count: u32,
    ) -> Result<Vec<TableEntry>, Unmapped> {
        let cpu = self.cpu();
        let real = !cpu.mode().protected;
        let (base, limit) = match table {
            Table::Gdt => {
                let (b, l) = cpu.gdtr();
                (b, l as u32)
            }
            Table::Idt => {
                let (b, l) = cpu.idtr();
                (b, l as u32)
            }
            Table::Ldt => {
                let s = cpu.ldtr();
                if s.selector & !3 == 0 || real {
                    return Ok(Vec::new());
                }
                (s.base, s.limit)
            }
        };
        let size = if real && table == Table::Idt { 4 } else { 8 };
        let mut out = Vec::new();
        for index in first..first.saturating_add(count) {
            let off = index as u64 * size;
            if off + size - 1 > limit as u64 {
                break;
            }
            let mut b = [0u8; 8];
            self.read_linear(base.wrapping_add(off as u32), &mut b[..size as usize])?;
            let raw = u64::from_le_bytes(b);
            let descriptor = if size == 4 {
                Descriptor::Vector {
                    segment: (raw >> 16) as u16,
                    offset: raw as u16,
                }
            } else {
                Descriptor::decode(raw)
            };
            out.push(TableEntry {
                index,
                raw,
                descriptor,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_code_and_data_segments() {
        // The usual flat 4 GiB ring-0 code and data descriptors.
        let code = Descriptor::decode(0x00CF_9A00_0000_FFFF);
        assert_eq!(
            code.to_string(),
            "code32 base 00000000 limit ffffffff dpl 0 P r"
        );
        let data = Descriptor::decode(0x00CF_9300_0000_FFFF);
        assert_eq!(
            data.to_string(),
            "data32 base 00000000 limit ffffffff dpl 0 P w accessed"
        );
        // 16-bit ring-3 expand-down data at 12345678h, byte granular.
        let down = Descriptor::decode(0x1200_F634_5678_0FFF);
        assert_eq!(
            down.to_string(),
            "data16 base 12345678 limit 00000fff dpl 3 P w expand-down"
        );
    }

    #[test]
    fn gates_and_system_descriptors() {
        // 32-bit interrupt gate to 0008:C0101234, DPL 0.
        let g = Descriptor::decode(0xC010_8E00_0008_1234);
        assert_eq!(g.to_string(), "int32 gate -> 0008:c0101234 dpl 0 P");
        // 32-bit call gate, DPL 3, two dword parameters.
        let c = Descriptor::decode(0x0000_EC02_0010_2000);
        assert_eq!(
            c.to_string(),
            "call32 gate -> 0010:00002000 dpl 3 P params 2"
        );
        // Busy 32-bit TSS at 00101000, limit 67h.
        let t = Descriptor::decode(0x0000_8B10_1000_0067);
        assert_eq!(
            t.to_string(),
            "tss32 busy base 00101000 limit 00000067 dpl 0 P"
        );
        assert_eq!(Descriptor::decode(0).to_string(), "null");
        assert_eq!(
            Descriptor::decode(0x0000_8800_0000_0000),
            Descriptor::Reserved { type_: 8 }
        );
    }
}
