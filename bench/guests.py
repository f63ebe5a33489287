#!/usr/bin/env python3
"""bench/guests.py - the guest part of bench/run (see bench/README.md).

Boots the Linux guest and the FreeDOS floppy of ../shared/guests under oxbox,
Bochs and QEMU, timestamps the marker lines of the serial output with the host
monotonic clock, checks the guests' results, and prints medians and ratios.
bench/run calls it; it can also be run by hand:

  bench/guests.py run --guest linux|freedos --work DIR [options]
  bench/guests.py summary --work DIR [--rom-tsv FILE]...

`run` writes DIR/guest-<guest>.json; `summary` reads those files (and the ROM
results bench/run writes as TSV) and prints the combined table.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

EMUS = ("oxbox", "bochs", "qemu")
LINUX_ITEMS = ("arith", "md5", "gzip", "sort", "fork")
# The result= values the guest prints (../shared/guests/README.md, "What the
# initramfs does"): identical in every QEMU and Bochs run on record.
LINUX_EXPECTED = {
    "arith": "545003",
    "md5": "96995b58d4cbf6aaa9041b4f00c7f6ae",
    "gzip": "2172340/3d8ea02866a3c68cf4cd5bf52ce6c05f",
    "sort": "025f48e416763f13d86a6c0deea3856b",
    "fork": "500",
}
# The FreeDOS serial output from DOS-READY to DOS-DONE (same README, "DOS
# guest: FreeDOS"), compared after CR LF -> LF and trailing blanks removed.
FREEDOS_EXPECTED = """DOS-READY

FreeCom version 0.82 pl 3 XMS_Swap [Dec 10 2003 06:49:21]
DOS version 7.10
FreeDOS kernel version 0.0.40
 Volume in drive A is FREEDOS
 Volume Serial Number is A605-12FC
 Directory of A:\\

AUTOEXEC BAT           145  10-19-18 11:26a
KERNEL   SYS        45,450  10-19-18 11:26a
COMMAND  COM        66,090  10-19-18 11:26a
CONFIG   SYS           209  10-19-18 11:26a
README   TXT           214  10-19-18 11:26a
         5 file(s)        112,108 bytes
         0 dir(s)       1,337,344 bytes free
DOS-DONE"""

MARK = re.compile(r'^(GUEST-READY|GUEST-DONE|BENCH-START|BENCH-END|DOS-READY|DOS-DONE)\b')
INSNS = re.compile(r'instructions: ?(\d+) in ([0-9.]+) ?s')
# Bochs and oxbox run their guest clock at 100 M instructions per guest
# second (Bochs: ips=100000000 in the team's bochsrc; oxbox: DEFAULT_IPS), so
# an item's guest_cs (1/100 s) is guest_cs * 1e6 instructions while the CPU is
# busy. QEMU's guest clock is host time, so this does not apply to it.
GUEST_IPS = 100_000_000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def other_emulators(exclude):
    """Emulator processes on the host that are not ours (the host is shared)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in exclude:
            continue
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
        except OSError:
            continue
        if comm in ("qemu-system-i38", "qemu-system-i386", "bochs-bin", "oxbox"):
            n += 1
    return n


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = open(f"/proc/{p}/task/{t}/children").read().split()
            except OSError:
                continue
            for k in kids:
                out.append(int(k)); todo.append(int(k))
    return out


def stop(p, wrapped):
    """Stop the emulator. With /usr/bin/time in front, signal only its
    descendants so that time still writes the peak RSS."""
    targets = descendants(p.pid) if wrapped else [p.pid]
    if not targets:
        targets = [p.pid]
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        for t in reversed(targets):
            try:
                os.kill(t, sig)
            except ProcessLookupError:
                pass
        try:
            p.wait(wait)
            return
        except subprocess.TimeoutExpired:
            targets = descendants(p.pid) + [p.pid]


