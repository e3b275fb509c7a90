#!/usr/bin/env python3
"""Leak check: runs bench/js/blob_leak.js under torus and prints the RSS after each round of
250k constructions (Blob, File, FormData; a million each). Flat RSS across rounds = no leak.
    python3 bench/js/blob_leak.py [torus binary, default build/release/server/torus]"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else "build/release/server/torus"
p = subprocess.Popen([binary, "run", os.path.join(here, "blob_leak.js")],
                     stdout=subprocess.PIPE, text=True)


def rss_mib():
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


for line in p.stdout:
    line = line.strip()
    if line == "end":
        break
    print(f"{line:>20}  RSS {rss_mib():7.1f} MiB", flush=True)
p.wait()
sys.exit(p.returncode)
