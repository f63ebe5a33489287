#!/usr/bin/env bash
# Cross-check the test ROMs against QEMU: run every roms/*.bin (builds
# nothing; see roms/build.sh) under qemu-system-i386 with the ROM as the
# BIOS, port E9h as the debug console and isa-debug-exit on port F4h.
#
# A ROM passes when it prints no FAIL line, prints DONE, and exits with
# status 1 (it wrote 0 failures to port F4h: QEMU exits with (v << 1) | 1).
# Exit status: 0 if every ROM passes, 1 otherwise.
#
# Per-ROM QEMU options: a line "; qemu-args: ARGS" in the ROM's source
# (NAME.asm beside NAME.bin) adds ARGS to that ROM's command line, e.g.
# "; qemu-args: -cpu pentium2" for a ROM that needs P6 features.
#
# Environment: QEMU (default qemu-system-i386), TIMEOUT seconds (default 20).
# Arguments: optional list of .bin files (default: all of roms/*.bin).
set -u
here=$(cd "$(dirname "$0")" && pwd)
QEMU=${QEMU:-qemu-system-i386}
TIMEOUT=${TIMEOUT:-20}

if [ $# -gt 0 ]; then roms=("$@"); else roms=("$here"/roms/*.bin); fi
if [ ! -e "${roms[0]}" ]; then
    echo "cross-check: no ROM images found (run roms/build.sh)" >&2
    exit 1
fi

if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "cross-check: $QEMU not found" >&2
    exit 1
fi
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT

bad=0
summary=()
for rom in "${roms[@]}"; do
    name=$(basename "$rom" .bin)
    extra=()
    src=${rom%.bin}.asm
    if [ -f "$src" ]; then
        read -r -a extra < <(sed -n 's/^;[[:space:]]*qemu-args:[[:space:]]*//p' "$src" | head -n 1)
    fi
    echo "=== $name${extra[*]:+ (${extra[*]})}"
    out=$(timeout "$TIMEOUT" "$QEMU" -display none -bios "$rom" \
            -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
            -no-reboot ${extra[@]+"${extra[@]}"} </dev/null 2>"$errfile")
    rc=$?
    printf '%s\n' "$out"
    if [ -s "$errfile" ]; then
        sed 's/^/qemu stderr: /' "$errfile"
    fi
    npass=$(printf '%s\n' "$out" | grep -c '^PASS ')
    nfail=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    line="$name: $npass pass, $nfail fail, exit $rc"
    problems=""
    if [ "$nfail" -ne 0 ]; then problems+=" FAIL-lines"; fi
    if ! printf '%s\n' "$out" | grep -qx 'DONE'; then problems+=" no-DONE"; fi
    if [ "$rc" -eq 124 ]; then problems+=" timeout"; fi
    if [ "$rc" -ne 1 ]; then problems+=" bad-exit"; fi
    if [ "$npass" -eq 0 ]; then problems+=" no-PASS"; fi
    if [ -n "$problems" ]; then
        line+="  <-- BAD:$problems"
        bad=1
    fi
    summary+=("$line")
done

echo "=== summary"
for line in "${summary[@]}"; do echo "$line"; done
if [ $bad -ne 0 ]; then
    echo "cross-check: FAILED"
    exit 1
fi
echo "cross-check: all ROMs pass under $($QEMU --version | head -1)"
exit 0
