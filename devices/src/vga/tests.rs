use super::*;
use crate::PortIo;

fn outb(v: &mut Vga, port: u16, value: u8) {
    v.write(port, 1, u32::from(value), 0);
}

fn inb(v: &mut Vga, port: u16) -> u8 {
    v.read(port, 1, 0) as u8
}

fn outw(v: &mut Vga, port: u16, value: u16) {
    v.write(port, 2, u32::from(value), 0);
}

fn inw(v: &mut Vga, port: u16) -> u16 {
    v.read(port, 2, 0) as u16
}

fn dispi_write(v: &mut Vga, index: u16, value: u16) {
    outw(v, VBE_DISPI_IOPORT_INDEX, index);
    outw(v, VBE_DISPI_IOPORT_DATA, value);
}

fn dispi_read(v: &mut Vga, index: u16) -> u16 {
    outw(v, VBE_DISPI_IOPORT_INDEX, index);
    inw(v, VBE_DISPI_IOPORT_DATA)
}

fn seq(v: &mut Vga, index: u8, value: u8) {
    outw(v, 0x3C4, u16::from(value) << 8 | u16::from(index));
}

fn gr(v: &mut Vga, index: u8, value: u8) {
    outw(v, 0x3CE, u16::from(value) << 8 | u16::from(index));
}

fn cr(v: &mut Vga, index: u8, value: u8) {
    outw(v, 0x3D4, u16::from(value) << 8 | u16::from(index));
}

fn ar(v: &mut Vga, index: u8, value: u8) {
    inb(v, 0x3DA);
    outb(v, 0x3C0, index);
    outb(v, 0x3C0, value);
    outb(v, 0x3C0, 0x20);
}

fn set_dac(v: &mut Vga, index: u8, rgb: [u8; 3]) {
    outb(v, 0x3C8, index);
    for c in rgb {
        outb(v, 0x3C9, c);
    }
}

/// Register values of a standard mode.
struct ModeRegs {
    misc: u8,
    seq: [u8; 4],
    crtc: [u8; 25],
    gc: [u8; 9],
    ac: [u8; 20],
}

const MODE_03: ModeRegs = ModeRegs {
    misc: 0x67,
    seq: [0x00, 0x03, 0x00, 0x02],
    crtc: [
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
    ],
    gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF],
    ac: [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x0C, 0x00, 0x0F, 0x08,
    ],
};

const MODE_13: ModeRegs = ModeRegs {
    misc: 0x63,
    seq: [0x01, 0x0F, 0x00, 0x0E],
    crtc: [
        0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF,
    ],
    gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF],
    ac: [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
        0x0F, 0x41, 0x00, 0x0F, 0x00,
    ],
};

const MODE_12: ModeRegs = ModeRegs {
    misc: 0xE3,
    seq: [0x01, 0x0F, 0x00, 0x06],
    crtc: [
        0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF,
    ],
    gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF],
    ac: [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x01, 0x00, 0x0F, 0x00,
    ],
};

const MODE_04: ModeRegs = ModeRegs {
    misc: 0x63,
    seq: [0x09, 0x03, 0x00, 0x02],
    crtc: [
        0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x8E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF,
    ],
    gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x0F, 0xFF],
    ac: [
        0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
        0x17, 0x01, 0x00, 0x03, 0x00,
    ],
};

/// Programs a mode the way the VGA BIOS does.
fn set_mode(v: &mut Vga, m: &ModeRegs) {
    inb(v, 0x3DA);
    for (i, &x) in m.ac.iter().enumerate() {
        outb(v, 0x3C0, i as u8);
        outb(v, 0x3C0, x);
    }
    outb(v, 0x3C0, 0x14);
    outb(v, 0x3C0, 0x00);
    seq(v, 0, 0x03);
    for (i, &x) in m.seq.iter().enumerate() {
        seq(v, i as u8 + 1, x);
    }
    for (i, &x) in m.gc.iter().enumerate() {
        gr(v, i as u8, x);
    }
    outb(v, 0x3C2, m.misc);
    outw(v, 0x3D4, 0x0011);
    for (i, &x) in m.crtc.iter().enumerate() {
        outb(v, 0x3D4, i as u8);
        outb(v, 0x3D5, x);
    }
    outb(v, 0x3C0, 0x20);
    inb(v, 0x3DA);
}

/// Loads glyph `ch` of font map 0 through plane 2, as the BIOS does.
fn load_glyph(v: &mut Vga, ch: u8, rows: &[u8]) {
    seq(v, 2, 0x04);
    seq(v, 4, 0x07);
    gr(v, 4, 0x02);
    gr(v, 5, 0x00);
    gr(v, 6, 0x04);
    for (i, &r) in rows.iter().enumerate() {
        v.mem_write(0xA0000 + u32::from(ch) * 32 + i as u32, r);
    }
    seq(v, 2, 0x03);
    seq(v, 4, 0x02);
    gr(v, 6, 0x0E);
    gr(v, 4, 0x00);
    gr(v, 5, 0x10);
}

/// Byte `off` of `plane`, read back through read mode 0.
fn plane(v: &mut Vga, p: u8, off: u32) -> u8 {
    gr(v, 5, 0x00);
    gr(v, 4, p);
    v.mem_read(0xA0000 + off, 0)
}

/// Fills the four planes at `off` with `values` through the map mask.
fn fill_planes(v: &mut Vga, off: u32, values: [u8; 4]) {
    gr(v, 5, 0x00);
    gr(v, 1, 0x00);
    gr(v, 3, 0x00);
    gr(v, 8, 0xFF);
    for (p, &x) in values.iter().enumerate() {
        seq(v, 2, 1 << p);
        v.mem_write(0xA0000 + off, x);
    }
    seq(v, 2, 0x0F);
}

fn planes_at(v: &mut Vga, off: u32) -> [u8; 4] {
    [0, 1, 2, 3].map(|p| plane(v, p, off))
}

fn rgb6(r: u8, g: u8, b: u8) -> u32 {
    let e = |c: u8| u32::from((c << 2) | (c >> 4));
    e(r) << 16 | e(g) << 8 | e(b)
}

/// One frame of mode 3 in virtual nanoseconds.
fn mode3_frame_ns(v: &Vga) -> u64 {
    v.timing().frame_ns()
}

