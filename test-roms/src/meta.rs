//! `metadata.json`: per-opcode status and undefined-flag masks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One opcode (or one ModR/M reg value of a group opcode).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpInfo {
    /// `normal`, `prefix`, `alias`, `undocumented`, `undefined`, `fpu`, `extension`.
    pub status: String,
    /// AND mask with the undefined flags cleared; `None` when all are defined.
    pub flags_mask: Option<u16>,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    info: Option<OpInfo>,
    reg: Option<[Option<OpInfo>; 8]>,
}

#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// The `cpu` field (`8086`, `286`, ...).
    pub cpu: String,
    opcodes: HashMap<String, Entry>,
    pub path: PathBuf,
}

fn info(v: &Value) -> Option<OpInfo> {
    let status = v.get("status")?.as_str()?.to_string();
    let flags_mask = v
        .get("flags-mask")
        .and_then(Value::as_u64)
        .map(|m| m as u16);
    Some(OpInfo { status, flags_mask })
}

impl Metadata {
    pub fn parse(text: &[u8], path: &Path) -> Result<Metadata, String> {
        let v: Value = serde_json::from_slice(text)
            .map_err(|e| format!("{}: JSON error: {e}", path.display()))?;
        let ops = v
            .get("opcodes")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{}: no \"opcodes\" object", path.display()))?;
        let mut opcodes = HashMap::new();
        for (k, e) in ops {
            let mut entry = Entry {
                info: info(e),
                reg: None,
            };
            if let Some(r) = e.get("reg").and_then(Value::as_object) {
                let mut regs: [Option<OpInfo>; 8] = Default::default();
                for (rk, rv) in r {
                    if let Ok(i) = rk.parse::<usize>() {
                        if i < 8 {
                            regs[i] = info(rv);
                        }
                    }
                }
                entry.reg = Some(regs);
            }
            opcodes.insert(k.to_ascii_uppercase(), entry);
        }
        let cpu = v
            .get("cpu")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Ok(Metadata {
            cpu,
            opcodes,
            path: path.to_path_buf(),
        })
    }

    pub fn load(path: &Path) -> Result<Metadata, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Metadata::parse(&text, path)
    }

    /// Whether the opcode is a group whose entries depend on the ModR/M reg field.
    pub fn is_group(&self, opcode: &str) -> bool {
        self.opcodes
            .get(&opcode.to_ascii_uppercase())
            .is_some_and(|e| e.reg.is_some())
    }

    /// The entry for `opcode` (two or four hex digits), refined by `reg` for groups.
    pub fn lookup(&self, opcode: &str, reg: Option<u8>) -> Option<&OpInfo> {
        let e = self.opcodes.get(&opcode.to_ascii_uppercase())?;
        match (&e.reg, reg) {
            (Some(regs), Some(r)) => regs.get(r as usize & 7)?.as_ref(),
            _ => e.info.as_ref(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn group_and_plain_entries() {
        let j = br#"{"cpu":"8086","opcodes":{"27":{"status":"normal","flags":"o.......","flags-mask":63487},
            "F6":{"reg":{"0":{"status":"normal"},"6":{"status":"normal","flags-mask":63274}}}}}"#;
        let m = Metadata::parse(j, Path::new("m.json")).unwrap();
        assert_eq!(m.lookup("27", None).unwrap().flags_mask, Some(63487));
        assert_eq!(m.lookup("f6", Some(6)).unwrap().flags_mask, Some(63274));
        assert_eq!(m.lookup("F6", Some(0)).unwrap().flags_mask, None);
        assert!(m.lookup("F6", Some(3)).is_none());
        assert!(m.is_group("F6"));
        assert!(!m.is_group("27"));
    }
}
