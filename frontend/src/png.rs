//! Screenshots as PNG files (8-bit RGB), written with the `png` crate.

use std::io::{self, BufWriter, Write};

/// Encodes `width` x `height` pixels of `0x00RRGGBB` as a PNG image into
/// `out`. Missing pixels (a short buffer) are black.
pub fn encode_to(out: impl Write, width: usize, height: usize, pixels: &[u32]) -> io::Result<()> {
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "image too large for PNG");
    let w = u32::try_from(width).map_err(|_| too_big())?;
    let h = u32::try_from(height).map_err(|_| too_big())?;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for i in 0..width * height {
        let p = pixels.get(i).copied().unwrap_or(0);
        rgb.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8]);
    }
    let mut enc = png::Encoder::new(out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(io::Error::other)?;
    writer.write_image_data(&rgb).map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)
}

pub fn write(
    path: &std::path::Path,
    width: usize,
    height: usize,
    pixels: &[u32],
) -> io::Result<()> {
    let mut f = BufWriter::new(std::fs::File::create(path)?);
    encode_to(&mut f, width, height, pixels)?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_survive_a_round_trip() {
        let pixels = [0xFF0000, 0x00FF00, 0x0000FF, 0x123456, 0xFFFFFF, 0];
        let mut file = Vec::new();
        encode_to(&mut file, 3, 2, &pixels).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&file[..8], b"\x89PNG\r\n\x1a\n");
        let mut reader = png::Decoder::new(&file[..])
            .read_info()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader
            .next_frame(&mut buf)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(
            &buf[..info.buffer_size()],
            [0xFF, 0, 0, 0, 0xFF, 0, 0, 0, 0xFF, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0, 0, 0]
        );
    }
}
