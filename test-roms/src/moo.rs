//! A streaming reader for MOO ("Machine Opcode Operation") test files,
//! written from the MOO 1.1 format description.
//!
//! A MOO stream is a sequence of little-endian chunks, each a 4-byte ASCII
//! id, a u32 payload length and the payload. The first chunk is the `MOO `
//! header; `TEST` chunks hold sub-chunks. Unknown chunks are skipped by
//! their length at every level, as the format asks. Every read is
//! bounds-checked: a bad file gives an error message, never a panic.

use std::io::{self, Read};

use crate::model::{BusKind, Cycle, ExceptionInfo, Regs, State, Test};

/// A chunk longer than this is taken as corruption rather than allocated.
const MAX_CHUNK: u32 = 256 << 20;

/// Which bus-status encoding the file's cycles use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusFamily {
    /// 8088, 8086, V20, V30, 80186: the S0-S2 octal status.
    I8086,
    /// 80286: S0, S1, M/IO, COD/INTA.
    I286,
    /// 80386: R, W, M/IO, C/D.
    I386,
}

impl BusFamily {
    pub fn from_cpu_id(id: &str) -> BusFamily {
        match id.trim() {
            "C286" | "286" => BusFamily::I286,
            "386E" | "386" => BusFamily::I386,
            _ => BusFamily::I8086,
        }
    }

    pub fn decode(self, status: u8) -> BusKind {
        use BusKind::*;
        match self {
            BusFamily::I8086 => match status & 7 {
                0 => IntAck,
                1 => IoRead,
                2 => IoWrite,
                3 => MemRead,
                4 => MemWrite,
                5 => Halt,
                6 => Code,
                _ => Passive,
            },
            BusFamily::I286 => match status & 15 {
                0 => IntAck,
                4 => Halt,
                5 => MemRead,
                6 => MemWrite,
                9 => IoRead,
                10 => IoWrite,
                13 => Code,
                _ => Passive,
            },
            BusFamily::I386 => match status & 7 {
                0 => IntAck,
                2 => IoRead,
                3 => IoWrite,
                4 => Code,
                5 => Halt,
                6 => MemRead,
                7 => MemWrite,
                _ => Passive,
            },
        }
    }
}