#[test]
fn register_round_trips() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    assert_eq!(inb(&mut v, 0x3CC), 0x67);
    for (i, &x) in MODE_03.seq.iter().enumerate() {
        outb(&mut v, 0x3C4, i as u8 + 1);
        assert_eq!(inb(&mut v, 0x3C5), x, "SR{}", i + 1);
    }
    for (i, &x) in MODE_03.gc.iter().enumerate() {
        outb(&mut v, 0x3CE, i as u8);
        assert_eq!(inb(&mut v, 0x3CF), x, "GR{i}");
    }
    for (i, &x) in MODE_03.crtc.iter().enumerate() {
        outb(&mut v, 0x3D4, i as u8);
        assert_eq!(inb(&mut v, 0x3D5), x, "CR{i:02X}");
    }
    for (i, &x) in MODE_03.ac.iter().enumerate() {
        inb(&mut v, 0x3DA);
        outb(&mut v, 0x3C0, i as u8 | 0x20);
        assert_eq!(inb(&mut v, 0x3C1), x, "AR{i:02X}");
        assert_eq!(inb(&mut v, 0x3C0), i as u8 | 0x20);
    }
    // Bits that do not exist read back as zero.
    seq(&mut v, 2, 0xFF);
    outb(&mut v, 0x3C4, 2);
    assert_eq!(inb(&mut v, 0x3C5), 0x0F);
    gr(&mut v, 5, 0xFF);
    outb(&mut v, 0x3CE, 5);
    assert_eq!(inb(&mut v, 0x3CF), 0x7B);
    // Feature control: written at 3DAh, read at 3CAh.
    outb(&mut v, 0x3DA, 0x01);
    assert_eq!(inb(&mut v, 0x3CA), 0x01);
    outb(&mut v, 0x3C6, 0x0F);
    assert_eq!(inb(&mut v, 0x3C6), 0x0F);
    // Indexes past the register file read as zero and ignore writes.
    outb(&mut v, 0x3D4, 0x40);
    outb(&mut v, 0x3D5, 0x12);
    assert_eq!(inb(&mut v, 0x3D5), 0x00);
    // Wide accesses split low byte first.
    assert_eq!(v.read(0x3C4, 2, 0), 0x0F02);
}

#[test]
fn crtc_protect_bit() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    // CR11 bit 7 is set in mode 3: CR00-CR07 are locked.
    cr(&mut v, 0x01, 0x27);
    outb(&mut v, 0x3D4, 0x01);
    assert_eq!(inb(&mut v, 0x3D5), 0x4F);
    // ... except the line compare bit of CR07.
    cr(&mut v, 0x07, 0x00);
    outb(&mut v, 0x3D4, 0x07);
    assert_eq!(inb(&mut v, 0x3D5), 0x1F & !0x10);
    // CR08 and up are not protected.
    cr(&mut v, 0x0A, 0x20);
    outb(&mut v, 0x3D4, 0x0A);
    assert_eq!(inb(&mut v, 0x3D5), 0x20);
    cr(&mut v, 0x11, 0x0E);
    cr(&mut v, 0x01, 0x27);
    outb(&mut v, 0x3D4, 0x01);
    assert_eq!(inb(&mut v, 0x3D5), 0x27);
}

#[test]
fn crtc_ports_follow_misc_output() {
    let mut v = Vga::new();
    outb(&mut v, 0x3C2, 0x66); // monochrome addressing
    outb(&mut v, 0x3B4, 0x0E);
    outb(&mut v, 0x3B5, 0x12);
    assert_eq!(inb(&mut v, 0x3B5), 0x12);
    assert_eq!(inb(&mut v, 0x3D4), 0xFF);
    assert_eq!(inb(&mut v, 0x3D5), 0xFF);
    assert_eq!(inb(&mut v, 0x3DA), 0xFF);
    outb(&mut v, 0x3D5, 0x34); // goes nowhere
    outb(&mut v, 0x3C2, 0x67);
    assert_eq!(inb(&mut v, 0x3B5), 0xFF);
    outb(&mut v, 0x3D4, 0x0E);
    assert_eq!(inb(&mut v, 0x3D5), 0x12);
    assert!(Vga::handles_port(0x3B4) && Vga::handles_port(0x1CF));
    assert!(!Vga::handles_port(0x3E0));
}

#[test]
fn attribute_flip_flop_reset_by_input_status_1() {
    let mut v = Vga::new();
    outb(&mut v, 0x3C2, 0x67);
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x01); // index
    outb(&mut v, 0x3C0, 0x2A); // data
    outb(&mut v, 0x3C0, 0x22); // index again, PAS set
    assert_eq!(inb(&mut v, 0x3C0), 0x22);
    assert_eq!(inb(&mut v, 0x3C1), 0x00);
    // Leave the flip-flop pointing at data, then reset it.
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x01);
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x03); // an index, not data for AR01
    assert_eq!(inb(&mut v, 0x3C0), 0x03);
    outb(&mut v, 0x3C0, 0x15);
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x01);
    assert_eq!(inb(&mut v, 0x3C1), 0x2A);
    outb(&mut v, 0x3C0, 0x3F);
    outb(&mut v, 0x3C0, 0x03);
    assert_eq!(inb(&mut v, 0x3C1), 0x15);
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x01);
    assert_eq!(inb(&mut v, 0x3C1), 0x3F, "palette entries are 6 bits");
}

#[test]
fn dac_three_step_cycle() {
    let mut v = Vga::new();
    outb(&mut v, 0x3C8, 5);
    for c in [0x3F, 0x20, 0x01, 0xFF, 0x00, 0x15] {
        outb(&mut v, 0x3C9, c);
    }
    assert_eq!(inb(&mut v, 0x3C8), 7, "write index advanced twice");
    assert_eq!(inb(&mut v, 0x3C7), 0x00);
    outb(&mut v, 0x3C7, 5);
    assert_eq!(inb(&mut v, 0x3C7), 0x03);
    let got: Vec<u8> = (0..6).map(|_| inb(&mut v, 0x3C9)).collect();
    assert_eq!(got, [0x3F, 0x20, 0x01, 0x3F, 0x00, 0x15]);
    assert_eq!(v.dac_entry(6), [0x3F, 0x00, 0x15]);
    // Writing the index restarts the cycle.
    outb(&mut v, 0x3C8, 9);
    outb(&mut v, 0x3C9, 1);
    outb(&mut v, 0x3C8, 9);
    for c in [4, 5, 6] {
        outb(&mut v, 0x3C9, c);
    }
    assert_eq!(v.dac_entry(9), [4, 5, 6]);
    // Index FFh wraps to 0.
    outb(&mut v, 0x3C8, 0xFF);
    for c in [1, 2, 3, 7, 8, 9] {
        outb(&mut v, 0x3C9, c);
    }
    assert_eq!(v.dac_entry(0xFF), [1, 2, 3]);
    assert_eq!(v.dac_entry(0), [7, 8, 9]);
}

