//! Floating point in the Linux guest (issue 4, item 4): boots the Debian
//! kernel of ../shared/guests with `bench=0` (its /init then starts a shell
//! on ttyS0), types busybox awk programs on the serial port and checks the
//! digits they print. Skips loudly when the guest files are absent.
//!
//! The guest's busybox (Debian's busybox-static 1.35, i386) is built without
//! awk's math library: `atan2`, `sqrt`, `exp`, `log`, `sin` and `^` answer
//! "Math support is not compiled in". The `atan2(1,1)*4` check is kept (it
//! must print 3.141592653589793 on a guest whose awk has them), and pi is
//! also computed with awk's own arithmetic, which needs no library: every
//! awk `+ - * /` is one x87 instruction on doubles whose result busybox
//! stores back into a double (`setvar_i`), i.e. rounded to 64 bits by the
//! x87 (Linux starts processes with precision control 64) and then to 53 by
//! the store.
//!
//! Expected digits, derived independently of oxbox by evaluating the same
//! programs in Python with exact rationals, each operation rounded to 64 and
//! then to 53 bits (nearest-even):
//!
//! ```python
//! from fractions import Fraction as F
//! def rnd(v, p):
//!     if v == 0: return F(0)
//!     a = abs(v); e = a.numerator.bit_length() - a.denominator.bit_length()
//!     if F(2)**e > a: e -= 1
//!     n = a / F(2)**(e-p+1); i = n.numerator // n.denominator; r = n - i
//!     i += r > F(1,2) or (r == F(1,2) and i & 1)
//!     return (1 if v > 0 else -1) * i * F(2)**(e-p+1)
//! op = lambda v: rnd(rnd(v, 64), 53)        # x87 result, stored as a double
//! p = F(0)                                  # pi by BBP, small terms first
//! for k in range(11, -1, -1):
//!     t = op(op(op(op(F(4)/(8*k+1)) - op(F(2)/(8*k+4))) - op(F(1)/(8*k+5))) - op(F(1)/(8*k+6)))
//!     p = op(op(p/16) + t)
//! s = F(0)                                  # sum of 1/i^2, i = 1..100000
//! for i in range(1, 100001): s = op(s + op(F(1)/(i*i)))
//! y = F(1)                                  # sqrt(2) by Newton
//! for n in range(6): y = op(op(y + op(F(2)/y))/2)
//! print("%.15f %.12f %.17g %.15f" % (p, s, s, y))
//! # 3.141592653589793 1.644924066898 1.644924066898243 1.414213562373095
//! ```
//!
//! With every operation rounded straight to double (no x87) the sum would be
//! 1.6449240668982423 (3 ulps away); the other printed values are the same
//! in both models. glibc's printf (static in busybox) converts exactly.
//!
//! A second program checks the ends of the double range, each value again
//! derived with `op` above: 1/3 (`%.15f` 0.333333333333333, `%.17g`
//! 0.33333333333333331), 0.1+0.2 = 0.30000000000000004, 2^-1074 =
//! 4.9406564584124654e-324 reached by 1074 halvings (exact on the x87) and
//! half of it, a tie that the store to double rounds to even, 0;
//! 1.5 * 2^1023 = 1.3482698511467369e+308 and 2^1025, finite on the x87
//! but infinite once stored (`inf`, `-inf`); 1e300*1e8 = 1e+308,
//! 1/3e300 = 3.333333333333333e-301, 1e22+1 = 1e+22.
//!
//! QEMU 7.2 (`qemu-system-i386 -kernel vmlinuz-686 -initrd
//! initramfs.cpio.gz` with the same command line, the same text typed on
//! its serial port) prints exactly these lines too, and the same "Math
//! support is not compiled in" for atan2.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use oxbox_machine::{Config, LinuxBoot, Machine, Output, Stop};

fn guests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/guests")
}

