#!/usr/bin/env python3
"""Leak check: runs bench/js/leak.js under torus (N constructions of each platform class, in
rounds) and samples the process's RSS after every round. Prints a table: RSS after the first
round (warm), after the last, and the growth between them; flat = no leak.

    python3 bench/js/leak.py [--torus BIN] [--count N] [--rounds R] [--only A,B]
                             [--max-growth PCT]

--max-growth makes it a test: exit 1 if any class grows more than PCT percent after warm-up
(tests/js/CMakeLists.txt runs a small count that way). Default binary:
build/release/server/torus."""
import argparse
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--torus", default="build/release/server/torus")
ap.add_argument("--count", type=int, default=1_000_000)
ap.add_argument("--rounds", type=int, default=4)
ap.add_argument("--only", default="")
ap.add_argument("--max-growth", type=float, default=None)
opts = ap.parse_args()

# The arguments reach the script through a tiny prelude (torus run passes none itself).
with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
    f.write(f"globalThis.__leakArgs = [{opts.count}, {opts.rounds}, {opts.only!r}];\n")
    f.write(open(os.path.join(here, "leak.js")).read())
    script = f.name
try:
    p = subprocess.Popen([opts.torus, "run", script], stdout=subprocess.PIPE, text=True)

    def rss_mib():
        with open(f"/proc/{p.pid}/status") as st:
            for line in st:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    samples, times = {}, {}
    for line in p.stdout:
        parts = line.split()
        if parts == ["end"]:
            break
        if len(parts) == 3 and parts[0] == "time":
            times[parts[1]] = int(parts[2])
        elif len(parts) == 2:
            samples.setdefault(parts[0], []).append(rss_mib())
    p.wait()
finally:
    os.unlink(script)

print(f"{'class':<16} {'warm MiB':>9} {'end MiB':>9} {'growth':>8} {'ns/op':>7}")
worst = 0.0
for name, rss in samples.items():
    growth = (rss[-1] - rss[0]) / rss[0] * 100 if rss[0] else 0.0
    worst = max(worst, growth)
    ns = times.get(name, 0) * 1e6 / opts.count
    print(f"{name:<16} {rss[0]:9.1f} {rss[-1]:9.1f} {growth:7.1f}% {ns:7.0f}")
if p.returncode != 0:
    sys.exit(p.returncode)
if opts.max_growth is not None and worst > opts.max_growth:
    print(f"FAIL: RSS grew {worst:.1f}% after warm-up (limit {opts.max_growth}%)")
    sys.exit(1)