#[test]
fn write_mode_0() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    // Plain write with all planes enabled.
    v.mem_write(0xA0000, 0xA5);
    assert_eq!(planes_at(&mut v, 0), [0xA5; 4]);
    // Enable set/reset on planes 0 and 1, set/reset value 0101b.
    gr(&mut v, 0, 0b0101);
    gr(&mut v, 1, 0b0011);
    v.mem_write(0xA0001, 0x3C);
    assert_eq!(planes_at(&mut v, 1), [0xFF, 0x00, 0x3C, 0x3C]);
    gr(&mut v, 1, 0);
    // Rotate right by 4.
    gr(&mut v, 3, 0x04);
    v.mem_write(0xA0002, 0x0F);
    assert_eq!(planes_at(&mut v, 2), [0xF0; 4]);
    // Logical functions against the latches (F0h everywhere at offset 2).
    for (func, want) in [(0x08, 0x30), (0x10, 0xFC), (0x18, 0xCC)] {
        fill_planes(&mut v, 2, [0xF0; 4]);
        gr(&mut v, 3, func);
        v.mem_read(0xA0002, 0);
        v.mem_write(0xA0002, 0x3C);
        gr(&mut v, 3, 0);
        assert_eq!(planes_at(&mut v, 2), [want; 4], "function {func:#x}");
    }
    // Bit mask: masked bits come from the latches.
    fill_planes(&mut v, 3, [0xF0; 4]);
    v.mem_read(0xA0003, 0);
    gr(&mut v, 8, 0x0F);
    v.mem_write(0xA0003, 0x55);
    gr(&mut v, 8, 0xFF);
    assert_eq!(planes_at(&mut v, 3), [0xF5; 4]);
    // Map mask: only planes 1 and 3 are written.
    fill_planes(&mut v, 4, [0; 4]);
    seq(&mut v, 2, 0b1010);
    v.mem_write(0xA0004, 0x77);
    seq(&mut v, 2, 0x0F);
    assert_eq!(planes_at(&mut v, 4), [0x00, 0x77, 0x00, 0x77]);
}

#[test]
fn write_mode_1_copies_latches() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    fill_planes(&mut v, 10, [0x11, 0x22, 0x33, 0x44]);
    v.mem_read(0xA000A, 0);
    gr(&mut v, 5, 0x01);
    gr(&mut v, 8, 0x00); // the bit mask does not apply in write mode 1
    v.mem_write(0xA0020, 0xFF);
    gr(&mut v, 8, 0xFF);
    assert_eq!(planes_at(&mut v, 0x20), [0x11, 0x22, 0x33, 0x44]);
}

#[test]
fn write_mode_2_and_3() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    fill_planes(&mut v, 0, [0; 4]);
    gr(&mut v, 5, 0x02);
    v.mem_write(0xA0000, 0b1010);
    assert_eq!(planes_at(&mut v, 0), [0x00, 0xFF, 0x00, 0xFF]);
    // Write mode 2 with a bit mask: one pixel of colour 0101b.
    fill_planes(&mut v, 1, [0; 4]);
    v.mem_read(0xA0001, 0);
    gr(&mut v, 5, 0x02);
    gr(&mut v, 8, 0x81);
    v.mem_write(0xA0001, 0b0101);
    gr(&mut v, 8, 0xFF);
    assert_eq!(planes_at(&mut v, 1), [0x81, 0x00, 0x81, 0x00]);
    // Write mode 3: set/reset colour, rotated data ANDed with the bit mask.
    fill_planes(&mut v, 2, [0; 4]);
    v.mem_read(0xA0002, 0);
    gr(&mut v, 5, 0x03);
    gr(&mut v, 0, 0b0110);
    gr(&mut v, 8, 0xF0);
    v.mem_write(0xA0002, 0x3C);
    gr(&mut v, 8, 0xFF);
    assert_eq!(planes_at(&mut v, 2), [0x00, 0x30, 0x30, 0x00]);
}

#[test]
fn read_mode_1_color_compare() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    fill_planes(&mut v, 0x100, [0xF0, 0xCC, 0xAA, 0x00]);
    gr(&mut v, 5, 0x08);
    gr(&mut v, 2, 0b0011);
    gr(&mut v, 7, 0x0F);
    // Colour 3 (planes 0 and 1 set, 2 and 3 clear) is at pixel 1 only.
    assert_eq!(v.mem_read(0xA0100, 0), 0x40);
    gr(&mut v, 7, 0b0011); // planes 2 and 3 don't care
    assert_eq!(v.mem_read(0xA0100, 0), 0xC0);
    gr(&mut v, 7, 0x00);
    assert_eq!(v.mem_read(0xA0100, 0), 0xFF);
    // The read loaded the latches too: write mode 1 copies them.
    gr(&mut v, 5, 0x01);
    v.mem_write(0xA0200, 0);
    assert_eq!(planes_at(&mut v, 0x200), [0xF0, 0xCC, 0xAA, 0x00]);
}

#[test]
fn chain4_addressing() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_13);
    v.mem_write(0xA0005, 0x42);
    // Plane 1, plane address 4.
    assert_eq!(v.plane_byte(1, 4), 0x42);
    assert_eq!(v.vram()[4 * 4 + 1], 0x42);
    assert_eq!(v.plane_byte(1, 5), 0x00);
    assert_eq!(v.mem_read(0xA0005, 0), 0x42);
    assert_eq!(v.mem_read(0xA0004, 0), 0x00);
    for i in 0..8u32 {
        v.mem_write(0xA0100 + i, i as u8 + 1);
    }
    assert_eq!(v.plane_bytes(0x100), [1, 2, 3, 4]);
    assert_eq!(v.plane_bytes(0x104), [5, 6, 7, 8]);
    // Outside the 64K window at A0000h: floating, ignored.
    v.mem_write(0xB0000, 0x99);
    assert_eq!(v.mem_read(0xB0000, 0), 0xFF);
    assert_eq!(v.mem_read(0xC0000, 0), 0xFF);
}

