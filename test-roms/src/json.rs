//! The JSON form of SingleStepTests files (an array of test objects).

use serde_json::Value;

use crate::model::{BusKind, Cycle, ExceptionInfo, Regs, State, Test, REG_NAMES};

fn num(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| {
        format!(
            "{what}: expected a non-negative integer, found {}",
            short(v)
        )
    })
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}...", &s[..40])
    } else {
        s
    }
}

fn field<'a>(o: &'a Value, key: &str, ctx: &str) -> Result<&'a Value, String> {
    o.get(key)
        .ok_or_else(|| format!("{ctx}: missing \"{key}\""))
}

fn parse_regs(v: &Value, ctx: &str) -> Result<Regs, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{ctx}: \"regs\" is not an object"))?;
    let mut r = Regs::default();
    for (k, val) in obj {
        if let Some(i) = REG_NAMES.iter().position(|n| n == k) {
            let x = num(val, &format!("{ctx}: register {k}"))?;
            if x > 0xFFFF {
                return Err(format!("{ctx}: register {k} = {x} does not fit 16 bits"));
            }
            r.set(i, x as u16);
        }
    }
    Ok(r)
}

fn parse_state(v: &Value, ctx: &str) -> Result<State, String> {
    let regs = parse_regs(field(v, "regs", ctx)?, ctx)?;
    let mut ram = Vec::new();
    if let Some(list) = v.get("ram") {
        let list = list
            .as_array()
            .ok_or_else(|| format!("{ctx}: \"ram\" is not an array"))?;
        for e in list {
            let pair = e
                .as_array()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| format!("{ctx}: bad ram entry {}", short(e)))?;
            let a = num(&pair[0], ctx)?;
            let b = num(&pair[1], ctx)?;
            if a > u32::MAX as u64 || b > 0xFF {
                return Err(format!("{ctx}: ram entry {} out of range", short(e)));
            }
            ram.push((a as u32, b as u8));
        }
    }
    Ok(State { regs, ram })
}

fn bus_kind(s: &str) -> BusKind {
    match s.trim() {
        "CODE" => BusKind::Code,
        "MEMR" => BusKind::MemRead,
        "MEMW" => BusKind::MemWrite,
        "IOR" => BusKind::IoRead,
        "IOW" => BusKind::IoWrite,
        "HALT" => BusKind::Halt,
        "INTA" => BusKind::IntAck,
        _ => BusKind::Passive,
    }
}

fn parse_test(v: &Value, index: usize) -> Result<Test, String> {
    let ctx = format!("test {index}");
    let name = field(v, "name", &ctx)?
        .as_str()
        .ok_or_else(|| format!("{ctx}: \"name\" is not a string"))?;
    let bytes = field(v, "bytes", &ctx)?
        .as_array()
        .ok_or_else(|| format!("{ctx}: \"bytes\" is not an array"))?
        .iter()
        .map(|b| {
            num(b, &ctx).and_then(|x| u8::try_from(x).map_err(|_| format!("{ctx}: byte {x} > 255")))
        })
        .collect::<Result<Vec<u8>, String>>()?;
    let init = parse_state(field(v, "initial", &ctx)?, &format!("{ctx} initial"))?;
    let fina = parse_state(field(v, "final", &ctx)?, &format!("{ctx} final"))?;
    if !init.regs.complete() {
        return Err(format!(
            "{ctx}: the initial state does not give every register"
        ));
    }
    let mut cycles = Vec::new();
    if let Some(list) = v.get("cycles").and_then(Value::as_array) {
        for c in list {
            let c = c
                .as_array()
                .ok_or_else(|| format!("{ctx}: a cycle is not an array"))?;
            let pins = c.first().and_then(Value::as_u64).unwrap_or(0);
            if pins & 1 == 0 {
                continue;
            }
            let addr = c
                .get(1)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("{ctx}: a cycle has no address"))?;
            let status = c.get(7).and_then(Value::as_str).unwrap_or("PASV");
            cycles.push(Cycle {
                addr: addr as u32,
                kind: bus_kind(status),
            });
        }
    }
    let exception = match v.get("exception") {
        Some(e) if !e.is_null() => {
            let n = num(field(e, "number", &ctx)?, &ctx)?;
            let a = num(field(e, "flag_address", &ctx)?, &ctx)?;
            Some(ExceptionInfo {
                number: n as u8,
                flag_address: a as u32,
            })
        }
        _ => None,
    };
    let hash = v
        .get("test_hash")
        .or_else(|| v.get("hash"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    Ok(Test {
        index,
        name: name.to_string(),
        bytes,
        init,
        fina,
        reg_mask: None,
        cycles,
        exception,
        hash,
        wide: false,
    })
}

/// Parses a whole JSON test file.
pub fn parse(text: &[u8]) -> Result<Vec<Test>, String> {
    let v: Value = serde_json::from_slice(text).map_err(|e| format!("JSON error: {e}"))?;
    let list = v
        .as_array()
        .ok_or("JSON error: the top level is not an array")?;
    list.iter()
        .enumerate()
        .map(|(i, t)| parse_test(t, i))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_test() {
        let j = br#"[{"name":"nop","bytes":[144],
            "initial":{"regs":{"ax":1,"bx":2,"cx":3,"dx":4,"cs":5,"ss":6,"ds":7,"es":8,"sp":9,"bp":10,"si":11,"di":12,"ip":13,"flags":14},"ram":[[100,144]]},
            "final":{"regs":{"ip":14},"ram":[[100,144]]},
            "cycles":[[1, 100, "--", "---", "---", 0, 0, "CODE", "T1", "-", 0],[0, 100, "--", "---", "---", 0, 0, "PASV", "T2", "-", 0]],
            "test_hash":"ABCD"}]"#;
        let t = parse(j).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].bytes, vec![144]);
        assert_eq!(t[0].expected_regs().v[12], 14);
        assert_eq!(
            t[0].cycles,
            vec![Cycle {
                addr: 100,
                kind: BusKind::Code
            }]
        );
        assert_eq!(t[0].hash.as_deref(), Some("abcd"));
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(parse(b"[{").is_err());
        assert!(parse(b"{}").is_err());
        assert!(parse(
            br#"[{"name":"x","bytes":[300],"initial":{"regs":{}},"final":{"regs":{}}}]"#
        )
        .is_err());
        assert!(parse(
            br#"[{"name":"x","bytes":[1],"initial":{"regs":{"ax":1}},"final":{"regs":{}}}]"#
        )
        .is_err());
    }
}