/// A bounds-checked cursor over one chunk's payload.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
    /// File offset of `b[0]`, for messages.
    base: u64,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8], base: u64) -> Self {
        Cur { b, pos: 0, base }
    }

    fn left(&self) -> usize {
        self.b.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.left() {
            return Err(format!(
                "truncated {what} at offset {}: need {n} bytes, {} left in the chunk",
                self.base + self.pos as u64,
                self.left()
            ));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let s = self.take(2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    /// The next sub-chunk: (id, payload cursor).
    fn chunk(&mut self) -> Result<([u8; 4], Cur<'a>), String> {
        let at = self.base + self.pos as u64;
        let h = self.take(8, "chunk header")?;
        let id = [h[0], h[1], h[2], h[3]];
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        if len > self.left() {
            return Err(format!(
                "chunk '{}' at offset {at} claims {len} bytes but its parent has {} left",
                show_id(&id),
                self.left()
            ));
        }
        let base = self.base + self.pos as u64;
        let body = self.take(len, "chunk")?;
        Ok((id, Cur::new(body, base)))
    }
}

fn show_id(id: &[u8; 4]) -> String {
    id.iter()
        .map(|&c| {
            if (0x20..0x7F).contains(&c) {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}

/// Reads as many bytes as are available up to `buf.len()`; fewer only at EOF.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The streaming reader: the header is read by [`MooReader::new`], tests one
/// at a time by [`MooReader::next_test`], so a sample of a large file costs
/// only the bytes it uses.
pub struct MooReader<R: Read> {
    r: R,
    pos: u64,
    pub version: (u8, u8),
    /// The test count the header declares.
    pub declared: u32,
    /// The CPU id from the header (`8086`, `C286`, `386E`, ...).
    pub cpu: String,
    pub family: BusFamily,
    /// Opcode and mnemonic from a `META` chunk, if present.
    pub meta_mnemonic: Option<String>,
    file_mask: Option<Regs>,
    next_index: usize,
}

impl<R: Read> MooReader<R> {
    pub fn new(mut r: R) -> Result<Self, String> {
        let mut h = [0u8; 8];
        let n =
            read_full(&mut r, &mut h).map_err(|e| format!("cannot read the MOO header: {e}"))?;
        if n < 8 || &h[0..4] != b"MOO " {
            return Err("not a MOO file (no 'MOO ' header chunk)".into());
        }
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        if !(12..=4096).contains(&len) {
            return Err(format!("bad 'MOO ' header length {len}"));
        }
        let mut body = vec![0u8; len as usize];
        if read_full(&mut r, &mut body).map_err(|e| format!("read error: {e}"))? < body.len() {
            return Err("truncated 'MOO ' header".into());
        }
        let mut c = Cur::new(&body, 8);
        let major = c.u8("version")?;
        let minor = c.u8("version")?;
        c.take(2, "reserved")?;
        let declared = c.u32("test count")?;
        let id = c.take(4, "cpu id")?;
        let cpu: String = String::from_utf8_lossy(id).trim().to_string();
        Ok(MooReader {
            r,
            pos: 8 + len as u64,
            version: (major, minor),
            declared,
            family: BusFamily::from_cpu_id(&cpu),
            cpu,
            meta_mnemonic: None,
            file_mask: None,
            next_index: 0,
        })
    }

    /// The next test, or `None` at a clean end of the stream.
    pub fn next_test(&mut self) -> Result<Option<Test>, String> {
        loop {
            let at = self.pos;
            let mut h = [0u8; 8];
            let n = read_full(&mut self.r, &mut h)
                .map_err(|e| format!("read error at offset {at}: {e}"))?;
            if n == 0 {
                return Ok(None);
            }
            if n < 8 {
                return Err(format!("truncated chunk header at offset {at}"));
            }
            let id = [h[0], h[1], h[2], h[3]];
            let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            if len > MAX_CHUNK {
                return Err(format!(
                    "chunk '{}' at offset {at} is implausibly long ({len} bytes)",
                    show_id(&id)
                ));
            }
            let mut body = vec![0u8; len as usize];
            let got = read_full(&mut self.r, &mut body)
                .map_err(|e| format!("read error at offset {at}: {e}"))?;
            if got < body.len() {
                return Err(format!(
                    "truncated chunk '{}' at offset {at}: {got} of {len} bytes present",
                    show_id(&id)
                ));
            }
            self.pos += 8 + len as u64;
            let base = at + 8;
            match &id {
                b"TEST" => {
                    let t = parse_test(&body, base, self.next_index, self.family, self.file_mask)?;
                    self.next_index += 1;
                    return Ok(Some(t));
                }
                b"META" => {
                    let mut c = Cur::new(&body, base);
                    c.take(3, "META versions")?;
                    c.u32("META opcode")?;
                    let m = c.take(8, "META mnemonic")?;
                    self.meta_mnemonic = Some(String::from_utf8_lossy(m).trim().to_string());
                }
                b"RMSK" => self.file_mask = Some(parse_regs(&mut Cur::new(&body, base))?),
                _ => {}
            }
        }
    }

    /// Reads every remaining test and checks the count against the header.
    pub fn read_all(&mut self) -> Result<Vec<Test>, String> {
        let mut v = Vec::new();
        while let Some(t) = self.next_test()? {
            v.push(t);
        }
        if v.len() != self.declared as usize {
            return Err(format!(
                "the header declares {} tests but the file holds {}",
                self.declared,
                v.len()
            ));
        }
        Ok(v)
    }
}

/// `REGS`/`RMSK`: a u16 bitmask, then one u16 per set bit.
fn parse_regs(c: &mut Cur<'_>) -> Result<Regs, String> {
    let mask = c.u16("register mask")?;
    let mut r = Regs::default();
    for i in 0..14 {
        if mask & (1 << i) != 0 {
            r.set(i, c.u16("register value")?);
        }
    }
    Ok(r)
}

fn parse_state(mut c: Cur<'_>, wide: &mut bool, mask: &mut Option<Regs>) -> Result<State, String> {
    let mut s = State::default();
    while c.left() > 0 {
        let (id, mut p) = c.chunk()?;
        match &id {
            b"REGS" => s.regs = parse_regs(&mut p)?,
            b"RMSK" => {
                let m = parse_regs(&mut p)?;
                *mask = Some(combine_masks(*mask, m));
            }
            b"RG32" | b"RM32" => *wide = true,
            b"RAM " => {
                let n = p.u32("RAM count")? as usize;
                if n.saturating_mul(5) > p.left() {
                    return Err(format!(
                        "RAM chunk claims {n} entries but holds {} bytes",
                        p.left()
                    ));
                }
                s.ram.reserve(n);
                for _ in 0..n {
                    let a = p.u32("RAM address")?;
                    let v = p.u8("RAM value")?;
                    s.ram.push((a, v));
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

fn combine_masks(a: Option<Regs>, b: Regs) -> Regs {
    match a {
        None => b,
        Some(a) => {
            let mut r = a;
            for i in 0..14 {
                if let Some(v) = b.get(i) {
                    r.set(i, a.get(i).unwrap_or(0xFFFF) & v);
                }
            }
            r
        }
    }
}

fn parse_test(
    body: &[u8],
    base: u64,
    index: usize,
    family: BusFamily,
    file_mask: Option<Regs>,
) -> Result<Test, String> {
    let mut c = Cur::new(body, base);
    let _stored_index = c.u32("TEST index")?;
    let mut t = Test {
        index,
        reg_mask: file_mask,
        ..Test::default()
    };
    let (mut have_init, mut have_fina) = (false, false);
    while c.left() > 0 {
        let (id, mut p) = c.chunk()?;
        match &id {
            b"NAME" => {
                let n = p.u32("NAME length")? as usize;
                t.name = String::from_utf8_lossy(p.take(n, "NAME")?).into_owned();
            }
            b"BYTS" => {
                let n = p.u32("BYTS length")? as usize;
                t.bytes = p.take(n, "BYTS")?.to_vec();
            }
            b"INIT" => {
                t.init = parse_state(p, &mut t.wide, &mut t.reg_mask)?;
                have_init = true;
            }
            b"FINA" => {
                t.fina = parse_state(p, &mut t.wide, &mut t.reg_mask)?;
                have_fina = true;
            }
            b"CYCL" => {
                let n = p.u32("CYCL count")? as usize;
                if n.saturating_mul(15) > p.left() {
                    return Err(format!(
                        "CYCL chunk claims {n} cycles but holds {} bytes",
                        p.left()
                    ));
                }
                for _ in 0..n {
                    let r = p.take(15, "cycle")?;
                    if r[0] & 1 != 0 {
                        let addr = u32::from_le_bytes([r[1], r[2], r[3], r[4]]);
                        t.cycles.push(Cycle {
                            addr,
                            kind: family.decode(r[11]),
                        });
                    }
                }
            }
            b"EXCP" => {
                let number = p.u8("EXCP number")?;
                let flag_address = p.u32("EXCP flag address")?;
                t.exception = Some(ExceptionInfo {
                    number,
                    flag_address,
                });
            }
            b"HASH" => {
                let h = p.take(p.left(), "HASH")?;
                t.hash = Some(h.iter().map(|b| format!("{b:02x}")).collect());
            }
            _ => {}
        }
    }
    if !have_init || !have_fina {
        return Err(format!(
            "test {index} at offset {base} lacks its INIT or FINA chunk"
        ));
    }
    if !t.wide && !t.init.regs.complete() {
        return Err(format!(
            "test {index} at offset {base}: the initial REGS chunk does not give every register"
        ));
    }
    Ok(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    fn regs(mask: u16, vals: &[u16]) -> Vec<u8> {
        let mut v = mask.to_le_bytes().to_vec();
        for x in vals {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    }

    fn ram(entries: &[(u32, u8)]) -> Vec<u8> {
        let mut v = (entries.len() as u32).to_le_bytes().to_vec();
        for &(a, b) in entries {
            v.extend_from_slice(&a.to_le_bytes());
            v.push(b);
        }
        v
    }

    fn sample_file(count_in_header: u32) -> Vec<u8> {
        let mut f = chunk(
            b"MOO ",
            &[
                1,
                1,
                0,
                0,
                count_in_header as u8,
                0,
                0,
                0,
                b'8',
                b'0',
                b'8',
                b'6',
            ],
        );
        let init_vals: Vec<u16> = (1..=14).collect();
        let mut test = 0u32.to_le_bytes().to_vec();
        let mut name = 7u32.to_le_bytes().to_vec();
        name.extend_from_slice(b"inc ax ");
        test.extend(chunk(b"NAME", &name));
        test.extend(chunk(b"BYTS", &[1, 0, 0, 0, 0x40]));
        let mut init = chunk(b"REGS", &regs(0x3FFF, &init_vals));
        init.extend(chunk(b"RAM ", &ram(&[(0x1234, 0x40)])));
        init.extend(chunk(b"QUEU", &[0, 0, 0, 0]));
        test.extend(chunk(b"INIT", &init));
        let mut fina = chunk(b"REGS", &regs(1 | 1 << 12, &[2, 14]));
        fina.extend(chunk(b"RAM ", &ram(&[(0x1234, 0x40)])));
        test.extend(chunk(b"FINA", &fina));
        // One ALE memory-read cycle at 0x0000 and one non-ALE cycle.
        let mut cyc = 2u32.to_le_bytes().to_vec();
        cyc.extend_from_slice(&[1, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 3, 1, 0, 0]);
        cyc.extend_from_slice(&[0, 8, 0, 0, 0, 4, 4, 0, 0, 0, 0, 3, 2, 0, 0]);
        test.extend(chunk(b"CYCL", &cyc));
        test.extend(chunk(b"ZZZZ", &[9, 9, 9]));
        test.extend(chunk(b"EXCP", &[0, 0x10, 0x20, 0, 0]));
        f.extend(chunk(b"TEST", &test));
        f
    }

    #[test]
    fn reads_a_hand_built_file() {
        let f = sample_file(1);
        let mut r = MooReader::new(&f[..]).unwrap();
        assert_eq!(r.cpu, "8086");
        assert_eq!(r.declared, 1);
        let tests = r.read_all().unwrap();
        assert_eq!(tests.len(), 1);
        let t = &tests[0];
        assert_eq!(t.name, "inc ax ");
        assert_eq!(t.bytes, vec![0x40]);
        assert_eq!(
            t.init.regs.v,
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        );
        assert_eq!(t.fina.regs.get(0), Some(2));
        assert_eq!(t.fina.regs.get(12), Some(14));
        assert_eq!(t.fina.regs.get(1), None);
        let e = t.expected_regs();
        assert_eq!(e.v[0], 2);
        assert_eq!(e.v[1], 2);
        assert_eq!(t.init.ram, vec![(0x1234, 0x40)]);
        assert_eq!(
            t.cycles,
            vec![Cycle {
                addr: 0,
                kind: BusKind::MemRead
            }]
        );
        assert_eq!(
            t.exception,
            Some(ExceptionInfo {
                number: 0,
                flag_address: 0x2010
            })
        );
    }

    #[test]
    fn count_mismatch_is_an_error() {
        let f = sample_file(2);
        let mut r = MooReader::new(&f[..]).unwrap();
        assert!(r.read_all().unwrap_err().contains("declares 2"));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let f = sample_file(1);
        for cut in 0..f.len() {
            let res = MooReader::new(&f[..cut]).and_then(|mut r| r.read_all());
            assert!(res.is_err(), "cut at {cut} was accepted");
        }
    }

    #[test]
    fn corrupt_lengths_are_errors() {
        let mut f = sample_file(1);
        // Make the INIT chunk claim more than its TEST holds.
        let pos = f.windows(4).position(|w| w == b"INIT").unwrap();
        f[pos + 4..pos + 8].copy_from_slice(&0x7FFF_0000u32.to_le_bytes());
        let mut r = MooReader::new(&f[..]).unwrap();
        assert!(r.read_all().is_err());
        assert!(MooReader::new(&b"JUNKJUNKJUNK"[..]).is_err());
    }
}