#[test]
fn odd_even_addressing() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    v.mem_write(0xB8000, b'A');
    v.mem_write(0xB8001, 0x1F);
    v.mem_write(0xB8002, b'B');
    v.mem_write(0xB8003, 0x2E);
    assert_eq!(v.plane_byte(0, 0), b'A');
    assert_eq!(v.plane_byte(1, 0), 0x1F);
    assert_eq!(v.plane_byte(0, 2), b'B');
    assert_eq!(v.plane_byte(1, 2), 0x2E);
    assert_eq!(v.plane_byte(0, 1), 0);
    assert_eq!(v.mem_read(0xB8000, 0), b'A');
    assert_eq!(v.mem_read(0xB8001, 0), 0x1F);
    assert_eq!(v.mem_read(0xB8003, 0), 0x2E);
    // Mode 3 maps B8000h-BFFFFh only.
    assert_eq!(v.mem_read(0xA0000, 0), 0xFF);
    assert_eq!(v.mem_read(0xB0000, 0), 0xFF);
    v.mem_write(0xB0000, 1);
    assert_eq!(v.plane_byte(0, 0), b'A');
    // The map mask still gates: planes 0/1 only, so plane 2 (the font)
    // is never touched by text writes.
    assert_eq!(v.plane_byte(2, 0), 0);
}

#[test]
fn input_status_retrace_toggles_in_virtual_time() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    let frame = mode3_frame_ns(&v);
    // 449 lines of 100 9-dot characters at 28.322 MHz: 70 Hz.
    assert!((14_200_000..14_350_000).contains(&frame), "{frame}");
    let mut retrace_ns = 0;
    let mut rises = 0;
    let mut display_toggles = 0;
    let (mut last_vr, mut last_de) = (false, false);
    let step = 1_000;
    let mut t = 0;
    while t < 2 * frame {
        let s = v.read(0x3DA, 1, t) as u8;
        let vr = s & 0x08 != 0;
        let de = s & 0x01 != 0;
        if vr {
            retrace_ns += step;
            if !last_vr {
                rises += 1;
            }
        }
        if de != last_de {
            display_toggles += 1;
        }
        last_vr = vr;
        last_de = de;
        t += step;
    }
    assert_eq!(rises, 2, "one retrace per frame");
    // Two lines of retrace per frame (CR10=9Ch, CR11 low nibble Eh).
    assert!((100_000..160_000).contains(&retrace_ns), "{retrace_ns}");
    // The display-enable bit toggles every scanline.
    assert!(display_toggles > 700, "{display_toggles}");
    // Power-on registers still give a retrace to wait for.
    let mut z = Vga::new();
    outb(&mut z, 0x3C2, 0x01);
    let seen: Vec<bool> = (0..40)
        .map(|i| z.read(0x3DA, 1, i * 1_000_000) & 0x08 != 0)
        .collect();
    assert!(seen.contains(&true) && seen.contains(&false));
}

/// Mode 3 with a test font: glyph 41h has a known pattern, C4h and B3h
/// test the 9th column rule.
fn text_setup() -> Vga {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    let mut glyph = [0u8; 16];
    glyph[0] = 0b1000_0001;
    glyph[1] = 0xFF;
    glyph[5] = 0b0101_0101;
    load_glyph(&mut v, 0x41, &glyph);
    load_glyph(&mut v, 0xC4, &[0xFF; 16]);
    load_glyph(&mut v, 0xB3, &[0x01; 16]);
    set_dac(&mut v, 0x01, [0, 0, 42]);
    set_dac(&mut v, 0x3F, [63, 63, 63]);
    set_dac(&mut v, 0x3E, [63, 63, 21]);
    set_dac(&mut v, 0x07, [42, 42, 42]);
    cr(&mut v, 0x0A, 0x20); // cursor off
    v
}

fn put_char(v: &mut Vga, row: u32, col: u32, ch: u8, attr: u8) {
    let a = 0xB8000 + 2 * (row * 80 + col);
    v.mem_write(a, ch);
    v.mem_write(a + 1, attr);
}

#[test]
fn text_mode_glyph_pixels() {
    let mut v = text_setup();
    put_char(&mut v, 1, 2, 0x41, 0x1F);
    put_char(&mut v, 3, 0, 0xC4, 0x1F);
    put_char(&mut v, 3, 1, 0xB3, 0x1F);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Text {
            cols: 80,
            rows: 25,
            char_width: 9,
            char_height: 16
        }
    );
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (720, 400));
    let white = rgb6(63, 63, 63);
    let blue = rgb6(0, 0, 42);
    let (x0, y0) = (2 * 9, 16);
    let row = |f: &Frame, y: usize| -> Vec<bool> {
        (0..9).map(|x| f.pixel(x0 + x, y) == Some(white)).collect()
    };
    assert_eq!(
        row(&f, y0),
        [true, false, false, false, false, false, false, true, false]
    );
    assert_eq!(
        row(&f, y0 + 1),
        [true, true, true, true, true, true, true, true, false]
    );
    assert_eq!(
        row(&f, y0 + 5),
        [false, true, false, true, false, true, false, true, false]
    );
    assert_eq!(f.pixel(x0, y0 + 2), Some(blue));
    // Box-drawing C4h extends into the 9th column, B3h does not.
    assert_eq!(f.pixel(8, 48), Some(white));
    assert_eq!(f.pixel(9 + 7, 48), Some(white));
    assert_eq!(f.pixel(9 + 8, 48), Some(blue));
    // Line graphics off: the 9th column is background for C4h too.
    ar(&mut v, 0x10, 0x08);
    v.render(&mut f);
    assert_eq!(f.pixel(8, 48), Some(blue));
    // 8-dot characters: 640 pixels wide.
    seq(&mut v, 1, 0x01);
    v.render(&mut f);
    assert_eq!((f.width, f.height), (640, 400));
    assert_eq!(f.pixel(2 * 8 + 7, y0), Some(white));
    // Cells elsewhere are black on black (attribute 0).
    assert_eq!(f.pixel(630, 390), Some(0));
}

#[test]
fn text_blink_and_intensity() {
    let mut v = text_setup();
    put_char(&mut v, 0, 0, 0x41, 0x9E); // blinking yellow on blue
    let frame = mode3_frame_ns(&v);
    let yellow = rgb6(63, 63, 21);
    let blue = rgb6(0, 0, 42);
    let mut f = Frame::new();
    v.render_at(&mut f, 0);
    assert_eq!(f.pixel(0, 0), Some(yellow));
    v.render_at(&mut f, 16 * frame + 1);
    assert_eq!(f.pixel(0, 0), Some(blue), "blinked off");
    v.render_at(&mut f, 32 * frame + 1);
    assert_eq!(f.pixel(0, 0), Some(yellow), "back on");
    // Blink disabled: bit 7 gives a bright background (9 -> AR09 = 39h).
    set_dac(&mut v, 0x39, [10, 20, 30]);
    ar(&mut v, 0x10, 0x04);
    v.render_at(&mut f, 16 * frame + 1);
    assert_eq!(f.pixel(0, 0), Some(yellow));
    assert_eq!(f.pixel(1, 0), Some(rgb6(10, 20, 30)));
}

