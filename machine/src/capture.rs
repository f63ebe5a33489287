//! Output kept in memory ([`crate::Output::Capture`]) is capped: the guest
//! decides how much it writes, and host memory must not grow with it.

/// The most a capture sink keeps; bytes past it are dropped.
pub const CAPTURE_CAP: usize = 16 << 20;

/// Appends what still fits under [`CAPTURE_CAP`].
pub fn append_capped(v: &mut Vec<u8>, bytes: &[u8]) {
    append_within(v, bytes, CAPTURE_CAP);
}

fn append_within(v: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let room = cap.saturating_sub(v.len());
    v.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_up_to_the_cap_then_drops() {
        let mut v = Vec::new();
        append_within(&mut v, b"abcd", 6);
        append_within(&mut v, b"efgh", 6);
        assert_eq!(v, b"abcdef");
        append_within(&mut v, b"ij", 6);
        assert_eq!(v, b"abcdef");
        append_capped(&mut v, b"k");
        assert_eq!(v, b"abcdefk");
    }
}