# ------------------------------------------------------------------ one run
def bochsrc(a, guest, d):
    """The team's bochsrc with serial and log redirected into the run dir."""
    name = "bochsrc-linux.txt" if guest == "linux" else "bochsrc-freedos.txt"
    text = open(os.path.join(a.guests, name)).read()
    text = re.sub(r'(?m)^com1:.*$', 'com1: enabled=1, mode=file, dev=serial.txt', text)
    text = re.sub(r'(?m)^log:.*$', 'log: bochs.log', text)
    if a.bochs_display:
        text = re.sub(r'(?m)^display_library:.*$', 'display_library: ' + a.bochs_display, text)
    open(os.path.join(d, name), "w").write(text)
    open(os.path.join(d, "bochs-continue.rc"), "w").write("c\n")
    return name


def command(a, guest, emu, d):
    """Copies the guest files into d and returns the command line (cwd = d)."""
    g = a.guests
    if guest == "linux" and a.linux_boot == "kernel":
        files = ["vmlinuz-686", "initramfs.cpio.gz"]
    elif guest == "linux":
        files = ["linux-hd.img"]
    else:
        files = ["freedos-1.44m-com1.img"]
    for f in files:
        shutil.copy(os.path.join(g, f), d)
    append = "console=tty0 console=ttyS0,115200"
    if emu == "oxbox":
        if guest == "freedos":
            return [a.oxbox, "--headless", files[0], "--snapshot", "--serial", "serial.txt",
                    "--until", "DOS-DONE", "--stats"]
        if a.linux_boot == "kernel":
            return [a.oxbox, "--headless", "--kernel", files[0], "--initrd", files[1],
                    "--append", append, "-m", "128", "--serial", "serial.txt",
                    "--until", "GUEST-DONE", "--stats"]
        return [a.oxbox, "--headless", files[0], "--snapshot", "-m", "128",
                "--serial", "serial.txt", "--until", "GUEST-DONE", "--stats"]
    if emu == "qemu":
        base = [a.qemu, "-accel", "tcg", "-M", "pc", "-cpu", "pentium3", "-display", "none",
                "-monitor", "none", "-nic", "none", "-no-reboot", "-serial", "file:serial.txt"]
        if guest == "freedos":
            return base + ["-m", "16", "-drive", f"file={files[0]},format=raw,if=floppy", "-boot", "a"]
        if a.linux_boot == "kernel":
            return base + ["-m", "128", "-kernel", files[0], "-initrd", files[1], "-append", append]
        return base + ["-m", "128", "-drive", f"file={files[0]},format=raw,if=ide,index=0", "-boot", "c"]
    rc = bochsrc(a, guest, d)
    return [a.bochs, "-q", "-f", rc, "-rc", "bochs-continue.rc"]