#[test]
fn text_cursor_shape_and_blink() {
    let mut v = text_setup();
    put_char(&mut v, 4, 10, b' ', 0x07);
    // Load a blank space glyph is all zeros already; cursor at row 4 col 10.
    let pos: u16 = 4 * 80 + 10;
    cr(&mut v, 0x0E, (pos >> 8) as u8);
    cr(&mut v, 0x0F, pos as u8);
    cr(&mut v, 0x0A, 14);
    cr(&mut v, 0x0B, 15);
    let frame = mode3_frame_ns(&v);
    let grey = rgb6(42, 42, 42);
    let mut f = Frame::new();
    v.render_at(&mut f, 0);
    let (x, y) = (10 * 9, 4 * 16);
    assert_eq!(f.pixel(x + 3, y + 13), Some(0));
    assert_eq!(f.pixel(x + 3, y + 14), Some(grey));
    assert_eq!(f.pixel(x + 8, y + 15), Some(grey));
    v.render_at(&mut f, 8 * frame + 1);
    assert_eq!(f.pixel(x + 3, y + 14), Some(0), "cursor blinks off");
    v.render_at(&mut f, 16 * frame + 1);
    assert_eq!(f.pixel(x + 3, y + 14), Some(grey));
    // Start after end: no cursor. Disable bit: no cursor.
    cr(&mut v, 0x0A, 15);
    cr(&mut v, 0x0B, 14);
    v.render_at(&mut f, 0);
    assert_eq!(f.pixel(x + 3, y + 14), Some(0));
    cr(&mut v, 0x0A, 0x20 | 14);
    cr(&mut v, 0x0B, 15);
    v.render_at(&mut f, 0);
    assert_eq!(f.pixel(x + 3, y + 14), Some(0));
    // `render` uses the latest time seen.
    cr(&mut v, 0x0A, 14);
    v.update(8 * frame + 1);
    v.render(&mut f);
    assert_eq!(f.pixel(x + 3, y + 14), Some(0));
}

#[test]
fn text_screen_snapshot() {
    let mut v = text_setup();
    for (i, &b) in b"HELLO".iter().enumerate() {
        put_char(&mut v, 0, i as u32, b, 0x07);
    }
    for (i, &b) in b"C:\\>".iter().enumerate() {
        put_char(&mut v, 2, i as u32, b, 0x07);
    }
    put_char(&mut v, 3, 0, 0xC9, 0x07);
    put_char(&mut v, 3, 1, 0xCD, 0x07);
    cr(&mut v, 0x0A, 0x0E);
    cr(&mut v, 0x0E, 0);
    cr(&mut v, 0x0F, 2 * 80 + 4);
    let s = v.text_screen().unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 25);
    assert_eq!(lines[0], "HELLO");
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "C:\\>");
    assert_eq!(lines[3], "╔═");
    let Some(cells) = v.text_cells() else {
        panic!("not a text mode");
    };
    assert_eq!(cells.cursor, Some((2, 4)));
    assert!(cells.contains("C:\\>"));
    assert_eq!(cells.cells[0], (b'H', 0x07));
    // Start address moves the screen by a row.
    cr(&mut v, 0x0C, 0);
    cr(&mut v, 0x0D, 80);
    let s = v.text_screen().unwrap_or_default();
    assert_eq!(s.lines().next(), Some(""));
    // Graphics modes have no text.
    set_mode(&mut v, &MODE_13);
    assert_eq!(v.text_screen(), None);
    assert_eq!(cp437_to_char(0x41), 'A');
    assert_eq!(cp437_to_char(0xB3), '│');
    assert_eq!(cp437_to_char(0x00), ' ');
    assert_eq!(cp437_to_char(0xFE), '■');
    assert_eq!(cp437_to_char(0x01), '☺');
    assert_eq!(cp437_to_char(0xE0), 'α');
}

#[test]
fn mode_13h_pixel_through_the_dac() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_13);
    set_dac(&mut v, 0x42, [63, 0, 21]);
    v.mem_write(0xA0000 + 50 * 320 + 100, 0x42);
    v.mem_write(0xA0000 + 199 * 320 + 319, 0x42);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Packed256 {
            width: 320,
            height: 200,
            chained: true
        }
    );
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (320, 200));
    let c = rgb6(63, 0, 21);
    assert_eq!(c, 0xFF0055);
    assert_eq!(f.pixel(100, 50), Some(c));
    assert_eq!(f.pixel(101, 50), Some(0));
    assert_eq!(f.pixel(100, 51), Some(0));
    assert_eq!(f.pixel(319, 199), Some(c));
    // The pixel mask applies to the DAC index.
    set_dac(&mut v, 0x02, [0, 63, 0]);
    outb(&mut v, 0x3C6, 0x0F);
    v.render(&mut f);
    assert_eq!(f.pixel(100, 50), Some(0x00FF00));
    assert_eq!(f.to_rgba()[..4], [0, 0, 0, 0xFF]);
}

#[test]
fn mode_x_unchained() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_13);
    seq(&mut v, 4, 0x06);
    cr(&mut v, 0x14, 0x00);
    cr(&mut v, 0x17, 0xE3);
    set_dac(&mut v, 9, [0, 63, 63]);
    // Pixel (7, 3): plane 3, byte 3*80 + 1.
    seq(&mut v, 2, 1 << 3);
    v.mem_write(0xA0000 + 3 * 80 + 1, 9);
    // Second page at 16000 bytes shown through the start address.
    seq(&mut v, 2, 1);
    v.mem_write(0xA0000 + 16000, 9);
    seq(&mut v, 2, 0x0F);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Packed256 {
            width: 320,
            height: 200,
            chained: false
        }
    );
    assert_eq!(f.pixel(7, 3), Some(0x00FFFF));
    assert_eq!(f.pixel(6, 3), Some(0));
    assert_eq!(f.pixel(0, 0), Some(0));
    cr(&mut v, 0x0C, (16000 >> 8) as u8);
    cr(&mut v, 0x0D, (16000u32 & 0xFF) as u8);
    v.render(&mut f);
    assert_eq!(f.pixel(0, 0), Some(0x00FFFF));
    // 240 lines (Mode X proper).
    cr(&mut v, 0x11, 0x2C);
    cr(&mut v, 0x06, 0x0D);
    cr(&mut v, 0x07, 0x3E);
    cr(&mut v, 0x12, 0xDF);
    v.render(&mut f);
    assert_eq!((f.width, f.height), (320, 240));
}