/// What is typed at the guest shell. The marker is printed by `echo
/// FLOAT-$((6*7))` so that the echo of the typed line does not contain it.
const COMMAND: &[u8] = br#"awk 'BEGIN{printf "atan2 %.15f\n", atan2(1,1)*4}'; awk 'BEGIN{for(k=11;k>=0;k--){t=4/(8*k+1)-2/(8*k+4)-1/(8*k+5)-1/(8*k+6);p=p/16+t};printf "bbp %.15f\n",p;for(i=1;i<=100000;i++)s+=1/(i*i);printf "basel %.12f %.17g\n",s,s;y=1;for(n=0;n<6;n++)y=(y+2/y)/2;printf "newton %.15f\n",y}'; awk 'BEGIN{printf "third %.15f %.17g\n",1/3,1/3;printf "tenth %.17g\n",0.1+0.2;x=1;for(i=0;i<1074;i++)x/=2;printf "tiny %.17g %.17g\n",x,x/2;y=1;for(i=0;i<1023;i++)y*=2;printf "big %.17g %g %g\n",y*1.5,y*4,-y*4;printf "exp %.17g %.17g %.17g\n",1e300*1e8,1/3e300,1e22+1}'; echo FLOAT-$((6*7))
"#;

const NO_MATH: &str = "awk: cmd. line:1: Math support is not compiled in";

#[test]
fn busybox_awk_floating_point_in_the_linux_guest() {
    let kernel = guests().join("vmlinuz-686");
    let initrd = guests().join("initramfs.cpio.gz");
    let missing: Vec<&Path> = [kernel.as_path(), initrd.as_path()]
        .into_iter()
        .filter(|p| !p.is_file())
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: guest_float needs {missing:?} (../shared/guests)");
        println!("SKIPPED: guest_float needs {missing:?} (../shared/guests)");
        return;
    }
    let mut config = Config::new(Vec::new());
    config.ram_size = 128 << 20;
    config.linux = Some(LinuxBoot {
        kernel,
        initrd: Some(initrd),
        cmdline: "console=ttyS0,115200 bench=0 cryptomgr.notests=1 quiet".into(),
    });
    config.serial.push((0, Output::Capture));
    let mut m = Machine::new(config).expect("machine");

    m.set_stop_marker(Some(b"GUEST-SHELL"));
    let stop = m.run(8_000_000_000);
    let serial = String::from_utf8_lossy(m.serial_captured(0)).into_owned();
    assert_eq!(
        stop,
        Stop::Marker,
        "Linux did not reach GUEST-SHELL; serial so far:\n{serial}"
    );

    let start = m.serial_captured(0).len();
    m.serial_input(0, COMMAND);
    m.set_stop_marker(Some(b"FLOAT-42"));
    let stop = m.run(4_000_000_000);
    let out = String::from_utf8_lossy(&m.serial_captured(0)[start..]).into_owned();
    assert_eq!(
        stop,
        Stop::Marker,
        "the awk commands did not finish; serial since they were typed:\n{out}"
    );
    let lines: Vec<&str> = out.lines().map(|l| l.trim_end_matches('\r')).collect();

    // atan2 needs awk's math library, which this guest's busybox lacks.
    if lines.contains(&NO_MATH) {
        eprintln!("NOTE: the guest's busybox awk has no math library ({NO_MATH:?}); atan2(1,1)*4 not checked, pi computed with arithmetic only");
    } else {
        assert!(
            lines.contains(&"atan2 3.141592653589793"),
            "atan2(1,1)*4 printed wrong digits:\n{out}"
        );
    }
    for want in [
        "bbp 3.141592653589793",
        "basel 1.644924066898 1.644924066898243",
        "newton 1.414213562373095",
        "third 0.333333333333333 0.33333333333333331",
        "tenth 0.30000000000000004",
        "tiny 4.9406564584124654e-324 0",
        "big 1.3482698511467369e+308 inf -inf",
        "exp 1e+308 3.333333333333333e-301 1e+22",
    ] {
        assert!(
            lines.contains(&want),
            "the guest did not print {want:?}:\n{out}"
        );
    }
}