def one_run(a, guest, emu, n):
    d = os.path.join(a.work, f"{guest}-{emu}-{n}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cmd = command(a, guest, emu, d)
    ready_m, done_m = ("GUEST-READY", "GUEST-DONE") if guest == "linux" else ("DOS-READY", "DOS-DONE")
    wrapped = os.access("/usr/bin/time", os.X_OK)
    full = (["/usr/bin/time", "-f", "%M", "-o", "time.txt"] if wrapped else []) + cmd
    serial = os.path.join(d, "serial.txt")
    load0 = loadavg()
    others = other_emulators({os.getpid()})
    out = open(os.path.join(d, "stdout.txt"), "wb")
    err = open(os.path.join(d, "stderr.txt"), "wb")
    t0 = time.monotonic()
    p = subprocess.Popen(full, cwd=d, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    events, pos, buf, done_t, status = [], 0, b"", None, "exited"
    # after the DONE marker: oxbox stops by itself (--until); Linux powers the
    # peers off; DOS cannot, so QEMU/Bochs are stopped at once.
    grace = 0.2 if guest == "freedos" else 15.0

    def take(data, now):
        nonlocal buf
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            s = line.decode("latin-1").strip()
            if MARK.match(s):
                events.append((now - t0, s))

    while True:
        now = time.monotonic()
        try:
            with open(serial, "rb") as f:
                f.seek(pos); data = f.read()
        except FileNotFoundError:
            data = b""
        if data:
            pos += len(data); take(data, now)
            if done_t is None and any(s.startswith(done_m) for _, s in events):
                done_t = now
        if done_t is None and buf.decode("latin-1").strip().startswith(done_m):
            done_t = now        # oxbox stops at the marker, maybe before the newline
            events.append((now - t0, buf.decode("latin-1").strip())); buf = b""
        if p.poll() is not None:
            break
        if done_t is not None and now - done_t > grace:
            stop(p, wrapped)
            status = "stopped-after-done"
            break
        if now - t0 > a.timeout:
            stop(p, wrapped)
            status = "TIMEOUT"
            break
        time.sleep(0.01)
    t_end = time.monotonic() - t0
    out.close(); err.close()
    try:
        with open(serial, "rb") as f:
            f.seek(pos); rest = buf + f.read()
    except FileNotFoundError:
        rest = buf
    for s in rest.decode("latin-1").splitlines():
        s = s.strip()
        if MARK.match(s):
            events.append((t_end, s))

    r = {"emu": emu, "run": n, "status": status, "rc": p.returncode, "wall": round(t_end, 3),
         "load": load0, "others": others, "items": {}, "guest_cs": {}, "results": {},
         "rss_kb": None, "insns": None, "self_s": None, "ok": True, "why": ""}
    if wrapped:
        try:
            nums = [l for l in open(os.path.join(d, "time.txt")).read().split() if l.isdigit()]
            r["rss_kb"] = int(nums[-1]) if nums else None
        except OSError:
            pass
    m = None
    try:
        m = INSNS.findall(open(os.path.join(d, "stderr.txt"), errors="replace").read())
    except OSError:
        pass
    if m:
        r["insns"], r["self_s"] = int(m[-1][0]), float(m[-1][1])
    start = {}
    for t, s in events:
        if s.startswith(ready_m):
            r.setdefault("ready", round(t, 3))
        elif s.startswith(done_m):
            r.setdefault("done", round(t, 3))
        elif s.startswith("BENCH-START"):
            w = s.split()
            if len(w) > 1: start[w[1]] = t
        elif s.startswith("BENCH-END"):
            w = s.split()
            if len(w) < 2: continue
            name = w[1]
            kv = dict(x.split("=", 1) for x in w[2:] if "=" in x)
            if name in start:
                r["items"][name] = round(t - start[name], 3)
            try:
                r["guest_cs"][name] = int(kv.get("guest_cs", ""))
            except ValueError:
                pass
            r["results"][name] = kv.get("result", "")

    # checks
    why = []
    if status == "TIMEOUT":
        why.append(f"timed out after {a.timeout:.0f}s")
    for k, label in (("ready", ready_m), ("done", done_m)):
        if k not in r:
            why.append(f"no {label}")
    wrong = []
    if guest == "linux":
        for k in LINUX_ITEMS:
            if k not in r["results"]:
                why.append(f"no BENCH-END {k}")
            elif r["results"][k] != LINUX_EXPECTED[k]:
                wrong.append(f"{k}: result={r['results'][k]} expected {LINUX_EXPECTED[k]}")
            elif k not in r["items"]:
                why.append(f"no BENCH-START {k}")
    elif "done" in r:
        text = open(serial, "rb").read().decode("latin-1").replace("\r", "")
        i = text.find("DOS-READY")
        j = text.find("DOS-DONE", max(i, 0))
        got = "\n".join(l.rstrip() for l in text[i:j + 8].split("\n")) if i >= 0 and j >= 0 else ""
        if got != FREEDOS_EXPECTED:
            wrong.append("serial output between DOS-READY and DOS-DONE differs from the guests README")
    if wrong:
        r["mismatch"] = wrong
        why.append("RESULT MISMATCH: " + "; ".join(wrong))
    if emu == "oxbox" and p.returncode not in (0, None) and status == "exited" and "done" not in r:
        why.append(f"exit status {p.returncode}")
    if emu == "bochs" and guest == "linux" and status == "exited" and "done" in r:
        try:
            if b"soft power off" not in open(os.path.join(d, "bochs.log"), "rb").read():
                why.append("bochs exited without the ACPI power-off")
        except OSError:
            pass
    if why:
        r["ok"] = False
        r["why"] = "; ".join(why)
    if not a.keep_all and r["ok"]:
        for f in os.listdir(d):
            if f.endswith((".img", ".gz")) or f == "vmlinuz-686":
                os.remove(os.path.join(d, f))
    return r


def fmt_s(x, w=9):
    return f"{x:{w}.2f}" if isinstance(x, (int, float)) else f"{'n/a':>{w}}"


def run_part(a):
    guest = a.guest
    emus = [e for e in a.emus.split(",") if e]
    if guest == "linux" and a.linux_boot == "kernel" and "bochs" in emus:
        emus.remove("bochs")
        log("  bochs: skipped for Linux (it cannot boot a bzImage directly; use --linux-boot disk)")
    avail, res = [], {"guest": guest, "linux_boot": a.linux_boot if guest == "linux" else None,
                      "runs": a.runs, "emus": {}, "na": {}}
    for e in emus:
        exe = {"oxbox": a.oxbox, "qemu": a.qemu, "bochs": a.bochs}[e]
        if shutil.which(exe) is None and not os.access(exe, os.X_OK):
            res["na"][e] = f"{exe} not found"
            log(f"  {e}: not available ({exe} not found)")
            continue
        avail.append(e)
    for e in avail:
        res["emus"][e] = []
    # Runs are interleaved (run 1 of every emulator, then run 2, ...) so that
    # load from other work on a shared host spreads over all of them.
    broken = set()
    for n in range(1, a.runs + 1):
        for e in avail:
            if e in broken:
                continue
            r = one_run(a, guest, e, n)
            res["emus"][e].append(r)
            items = " ".join(f"{k}={v:.2f}" for k, v in r["items"].items())
            extra = ""
            if r["insns"]:
                extra = f" instructions={r['insns']} ({r['insns'] / 1e6 / r['wall']:.0f} MIPS)"
            rss = f"{r['rss_kb']} KB" if r["rss_kb"] else "n/a"
            log(f"  {guest} {e:<5} run {n}: {'ok' if r['ok'] else 'FAILED'} "
                f"ready={fmt_s(r.get('ready'), 0)} done={fmt_s(r.get('done'), 0)} wall={r['wall']:.2f} "
                f"{items} rss={rss}{extra} [{r['status']}, rc={r['rc']}, load1={r['load']}, "
                f"other emulators running={r['others']}]")
            if not r["ok"]:
                log(f"    {e}: {r['why']}  (output in {os.path.join(a.work, f'{guest}-{e}-{n}')})")
                if a.verbose:
                    try:
                        tail = open(os.path.join(a.work, f"{guest}-{e}-{n}", "serial.txt"),
                                    errors="replace").read().splitlines()[-15:]
                        for l in tail:
                            log("    | " + l)
                    except OSError:
                        pass
                if not r.get("mismatch"):
                    broken.add(e)     # a run that did not finish: don't repeat it
    out = os.path.join(a.work, f"guest-{guest}.json")
    json.dump(res, open(out, "w"), indent=1)
    print_part(res)
    return 1 if any(not r["ok"] and (e != "oxbox" or r.get("mismatch"))
                    for e, rs in res["emus"].items() for r in rs) else 0


# ------------------------------------------------------------------ tables
def summarize(rs):
    """Medians over the good runs of one emulator."""
    good = [r for r in rs if r["ok"]]
    if not good:
        return None
    s = {"n": len(good),
         "ready": median([r.get("ready") for r in good]),
         "done": median([r.get("done") for r in good]),
         "wall": median([r["wall"] for r in good]),
         "rss_kb": max([r["rss_kb"] for r in good if r["rss_kb"]], default=None),
         "insns": median([r["insns"] for r in good]),
         "self_s": median([r["self_s"] for r in good]),
         "items": {}, "guest_cs": {}}
    for k in LINUX_ITEMS:
        s["items"][k] = median([r["items"].get(k) for r in good])
        s["guest_cs"][k] = median([r["guest_cs"].get(k) for r in good])
    return s


def ratio(a, b):
    return a / b if a is not None and b else None


def status_of(rs):
    if not rs:
        return "not run"
    bad = [r for r in rs if not r["ok"]]
    if any(r.get("mismatch") for r in bad):
        return "RESULT MISMATCH"
    if bad:
        return "FAILED: " + bad[0]["why"]
    return "ok"


def print_part(res):
    guest = res["guest"]
    emus = [e for e in EMUS if e in res["emus"]]
    S = {e: summarize(res["emus"][e]) for e in emus}
    title = "Linux guest (" + ("linux-hd.img via BIOS" if res["linux_boot"] == "disk"
                               else "direct kernel boot") + ")" if guest == "linux" else "FreeDOS floppy"
    print()
    print(f"== {title}: median of {res['runs']} run(s), host seconds from emulator start ==")
    cols = emus + [f"oxbox/{e}" for e in emus if e != "oxbox" and "oxbox" in emus]
    print(f"{'measurement':<22}" + "".join(f"{c:>12}" for c in cols))
    if guest == "linux":
        rows = [("start -> GUEST-READY", lambda s: s["ready"])]
        rows += [(f"  {k}", lambda s, k=k: s["items"][k]) for k in LINUX_ITEMS]
        rows += [("start -> GUEST-DONE", lambda s: s["done"])]
    else:
        rows = [("start -> DOS-READY", lambda s: s["ready"]), ("start -> DOS-DONE", lambda s: s["done"])]
    for label, fn in rows:
        v = {e: (fn(S[e]) if S[e] else None) for e in emus}
        line = f"{label:<22}" + "".join(fmt_s(v[e], 12) for e in emus)
        for e in emus:
            if e != "oxbox" and "oxbox" in emus:
                rt = ratio(v["oxbox"], v[e])
                line += f"{rt:12.3f}" if rt is not None else f"{'n/a':>12}"
        print(line)
    print(f"{'peak RSS (MiB)':<22}" + "".join(
        f"{S[e]['rss_kb'] / 1024:12.1f}" if S[e] and S[e]["rss_kb"] else f"{'n/a':>12}" for e in emus))
    for e in emus:
        print(f"  {e}: {status_of(res['emus'][e])}"
              + (f" ({S[e]['n']} good run(s))" if S[e] else ""))
    for e, why in res["na"].items():
        print(f"  {e}: not available ({why})")
    so = S.get("oxbox")
    if so and so["insns"]:
        print(f"oxbox: {so['insns']:,} instructions to {'GUEST' if guest == 'linux' else 'DOS'}-DONE in "
              f"{so['done']:.2f} s -> {so['insns'] / 1e6 / so['done']:.1f} MIPS (oxbox's own timer: "
              f"{so['insns'] / 1e6 / so['self_s']:.1f} MIPS)")
    if guest == "linux":
        for e in ("oxbox", "bochs"):
            if S.get(e) and any(S[e]["guest_cs"].values()):
                parts = []
                for k in LINUX_ITEMS:
                    gc, hs = S[e]["guest_cs"][k], S[e]["items"][k]
                    if gc and hs:
                        parts.append(f"{k} {gc * GUEST_IPS / 100 / 1e6:,.0f} M / {gc * GUEST_IPS / 100 / 1e6 / hs:.0f} MIPS")
                print(f"{e} per item (guest_cs x 1e6 instructions, guest clock 100 M instr/s): " + ", ".join(parts))


def load_rom(path):
    """bench/run's ROM results: emulator status median rss_kb insns mips."""
    rom = {}
    if not path or not os.path.exists(path):
        return rom
    for line in open(path):
        w = line.rstrip("\n").split("\t")
        if len(w) < 6:
            continue
        num = lambda x: float(x) if re.fullmatch(r'[0-9.]+', x) else None
        rom[w[0]] = {"status": w[1], "median": num(w[2]), "rss_kb": num(w[3]),
                     "insns": num(w[4]), "mips": num(w[5])}
    return rom


def summary(a):
    # one bench/run table per ROM: WORK/rom-NAME.tsv
    roms = [(os.path.basename(t)[4:-4] if os.path.basename(t).startswith("rom-") else os.path.basename(t),
             load_rom(t)) for t in (a.rom_tsv or [])]
    roms = [(n, r) for n, r in roms if r]
    rom = bool(roms)
    parts = {}
    for g in ("linux", "freedos"):
        f = os.path.join(a.work, f"guest-{g}.json")
        if os.path.exists(f):
            parts[g] = json.load(open(f))
    if not rom and not parts:
        return 0
    S = {g: {e: summarize(rs) for e, rs in p["emus"].items()} for g, p in parts.items()}
    rows = []   # (label, {emu: seconds}, oxbox MIPS or None)

    def mips(insns, secs):
        return insns / 1e6 / secs if insns and secs else None

    for name, r in roms:
        v = {e: (r[e]["median"] if r.get(e, {}).get("status") == "ok" else None) for e in EMUS}
        rows.append((f"ROM {name} (to exit)", v, r.get("oxbox", {}).get("mips")))
    if "linux" in S:
        L = S["linux"]
        get = lambda e, fn: fn(L[e]) if L.get(e) else None
        boot = "disk" if parts["linux"]["linux_boot"] == "disk" else "direct kernel"
        rows.append((f"Linux ({boot}) start -> GUEST-READY", {e: get(e, lambda s: s["ready"]) for e in EMUS}, None))
        for k in LINUX_ITEMS:
            m = None
            if L.get("oxbox") and L["oxbox"]["guest_cs"][k] and L["oxbox"]["items"][k]:
                m = L["oxbox"]["guest_cs"][k] * GUEST_IPS / 100 / 1e6 / L["oxbox"]["items"][k]
            rows.append((f"Linux item {k}", {e: get(e, lambda s, k=k: s["items"][k]) for e in EMUS}, m))
        m = mips(L["oxbox"]["insns"], L["oxbox"]["done"]) if L.get("oxbox") else None
        rows.append(("Linux start -> GUEST-DONE", {e: get(e, lambda s: s["done"]) for e in EMUS}, m))
    if "freedos" in S:
        F = S["freedos"]
        get = lambda e, fn: fn(F[e]) if F.get(e) else None
        rows.append(("FreeDOS start -> DOS-READY", {e: get(e, lambda s: s["ready"]) for e in EMUS}, None))
        m = mips(F["oxbox"]["insns"], F["oxbox"]["done"]) if F.get("oxbox") else None
        rows.append(("FreeDOS start -> DOS-DONE", {e: get(e, lambda s: s["done"]) for e in EMUS}, m))

    runs = a.runs
    print()
    print(f"== Summary: median host seconds of {runs} run(s) each; ratios are oxbox time / peer time "
          f"(<1: oxbox is faster) ==")
    hdr = f"{'measurement':<44}{'oxbox':>10}{'Bochs':>10}{'QEMU':>10}{'ox/Bochs':>10}{'ox/QEMU':>10}{'oxbox MIPS':>12}"
    print(hdr)
    for label, v, m in rows:
        rb, rq = ratio(v.get("oxbox"), v.get("bochs")), ratio(v.get("oxbox"), v.get("qemu"))
        print(f"{label:<44}" + "".join(fmt_s(v.get(e), 10) for e in EMUS)
              + (f"{rb:10.3f}" if rb is not None else f"{'n/a':>10}")
              + (f"{rq:10.3f}" if rq is not None else f"{'n/a':>10}")
              + (f"{m:12.1f}" if m is not None else f"{'':>12}"))
    rss = []
    for name, r in roms:
        rss.append((f"ROM {name}", {e: r.get(e, {}).get("rss_kb") for e in EMUS}))
    for g, label in (("linux", "Linux"), ("freedos", "FreeDOS")):
        if g in S:
            rss.append((label, {e: (S[g][e]["rss_kb"] if S[g].get(e) else None) for e in EMUS}))
    print(f"{'peak RSS (MiB, max over runs)':<44}{'oxbox':>10}{'Bochs':>10}{'QEMU':>10}")
    for label, v in rss:
        print(f"  {label:<42}" + "".join(
            f"{v[e] / 1024:10.1f}" if v.get(e) else f"{'n/a':>10}" for e in EMUS))
    print("oxbox MIPS: ROM = instructions / median wall time; Linux items = guest_cs x 1e6 instructions"
          " (guest clock 100 M instr/s) / item host time; GUEST-DONE and DOS-DONE = oxbox's --stats"
          " instruction count / median start->DONE time.")

    # the same table as Markdown, for README.md
    print()
    print("Markdown (for README.md):")
    print()
    print("| measurement | oxbox | Bochs | QEMU | oxbox/Bochs | oxbox/QEMU |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, v, m in rows:
        rb, rq = ratio(v.get("oxbox"), v.get("bochs")), ratio(v.get("oxbox"), v.get("qemu"))
        ox = f"{v['oxbox']:.2f} s" if v.get("oxbox") is not None else "n/a"
        if m is not None:
            ox += f" ({m:.0f} MIPS)"
        cell = lambda x: f"{x:.2f} s" if x is not None else "n/a"
        rc = lambda x: f"{x:.2f}" if x is not None else "n/a"
        print(f"| {label} | {ox} | {cell(v.get('bochs'))} | {cell(v.get('qemu'))} | {rc(rb)} | {rc(rq)} |")
    print()
    print("| peak RSS | oxbox | Bochs | QEMU |")
    print("|---|---:|---:|---:|")
    for label, v in rss:
        print(f"| {label} | " + " | ".join(f"{v[e] / 1024:.0f} MiB" if v.get(e) else "n/a" for e in EMUS) + " |")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--guest", choices=("linux", "freedos"), required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--emus", default="oxbox,bochs,qemu")
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--guests", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", "..", "shared", "guests"))
    r.add_argument("--linux-boot", choices=("disk", "kernel"), default="disk")
    r.add_argument("--oxbox", default="target/release/oxbox")
    r.add_argument("--qemu", default="qemu-system-i386")
    r.add_argument("--bochs", default="bochs")
    r.add_argument("--bochs-display", default="")
    r.add_argument("--timeout", type=float, default=900)
    r.add_argument("--keep-all", action="store_true", help="keep the copied images too")
    r.add_argument("-v", "--verbose", action="store_true")
    s = sub.add_parser("summary")
    s.add_argument("--work", required=True)
    s.add_argument("--rom-tsv", action="append", default=[],
                   help="a ROM table from bench/run (rom-NAME.tsv); may be repeated")
    s.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if a.cmd == "run":
        a.work = os.path.abspath(a.work)
        a.guests = os.path.abspath(a.guests)
        if os.sep in a.oxbox:
            a.oxbox = os.path.abspath(a.oxbox)
        return run_part(a)
    return summary(a)


if __name__ == "__main__":
    sys.exit(main())