#[test]
fn mode_12h_planar_pixel() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    set_dac(&mut v, 0x3C, [63, 21, 21]);
    // Colour 0Ch at (13, 479) with write mode 2 and a bit mask.
    let (x, y) = (13u32, 479u32);
    v.mem_read(0xA0000 + y * 80 + x / 8, 0);
    gr(&mut v, 5, 0x02);
    gr(&mut v, 8, 0x80 >> (x % 8));
    v.mem_write(0xA0000 + y * 80 + x / 8, 0x0C);
    gr(&mut v, 8, 0xFF);
    gr(&mut v, 5, 0x00);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Planar16 {
            width: 640,
            height: 480
        }
    );
    assert_eq!(f.pixel(13, 479), Some(rgb6(63, 21, 21)));
    assert_eq!(f.pixel(12, 479), Some(0));
    assert_eq!(f.pixel(14, 479), Some(0));
    // Colour plane enable masks plane 3 away: colour 4 (AR04 = 04h).
    set_dac(&mut v, 0x04, [42, 0, 0]);
    ar(&mut v, 0x12, 0x07);
    v.render(&mut f);
    assert_eq!(f.pixel(13, 479), Some(rgb6(42, 0, 0)));
    // Horizontal pixel panning by 3.
    ar(&mut v, 0x12, 0x0F);
    ar(&mut v, 0x13, 0x03);
    v.render(&mut f);
    assert_eq!(f.pixel(10, 479), Some(rgb6(63, 21, 21)));
}

#[test]
fn line_compare_splits_the_screen() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    set_dac(&mut v, 0x3F, [63, 63, 63]);
    // White pixel at address 0 (top left of memory).
    v.mem_write(0xA0000, 0x80);
    // Show from 8000 bytes on, split after line 99.
    cr(&mut v, 0x0C, (8000 >> 8) as u8);
    cr(&mut v, 0x0D, (8000 & 0xFF) as u8);
    cr(&mut v, 0x18, 99);
    outb(&mut v, 0x3D4, 0x07);
    let ov = inb(&mut v, 0x3D5) & !0x10;
    cr(&mut v, 0x07, ov);
    outb(&mut v, 0x3D4, 0x09);
    let mx = inb(&mut v, 0x3D5) & !0x40;
    cr(&mut v, 0x09, mx);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(f.pixel(0, 0), Some(0));
    assert_eq!(f.pixel(0, 99), Some(0));
    assert_eq!(f.pixel(0, 100), Some(rgb6(63, 63, 63)));
    assert_eq!(f.pixel(0, 101), Some(0));
}

#[test]
fn cga_320x200_four_colours() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_04);
    set_dac(&mut v, 0x15, [63, 0, 63]);
    set_dac(&mut v, 0x17, [63, 63, 63]);
    // Line 0: pixel 1 colour 2. Line 1 (odd bank at 2000h): pixel 6 colour 3.
    v.mem_write(0xB8000, 0b0010_0000);
    v.mem_write(0xB8000 + 0x2000 + 1, 0b0000_1100);
    // Line 5: odd bank, row 2: pixel 318 colour 3.
    v.mem_write(0xB8000 + 0x2000 + 2 * 80 + 79, 0b0000_1100);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Cga4 {
            width: 320,
            height: 200
        }
    );
    assert_eq!(f.pixel(1, 0), Some(rgb6(63, 0, 63)));
    assert_eq!(f.pixel(0, 0), Some(0));
    assert_eq!(f.pixel(6, 1), Some(rgb6(63, 63, 63)));
    assert_eq!(f.pixel(6, 0), Some(0));
    assert_eq!(f.pixel(318, 5), Some(rgb6(63, 63, 63)));
}

#[test]
fn cga_640x200_two_colours() {
    // Mode 6: planar with one plane, CGA row interleave.
    let mode6 = ModeRegs {
        misc: 0x63,
        seq: [0x01, 0x01, 0x00, 0x06],
        crtc: [
            0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x00, 0x96, 0xB9, 0xC2, 0xFF,
        ],
        gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0D, 0x00, 0xFF],
        ac: [
            0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
            0x17, 0x17, 0x01, 0x00, 0x01, 0x00,
        ],
    };
    let mut v = Vga::new();
    set_mode(&mut v, &mode6);
    set_dac(&mut v, 0x17, [63, 63, 63]);
    v.mem_write(0xB8000 + 0x2000 + 80 + 1, 0x01); // line 3, pixel 15
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (640, 200));
    assert_eq!(f.pixel(15, 3), Some(0xFFFFFF));
    assert_eq!(f.pixel(14, 3), Some(0));
    assert_eq!(f.pixel(15, 2), Some(0));
}

#[test]
fn vbe_identification_and_caps() {
    let mut v = Vga::new();
    dispi_write(&mut v, VBE_DISPI_INDEX_ID, VBE_DISPI_ID0);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID0);
    dispi_write(&mut v, VBE_DISPI_INDEX_ID, 0x1234);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID0);
    dispi_write(&mut v, VBE_DISPI_INDEX_ID, VBE_DISPI_ID5);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    dispi_write(&mut v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_XRES), VBE_DISPI_MAX_XRES);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_YRES), VBE_DISPI_MAX_YRES);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_BPP), 32);
    dispi_write(&mut v, VBE_DISPI_INDEX_ENABLE, 0);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_XRES), 640);
    // The FF80h/FF81h aliases.
    v.write(
        VBE_DISPI_IOPORT_INDEX_ALT,
        2,
        u32::from(VBE_DISPI_INDEX_XRES),
        0,
    );
    v.write(VBE_DISPI_IOPORT_DATA_ALT, 2, 800, 0);
    assert_eq!(v.read(VBE_DISPI_IOPORT_DATA, 2, 0), 800);
    assert_eq!(v.read(VBE_DISPI_IOPORT_INDEX, 2, 0), 1);
    assert_eq!(Vga::with_vram_size(1).vram_size(), 256 << 10);
}

/// Sets a VBE mode as SeaBIOS does.
fn vbe_mode(v: &mut Vga, w: u16, h: u16, bpp: u16, flags: u16) {
    dispi_write(v, VBE_DISPI_INDEX_ENABLE, 0);
    dispi_write(v, VBE_DISPI_INDEX_BPP, bpp);
    dispi_write(v, VBE_DISPI_INDEX_XRES, w);
    dispi_write(v, VBE_DISPI_INDEX_YRES, h);
    dispi_write(v, VBE_DISPI_INDEX_BANK, 0);
    dispi_write(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | flags);
}

