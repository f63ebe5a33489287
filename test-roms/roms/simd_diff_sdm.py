#!/usr/bin/env python3
"""Write simd_diff.sdm: the lines of QEMU's simd_diff output that the Intel
SDM says differently, recomputed here from the line's own operands and
QEMU's results (docs/simd-differences.md explains each tag).

Usage: simd_diff_sdm.py QEMU_OUTPUT   (then run simd_diff_ref.py)

Tags:
  tw   MMX writes set bits 79:64 of the register to ones (SDM vol. 1,
       9.6.2; vol. 3, 12.2), so FNSTENV tags R0 and R1 (written by MOVQ and the op)
       "special" (10b); QEMU leaves the exponent alone and tags a zero
       value 01b.
  de   DE is set for a denormal source when DAZ = 0 (SDM vol. 1, 11.5.2.2),
       in each lane the instruction computes that has no NaN source and no
       other invalid operation; QEMU 7.2 never sets DE.  Conversions to
       integers and from integers do not signal DE.
  xm   An exception whose MXCSR mask bit is clear raises #XM (CR4.OSXMMEXCPT
       is set) with the destination unchanged (SDM vol. 1, 11.5.1-11.5.3);
       a pre-computation exception (IE, DE, ZE) in any lane stops the whole
       instruction with only the pre-computation flags set.  QEMU 7.2 never
       raises #XM and stores the masked result.  With UE unmasked an exact
       tiny result also raises it (vol. 1, 4.9.1.5).
  pe   With OE or UE unmasked, PE reports whether the result rounded with an
       unbounded exponent is inexact (vol. 1, 4.9.1.4-4.9.1.5); QEMU reports
       the inexactness of the masked (infinite, denormal or flushed) result.
       With CR4.OSXMMEXCPT = 0 (lines with osx=0) the exception is #UD
       instead (vol. 3, interrupt 6 and interrupt 19).
  ldmxcsr  LDMXCSR with a reserved bit (31:16, MXCSR_MASK = FFFFh) set
       raises #GP(0) and leaves MXCSR alone (vol. 2, LDMXCSR; vol. 1,
       11.6.6); QEMU 7.2 loads it.
  nan  With a NaN source, ADD/SUB/MUL/DIV return the first source operand if
       it is a NaN (quieted), else the second (vol. 1, table 4-7); QEMU
       picks between two NaNs by the x87 rules.
  daz  With DAZ a denormal source is zero before any computation (vol. 1,
       10.2.3.4), so MAX/MIN return a zero of its sign; QEMU returns the
       denormal.
"""
import sys
from fractions import Fraction

IE, DE, ZE, OE, UE, PE = 1, 2, 4, 8, 16, 32

def basename(name):
    """The instruction of an op name: no immediate, no _m/_u (memory) or
    _w (any immediate) suffix."""
    base = name.split(".")[0]
    for suf in ("_m", "_u", "_w"):
        if base.endswith(suf):
            base = base[:-2]
    return base


# name -> (bits, lanes computed, uses a, signals DE)
def shape(name):
    base = basename(name)
    table = {
        "cvtps2pi": (32, 2, False, False), "cvttps2pi": (32, 2, False, False),
        "cvtss2si": (32, 1, False, False), "cvttss2si": (32, 1, False, False),
        "cvtps2dq": (32, 4, False, False), "cvttps2dq": (32, 4, False, False),
        "cvtps2pd": (32, 2, False, True), "cvtss2sd": (32, 1, False, True),
        "cvtpd2ps": (64, 2, False, True), "cvtsd2ss": (64, 1, False, True),
        "cvtpd2dq": (64, 2, False, False), "cvttpd2dq": (64, 2, False, False),
        "cvtpd2pi": (64, 2, False, False), "cvttpd2pi": (64, 2, False, False),
        "cvtsd2si": (64, 1, False, False), "cvttsd2si": (64, 1, False, False),
        "comiss": (32, 1, True, True), "ucomiss": (32, 1, True, True),
        "comisd": (64, 1, True, True), "ucomisd": (64, 1, True, True),
        "sqrtps": (32, 4, False, True), "sqrtss": (32, 1, False, True),
        "sqrtpd": (64, 2, False, True), "sqrtsd": (64, 1, False, True),
    }
    if base in table:
        return table[base]
    for op in ("add", "sub", "mul", "div", "max", "min", "cmp"):
        if base.startswith(op):
            suf = base[len(op):]
            return {"ps": (32, 4, True, True), "ss": (32, 1, True, True),
                    "pd": (64, 2, True, True), "sd": (64, 1, True, True)}[suf]
    return None


def lanes(hexstr, bits):
    n = bits // 4
    return [int(hexstr[i:i + n], 16) for i in range(0, len(hexstr), n)][::-1]


