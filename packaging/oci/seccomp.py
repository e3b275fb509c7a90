#!/usr/bin/env python3
"""torus's seccomp profile for containers, made from the container engines' default one.

    packaging/oci/seccomp.py [BASE] OUT

BASE (default /usr/share/containers/seccomp.json, Debian's golang-github-containers-common,
the profile podman uses and Docker's equivalent) blocks io_uring_setup, io_uring_enter and
io_uring_register, so torus would fall back to epoll in a container. OUT is BASE with those
three calls added to its unconditional allow rule and nothing else changed: every other call
stays as the engines ship it. Run a container with it:

    podman run --security-opt seccomp=OUT ...    docker run --security-opt seccomp=OUT ...
"""

import json
import sys

IO_URING = ["io_uring_setup", "io_uring_enter", "io_uring_register"]


def with_io_uring(profile):
    # The rule that allows calls whatever the arguments, architecture or capabilities.
    rules = [r for r in profile["syscalls"]
             if r.get("action") == "SCMP_ACT_ALLOW" and not r.get("args")
             and not r.get("includes") and not r.get("excludes")]
    if not rules:
        raise SystemExit("seccomp.py: the base profile has no unconditional allow rule")
    rule = max(rules, key=lambda r: len(r["names"]))
    for name in IO_URING:
        for other in profile["syscalls"]:  # a base that denies it explicitly: drop the deny
            if other is not rule and name in other["names"] and other["action"] != "SCMP_ACT_ALLOW":
                other["names"].remove(name)
        if name not in rule["names"]:
            rule["names"].append(name)
    profile["syscalls"] = [r for r in profile["syscalls"] if r["names"]]
    return profile


def main(argv):
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    base = argv[1] if len(argv) == 3 else "/usr/share/containers/seccomp.json"
    with open(base) as f:
        profile = with_io_uring(json.load(f))
    with open(argv[-1], "w") as f:
        json.dump(profile, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