#[test]
fn vbe_640x480x32_lfb_pixel() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    v.mem_write(0xB8000, b'X');
    vbe_mode(&mut v, 640, 480, 32, VBE_DISPI_LFB_ENABLED);
    assert!(v.vbe_enabled() && v.lfb_enabled());
    assert_eq!(
        v.display_mode(),
        DisplayMode::Vbe {
            width: 640,
            height: 480,
            bpp: 32
        }
    );
    assert_eq!(v.text_screen(), None);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_VIRT_WIDTH), 640);
    assert_eq!(
        dispi_read(&mut v, VBE_DISPI_INDEX_VIRT_HEIGHT),
        ((16 << 20) / (640 * 4)) as u16
    );
    let off = (10 * 640 + 20) * 4;
    v.lfb_write(off, 0x11);
    v.lfb_write(off + 1, 0x22);
    v.lfb_write(off + 2, 0x33);
    assert_eq!(v.lfb_read(off + 2), 0x33);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (640, 480));
    assert_eq!(f.pixel(20, 10), Some(0x332211));
    assert_eq!(f.pixel(21, 10), Some(0));
    // Direct mapping of video memory is the same thing.
    v.vram_mut()[(479 * 640 + 639) * 4 + 1] = 0xFF;
    v.render(&mut f);
    assert_eq!(f.pixel(639, 479), Some(0x00FF00));
    // Display start (panning / double buffering).
    dispi_write(&mut v, VBE_DISPI_INDEX_Y_OFFSET, 10);
    dispi_write(&mut v, VBE_DISPI_INDEX_X_OFFSET, 20);
    v.render(&mut f);
    assert_eq!(f.pixel(0, 0), Some(0x332211));
    // The mode cannot change while enabled; VGA text comes back after.
    dispi_write(&mut v, VBE_DISPI_INDEX_XRES, 800);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_XRES), 640);
    dispi_write(&mut v, VBE_DISPI_INDEX_ENABLE, 0);
    assert!(!v.vbe_enabled());
    assert!(v.text_screen().is_some());
    assert_eq!(v.lfb_read(u32::MAX), 0xFF);
    v.lfb_write(u32::MAX, 1);
}

#[test]
fn vbe_mode_set_clears_unless_asked_not_to() {
    let mut v = Vga::new();
    v.lfb_write(100, 7);
    vbe_mode(&mut v, 640, 480, 8, VBE_DISPI_NOCLEARMEM);
    assert_eq!(v.lfb_read(100), 7);
    vbe_mode(&mut v, 640, 480, 8, 0);
    assert_eq!(v.lfb_read(100), 0);
    // A mode that does not fit is refused.
    let mut small = Vga::with_vram_size(1 << 20);
    vbe_mode(&mut small, 1280, 1024, 32, 0);
    assert!(!small.vbe_enabled());
}

#[test]
fn vbe_banked_8bpp_and_direct_colour_depths() {
    let mut v = Vga::new();
    vbe_mode(&mut v, 800, 600, 8, 0);
    set_dac(&mut v, 7, [0, 63, 0]);
    dispi_write(&mut v, VBE_DISPI_INDEX_BANK, 2);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_BANK), 2);
    v.mem_write(0xA0005, 7);
    assert_eq!(v.vram()[0x2_0005], 7);
    assert_eq!(v.mem_read(0xA0005, 0), 7);
    // Only the 64K window at A0000h is decoded.
    v.mem_write(0xB0005, 9);
    assert_eq!(v.mem_read(0xB0005, 0), 0xFF);
    // Banks past video memory wrap (and read back differently).
    dispi_write(&mut v, VBE_DISPI_INDEX_BANK, 300);
    assert_ne!(dispi_read(&mut v, VBE_DISPI_INDEX_BANK), 300);
    let mut f = Frame::new();
    v.render(&mut f);
    let (x, y) = (0x2_0005 % 800, 0x2_0005 / 800);
    assert_eq!(f.pixel(x, y), Some(0x00FF00));
    // 8-bit DAC.
    dispi_write(
        &mut v,
        VBE_DISPI_INDEX_ENABLE,
        VBE_DISPI_ENABLED | VBE_DISPI_8BIT_DAC,
    );
    set_dac(&mut v, 7, [0x80, 0x81, 0x82]);
    v.render(&mut f);
    assert_eq!(f.pixel(x, y), Some(0x808182));

    for (bpp, bytes, want) in [
        (16u16, vec![0x1F, 0xF8], 0xFF00FF),    // red 31, blue 31
        (15, vec![0xE0, 0x03], 0x00FF00),       // green 31
        (24, vec![0x01, 0x02, 0x03], 0x030201), // B, G, R
    ] {
        vbe_mode(&mut v, 320, 200, bpp, 0);
        let per = bytes.len() as u32;
        let off = (5 * 320 + 6) * per;
        for (i, b) in bytes.iter().enumerate() {
            v.lfb_write(off + i as u32, *b);
        }
        v.render(&mut f);
        assert_eq!((f.width, f.height), (320, 200));
        assert_eq!(f.pixel(6, 5), Some(want), "{bpp} bpp");
    }
}

#[test]
fn vbe_virtual_width() {
    let mut v = Vga::new();
    vbe_mode(&mut v, 640, 480, 8, 0);
    set_dac(&mut v, 1, [63, 63, 63]);
    dispi_write(&mut v, VBE_DISPI_INDEX_VIRT_WIDTH, 1024);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_VIRT_WIDTH), 1024);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_VIRT_HEIGHT), 16384);
    v.lfb_write(3 * 1024 + 2, 1);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(f.pixel(2, 3), Some(0xFFFFFF));
    // Narrower than the mode: clamped to XRES.
    dispi_write(&mut v, VBE_DISPI_INDEX_VIRT_WIDTH, 100);
    assert_eq!(dispi_read(&mut v, VBE_DISPI_INDEX_VIRT_WIDTH), 640);
}

#[test]
fn vbe_planar_4bpp() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_12);
    set_dac(&mut v, 0x3F, [63, 63, 63]);
    vbe_mode(&mut v, 1024, 768, 4, 0);
    // 1024x768 planar needs 96K per plane: pixel (0, 700) sits in bank 1.
    let addr = 700 * 128;
    dispi_write(&mut v, VBE_DISPI_INDEX_BANK, (addr >> 16) as u16);
    v.mem_write(0xA0000 + (addr & 0xFFFF), 0x80);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (1024, 768));
    assert_eq!(f.pixel(0, 700), Some(0xFFFFFF));
    assert_eq!(f.pixel(1, 700), Some(0));
    assert_eq!(f.pixel(0, 699), Some(0));
}