def classify(v, bits):
    e = (v >> (23 if bits == 32 else 52)) & (0xFF if bits == 32 else 0x7FF)
    m = v & ((1 << (23 if bits == 32 else 52)) - 1)
    emax = 0xFF if bits == 32 else 0x7FF
    if e == emax:
        return "nan" if m else "inf"
    if e == 0:
        return "den" if m else "zero"
    return "norm"


def de_raised(name, f):
    sh = shape(name)
    if not sh or not sh[3]:
        return False
    bits, n, uses_a, _ = sh
    mx = int(f["m"], 16)
    if mx & 0x40:                       # DAZ
        return False
    a, b = lanes(f["a"], bits), lanes(f["b"], bits)
    sqrt = name.startswith("sqrt")
    for i in range(n):
        srcs = [b[i]] + ([a[i]] if uses_a else [])
        cls = [classify(s, bits) for s in srcs]
        if "nan" in cls or "den" not in cls:
            continue
        if sqrt and b[i] >> (bits - 1):
            continue                    # negative: invalid instead
        if name.startswith("div") and classify(b[i], bits) == "zero":
            continue                    # divide by zero instead
        return True
    return False


def quiet(v, bits):
    return v | (1 << (22 if bits == 32 else 51))


def fix_lanes(name, f, xo):
    """The SDM's result lanes where QEMU's differ (tags nan, daz)."""
    base = basename(name)
    sh = shape(name)
    if not sh or base[:3] not in ("add", "sub", "mul", "div", "max", "min"):
        return xo, []
    bits, n, _, _ = sh
    a, b, x = lanes(f["a"], bits), lanes(f["b"], bits), lanes(xo, bits)
    daz = int(f["m"], 16) & 0x40
    tags = []
    for i in range(n):
        if base[:3] in ("max", "min"):
            if daz and classify(x[i], bits) == "den":
                x[i] &= 1 << (bits - 1)
                tags.append("daz")
        elif classify(a[i], bits) == "nan" or classify(b[i], bits) == "nan":
            want = quiet(a[i] if classify(a[i], bits) == "nan" else b[i], bits)
            if x[i] != want:
                x[i] = want
                tags.append("nan")
    w = bits // 4
    return "".join("%0*X" % (w, v) for v in x[::-1]), sorted(set(tags))


def tiny_exact(name, f, xo, raised):
    """An exact tiny (denormal) result: UE when UE is unmasked."""
    base = basename(name)
    sh = shape(name)
    if not sh or raised & UE or base[:3] not in ("add", "sub", "mul", "div", "cvt"):
        return False
    bits, n, _, _ = sh
    if base in ("cvtpd2ps", "cvtsd2ss"):
        bits = 32
    elif base.startswith("cvt"):
        return False
    x = lanes(xo, bits)
    return any(classify(x[i], bits) == "den" for i in range(n))


def value(v, bits, daz):
    """The exact value of a finite operand (None for NaN/inf)."""
    c = classify(v, bits)
    if c in ("nan", "inf"):
        return None
    mb, bias = (23, 127) if bits == 32 else (52, 1023)
    e = (v >> mb) & ((1 << (bits - 1 - mb)) - 1)
    m = v & ((1 << mb) - 1)
    if c == "den" and daz or c == "zero":
        return Fraction(0)
    r = Fraction(m if e == 0 else m | (1 << mb), 1) * Fraction(2) ** ((e or 1) - bias - mb)
    return -r if v >> (bits - 1) else r


def representable(r, p):
    """Whether r has at most p significant bits (any exponent)."""
    if r == 0:
        return True
    r = abs(r)
    while r.denominator != 1 and r.denominator % 2 == 0 and r < 2 ** p:
        r *= 2
    while r.numerator % 2 == 0 and r >= 2 ** p:
        r /= 2
    return r.denominator == 1 and r < 2 ** p


