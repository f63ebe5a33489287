#!/usr/bin/env bash
# Rebuild every test ROM image (roms/*.bin) from its nasm source (roms/*.asm).
# Each image must come out at exactly 65536 bytes.  Usage: roms/build.sh [name.asm ...]
set -euo pipefail
cd "$(dirname "$0")"
NASM=${NASM:-nasm}
if [ $# -gt 0 ]; then srcs=("$@"); else srcs=(*.asm); fi
status=0
for src in "${srcs[@]}"; do
    bin=${src%.asm}.bin
    if ! "$NASM" -f bin -w+all -o "$bin" "$src"; then
        echo "build.sh: $src failed to assemble" >&2
        status=1
        continue
    fi
    size=$(wc -c <"$bin")
    if [ "$size" -ne 65536 ]; then
        echo "build.sh: $bin is $size bytes, expected 65536" >&2
        status=1
        continue
    fi
    echo "built $bin"
done
exit $status