#[test]
fn blanked_screen_is_black() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_13);
    set_dac(&mut v, 1, [63, 63, 63]);
    v.mem_write(0xA0000, 1);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!(f.pixel(0, 0), Some(0xFFFFFF));
    inb(&mut v, 0x3DA);
    outb(&mut v, 0x3C0, 0x00); // palette address source off
    v.render(&mut f);
    assert_eq!((f.width, f.height), (320, 200));
    assert_eq!(f.pixel(0, 0), Some(0));
    outb(&mut v, 0x3C0, 0x00);
    outb(&mut v, 0x3C0, 0x20);
    seq(&mut v, 1, 0x21); // screen off
    v.render(&mut f);
    assert_eq!(f.pixel(0, 0), Some(0));
}

#[test]
fn clone_is_a_snapshot() {
    let mut v = Vga::new();
    set_mode(&mut v, &MODE_03);
    v.mem_write(0xB8000, b'Q');
    let snap = v.clone();
    v.mem_write(0xB8000, b'R');
    cr(&mut v, 0x0F, 5);
    assert_eq!(snap.plane_byte(0, 0), b'Q');
    assert_eq!(snap.cursor_address(), 0);
    assert_eq!(v.plane_byte(0, 0), b'R');
}

#[test]
fn no_panic_on_arbitrary_guest_input() {
    let mut v = Vga::with_vram_size(1 << 20);
    let mut f = Frame::new();
    v.render(&mut f);
    assert!(f.width >= 1 && f.height >= 1);
    let mut x: u64 = 0x1234_5678_9ABC_DEF0;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let ports: Vec<u16> = (0x3B0..=0x3DF)
        .chain([0x1CE, 0x1CF, 0xFF80, 0xFF81])
        .collect();
    for i in 0..200_000u64 {
        let r = next();
        let port = ports[(r % ports.len() as u64) as usize];
        let size = [1u8, 2, 4, 3, 0][(r >> 8) as usize % 5];
        let value = (r >> 16) as u32;
        match (r >> 60) % 4 {
            0 => v.write(port, size, value, i * 97),
            1 => {
                v.read(port, size, i * 97);
            }
            2 => v.mem_write(0x9_0000 + (value % 0x5_0000), value as u8),
            _ => {
                v.mem_read(0x9_0000 + (value % 0x5_0000), i);
            }
        }
        if i % 5_000 == 0 {
            v.render(&mut f);
            assert_eq!(f.pixels.len(), f.width * f.height);
            assert!(f.width >= 1 && f.height >= 1);
            let _ = v.text_screen();
        }
    }
    // Every dispi register with extreme values, then render.
    for index in 0..16u16 {
        for value in [0u16, 1, 4, 7, 8, 0x7FFF, 0xFFFF] {
            dispi_write(&mut v, index, value);
            dispi_write(&mut v, VBE_DISPI_INDEX_ENABLE, 1);
            v.render(&mut f);
            assert_eq!(f.pixels.len(), f.width * f.height);
            dispi_write(&mut v, VBE_DISPI_INDEX_ENABLE, 0);
        }
    }
}

#[test]
fn qemu_mmio_bar() {
    let mut v = Vga::new();
    v.mmio_bar_write(0x502, 2, 1024, 0); // XRES
    v.mmio_bar_write(0x504, 2, 768, 0); // YRES
    v.mmio_bar_write(0x506, 2, 32, 0); // BPP
    v.mmio_bar_write(0x508, 2, 0x41, 0); // ENABLE
    assert_eq!(
        v.display_mode(),
        DisplayMode::Vbe {
            width: 1024,
            height: 768,
            bpp: 32
        }
    );
    assert_eq!(v.mmio_bar_read(0x500, 2, 0), u32::from(VBE_DISPI_ID5));
    assert_eq!(v.mmio_bar_read(0x514, 2, 0), 256);
    assert_eq!(v.mmio_bar_read(0x600, 4, 0), 0, "no qext");
    // The VGA ports: misc output at 3C2h, read back at 3CCh.
    v.mmio_bar_write(0x402, 1, 0x67, 0);
    assert_eq!(v.mmio_bar_read(0x40C, 1, 0), 0x67);
    // Sequencer index and data in one 16-bit write.
    v.mmio_bar_write(0x404, 2, 0x0F02, 0);
    assert_eq!(v.mmio_bar_read(0x404, 2, 0), 0x0F02);
    // The last byte of the window does not spill into port 3E0h.
    v.mmio_bar_write(0x41F, 4, 0xFFFF_FFFF, 0);
    assert_eq!(v.mmio_bar_read(0x41F, 2, 0) >> 8, 0xFF);
}

#[test]
fn text_geometries() {
    let mut v = text_setup();
    // 8-line characters: 50 rows in 400 scanlines.
    outb(&mut v, 0x3D4, 0x09);
    let mx = inb(&mut v, 0x3D5);
    cr(&mut v, 0x09, (mx & 0xE0) | 7);
    assert_eq!(
        v.display_mode(),
        DisplayMode::Text {
            cols: 80,
            rows: 50,
            char_width: 9,
            char_height: 8
        }
    );
    put_char(&mut v, 49, 79, b'Z', 0x07);
    let s = v.text_screen().unwrap_or_default();
    assert_eq!(s.lines().count(), 50);
    assert!(s
        .lines()
        .nth(49)
        .is_some_and(|l| l.ends_with('Z') && l.len() == 80));
    // 350 scanlines of 8-line characters: 43 rows.
    cr(&mut v, 0x11, 0x0E);
    cr(&mut v, 0x12, 0x5D);
    cr(&mut v, 0x07, 0x1F);
    let mut f = Frame::new();
    v.render(&mut f);
    assert_eq!((f.width, f.height), (720, 344));
    assert_eq!(v.text_screen().unwrap_or_default().lines().count(), 43);
    // 40 columns: half the characters of a row.
    cr(&mut v, 0x01, 0x27);
    cr(&mut v, 0x13, 0x14);
    v.render(&mut f);
    assert_eq!(f.width, 360);
    // Double scanning halves the rows.
    cr(&mut v, 0x09, 0x80 | (mx & 0x60) | 7);
    assert!(matches!(
        v.display_mode(),
        DisplayMode::Text { rows: 21, .. }
    ));
}
