#!/usr/bin/env python3
"""bench/pace-linux.py - does a guest `sleep 10` last 10 s in the window?

Boots the Linux guest of ../shared/guests (direct kernel boot, shell on the
VGA console, markers on COM1) in oxbox's window under Xvfb, types
`echo T0 >/dev/ttyS0;sleep 10;echo T1 >/dev/ttyS0` on the emulated keyboard
(xdotool, the path a user's keys take) and times, on the host, the gap
between the T0 and T1 lines on the serial port. Repeats --runs times in the
same guest and prints each gap and its error against 10 s.

Usage: bench/pace-linux.py [--runs N] [--oxbox PATH] [--guests DIR] [--seconds S]
Needs Xvfb and xdotool. Timing is measured here, never in `cargo test`.
"""
import argparse
import os
import queue
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# xdotool key names for the characters the command uses; (shift, key).
KEYS = {" ": (False, "space"), "/": (False, "slash"), ">": (True, "period"),
        ";": (False, "semicolon"), "\n": (False, "Return")}


def xdo(display, *args):
    return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True).stdout.strip()


def type_text(display, window, text):
    for ch in text:
        shift, key = KEYS.get(ch, (ch.isupper(), ch.lower()))
        seq = (["shift"] if shift else []) + [key]
        for k in seq:
            xdo(display, "keydown", "--window", window, k)
        time.sleep(0.03)
        for k in reversed(seq):
            xdo(display, "keyup", "--window", window, k)
        time.sleep(0.03)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--oxbox", default=os.path.join(ROOT, "target/release/oxbox"))
    ap.add_argument("--guests", default=os.path.join(ROOT, "../shared/guests"))
    a = ap.parse_args()
    # Xvfb picks a free display and prints its number once it is ready.
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24",
                             "-nolisten", "tcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    display = ":" + xvfb.stdout.readline().decode().strip()
    ox = subprocess.Popen(
        [a.oxbox, "--kernel", os.path.join(a.guests, "vmlinuz-686"),
         "--initrd", os.path.join(a.guests, "initramfs.cpio.gz"),
         "--append", "console=ttyS0,115200 console=tty0 bench=0",
         "-m", "128", "--serial", "stdio"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "DISPLAY": display})
    lines = queue.Queue()

    def reader():
        buf = b""
        while True:
            b = ox.stdout.read1(4096) if hasattr(ox.stdout, "read1") else ox.stdout.read(1)
            if not b:
                return
            buf += b
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.put((time.monotonic(), line.decode(errors="replace").strip()))

    threading.Thread(target=reader, daemon=True).start()

    def wait_line(prefix, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            try:
                t, line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return t
        raise SystemExit("timed out waiting for %r on the serial port" % prefix)

    try:
        t0 = time.monotonic()
        wait_line("GUEST-SHELL", 600)
        print("shell after %.1f s" % (time.monotonic() - t0))
        window = xdo(display, "search", "--name", "^oxbox - ").splitlines()[0]
        time.sleep(1)
        gaps = []
        for i in range(a.runs):
            type_text(display, window, "echo T0 >/dev/ttyS0;sleep %d;echo T1 >/dev/ttyS0\n" % a.seconds)
            s = wait_line("T0", 60)
            e = wait_line("T1", a.seconds * 3 + 30)
            gaps.append(e - s)
            print("run %d: guest sleep %d took %.3f s on the host (%+.2f %%)"
                  % (i + 1, a.seconds, e - s, (e - s - a.seconds) / a.seconds * 100))
        gaps.sort()
        med = gaps[len(gaps) // 2]
        print("median %.3f s (%+.2f %%)" % (med, (med - a.seconds) / a.seconds * 100))
    finally:
        ox.kill()
        xvfb.kill()


if __name__ == "__main__":
    sys.exit(main())
