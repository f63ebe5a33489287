//! Embeds the project's test ROMs (test-roms/roms/*.bin) so that `oxbox`
//! with no arguments can run its own CPU suite on any machine.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-roms/roms");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut roms: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "bin"))
                .collect()
        })
        .unwrap_or_default();
    roms.sort();
    let mut code = String::from(
        "/// The built-in ROM suite: (name, image).\npub static ROMS: &[(&str, &[u8])] = &[\n",
    );
    for p in &roms {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("rom");
        let abs = p.canonicalize().unwrap_or_else(|_| p.clone());
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out).join("roms.rs"), code) {
        println!("cargo:warning=cannot write the ROM table: {e}");
    }
}
