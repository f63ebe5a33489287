#!/usr/bin/env python3
"""Write simd_diff.expected from QEMU's output of simd_diff.bin.

Usage: simd_diff_ref.py QEMU_OUTPUT
(QEMU_OUTPUT from the command in simd_diff.asm's header.)  Each operation
line whose number simd_diff.sdm corrects is replaced by the SDM line there
(docs/simd-differences.md); then every line is reduced to the low 24 bits
of its 32-bit FNV-1a hash, 16 per line of simd_diff.expected.
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))


def fnv24(line):
    h = 0x811C9DC5
    for b in line.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h & 0xFFFFFF


def main():
    lines = open(sys.argv[1], encoding="ascii").read().splitlines()
    fixes = {}
    with open(os.path.join(here, "simd_diff.sdm"), encoding="ascii") as f:
        for l in f:
            l = l.rstrip("\n")
            if not l or l.startswith("#"):
                continue
            _tag, line = l.split("\t", 1)
            fixes[line.split()[0]] = line
    out = []
    for l in lines:
        num = l.split()[0] if l.split() else ""
        if num in fixes:
            fixed = fixes.pop(num)
            if fixed.split(">")[0] != l.split(">")[0]:
                sys.exit(f"simd_diff.sdm corrects {num} but for other operands")
            l = fixed
        out.append("%06x" % fnv24(l))
    if fixes:
        sys.exit(f"simd_diff.sdm has lines QEMU's output lacks: {sorted(fixes)}")
    with open(os.path.join(here, "simd_diff.expected"), "w") as f:
        for i in range(0, len(out), 16):
            f.write(" ".join(out[i:i + 16]) + "\n")


if __name__ == "__main__":
    main()