def post_pe(name, f):
    """PE for an #XM after the computation (OE or UE unmasked): a lane whose
    result overflows or underflows with that exception unmasked reports
    whether the result rounded with an unbounded exponent is inexact (vol.
    1, 4.9.1.4-4.9.1.5); with it masked, the masked response's inexactness
    (an infinity or a flush to zero always, a denormal when bits are lost);
    other lanes their ordinary inexactness.  None where this model does not
    apply."""
    base = basename(name)
    sh = shape(name)
    narrow = base in ("cvtsd2ss", "cvtpd2ps")
    if not sh or base[:3] not in ("add", "sub", "mul", "div") and not narrow:
        return None
    bits, n, _, _ = sh
    out_bits = 32 if bits == 32 or narrow else 64
    p, emin, emax = (24, -126, 127) if out_bits == 32 else (53, -1022, 1023)
    mx = int(f["m"], 16)
    daz, ftz = mx & 0x40, mx & 0x8000
    masked = mx >> 7
    a, b = lanes(f["a"], bits), lanes(f["b"], bits)
    pe = False
    for i in range(n):
        x, y = value(a[i], bits, daz), value(b[i], bits, daz)
        if narrow:
            if y is None:
                continue
            r = y
        else:
            if x is None or y is None:
                continue
            op = base[:3]
            if op == "div" and y == 0:
                continue
            r = {"add": lambda: x + y, "sub": lambda: x - y,
                 "mul": lambda: x * y, "div": lambda: x / y}[op]()
        exact = representable(r, p)
        if r != 0 and abs(r) < Fraction(2) ** emin and masked & UE:
            if ftz:
                pe = True
            else:
                q = r * Fraction(2) ** (p - 1 - emin)
                pe |= q.denominator != 1
        elif abs(r) >= Fraction(2) ** (emax + 1) and masked & OE:
            pe = True
        else:
            pe |= not exact
    return pe


def fields(line):
    t = line.split()
    head, rest = t[:2], t[2:]
    gt = rest.index(">")
    ins = [x.split("=", 1) for x in rest[:gt]]
    outs = [x.split("=", 1) for x in rest[gt + 1:]]
    return head, ins, outs


def fmt(head, ins, outs):
    return " ".join(head + ["%s=%s" % tuple(kv) for kv in ins] + [">"]
                    + ["%s=%s" % tuple(kv) for kv in outs])


def correct(line, section):
    t = line.split()
    if len(t) < 3 or not t[0].isdigit():
        return None, None
    head, ins, outs = fields(line)
    name = head[1]
    fi = dict(ins)
    if "exc" in dict(outs):
        return None, None               # #GP: nothing computed
    if name == "ldmxcsr":
        if int(fi["b"][-8:], 16) >> 16 == 0:
            return None, None
        outs = [(k, fi["m"] if k == "m" else v) for k, v in outs] + [("exc", "0D")]
        return "ldmxcsr", fmt(head, ins, outs)
    if section == "mmx":
        if name == "emms":
            return None, None
        tw = int(dict(outs)["tw"], 16)
        new = (tw & ~0xF) | 0xA
        if new == tw:
            return None, None
        outs = [(k, "%04X" % new if k == "tw" else v) for k, v in outs]
        return "tw", fmt(head, ins, outs)
    if "m" not in fi or shape(name) is None and not name.startswith("cvtpi2p") \
            and not name.startswith("cvtsi2s") and not name.startswith("cvtdq2p"):
        return None, None
    fo = dict(outs)
    mx_in = int(fi["m"], 16)
    mx_out = int(fo["m"], 16)
    raised = (mx_out & ~mx_in) & 0x3F
    tags = []
    if de_raised(name, fi) and not raised & DE:
        raised |= DE
        tags.append("de")
    if "x" in fo:
        x, t = fix_lanes(name, fi, fo["x"])
        if t:
            tags += t
            outs = [(k, x if k == "x" else v) for k, v in outs]
            fo = dict(outs)
    unmasked = ~(mx_in >> 7) & 0x3F
    if unmasked & UE and "x" in fo and tiny_exact(name, fi, fo["x"], raised):
        raised |= UE
        tags.append("ue")
    if raised & unmasked:
        tags.append("xm")
        pre = raised & (IE | DE | ZE)
        flags = pre if pre & unmasked else raised
        if not pre & unmasked and unmasked & (OE | UE):
            pe = post_pe(name, fi)
            if pe is not None and bool(pe) != bool(flags & PE):
                flags ^= PE
                tags.append("pe")
        new = []
        for k, v in outs:
            if k == "x":
                v = fi["a"]
            elif k == "q":
                v = fi["a"][-16:]
            elif k == "r":
                v = fi["b"][-8:]
            elif k == "f":
                continue
            elif k == "m":
                v = "%08X" % (mx_in | flags)
            new.append((k, v))
        new.append(("exc", "06" if fi.get("osx") == "0" else "13"))
        outs = new
    elif tags:
        outs = [(k, "%08X" % (mx_in | raised) if k == "m" else v) for k, v in outs]
    if not tags:
        return None, None
    return ",".join(tags), fmt(head, ins, outs)


def main():
    section = ""
    out = ["# SDM corrections of QEMU's simd_diff lines, written by simd_diff_sdm.py:",
           "# TAG<tab>line (docs/simd-differences.md)"]
    for l in open(sys.argv[1], encoding="ascii").read().splitlines():
        if l.startswith("SECTION "):
            section = l.split()[1]
            continue
        tag, fixed = correct(l, section)
        if tag:
            out.append(tag + "\t" + fixed)
    with open("simd_diff.sdm", "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
