//! `--screenshot` and `--print-screen` at the FreeDOS prompt: the text dump
//! shows the prompt, and the PNG shows the same screen (every character
//! cell with a glyph has ink, every blank cell is flat).

use std::path::PathBuf;
use std::process::Command;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

#[test]
fn freedos_prompt_in_the_text_dump_and_the_png() {
    let image = shared().join("guests/freedos-1.44m-com1.img");
    if !image.is_file() || !std::path::Path::new("/usr/share/seabios/bios.bin").is_file() {
        eprintln!(
            "SKIPPED: needs {} and SeaBIOS (.ci/run installs it)",
            image.display()
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("oxbox-shot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let png_path = dir.join("screen.png");
    let serial = dir.join("serial.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_oxbox"))
        .arg("--headless")
        .arg("--fda")
        .arg(&image)
        // DOS-DONE goes to COM1 at about 38 M instructions; the prompt is
        // on the screen soon after.
        .args([
            "--snapshot",
            "--max-instructions",
            "60000000",
            "--print-screen",
        ])
        .arg("--serial")
        .arg(&serial)
        .arg("--screenshot")
        .arg(&png_path)
        .output()
        .unwrap_or_else(|e| panic!("oxbox runs: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("A:\\>"),
        "no prompt in the text dump:\n{text}"
    );

    let file = std::fs::read(&png_path).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let mut reader = png::Decoder::new(&file[..])
        .read_info()
        .unwrap_or_else(|e| panic!("not a PNG: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let (w, h) = (info.width as usize, info.height as usize);
    // 80x25 text with the VGA BIOS's 9x16 font.
    assert_eq!((w, h), (720, 400));
    // 25 rows (println! adds a line end after the last).
    let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    assert!(
        rows.len() == 25 || (rows.len() == 26 && rows[25].is_empty()),
        "{text}"
    );
    let pixel = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    let mut wrong = Vec::new();
    for (r, row) in rows.iter().take(25).enumerate() {
        for c in 0..80 {
            let ch = row.get(c).copied().unwrap_or(' ');
            let first = pixel(c * 9, r * 16);
            let flat = (0..16).all(|y| (0..9).all(|x| pixel(c * 9 + x, r * 16 + y) == first));
            if (ch == ' ') != flat {
                wrong.push((r, c, ch));
            }
        }
    }
    // The cursor (a blinking underline in a blank cell) may be the one
    // blank cell with ink.
    assert!(
        wrong.len() <= 1 && wrong.iter().all(|&(_, _, ch)| ch == ' '),
        "cells where the PNG and the text disagree: {wrong:?}\n{text}"
    );
}
