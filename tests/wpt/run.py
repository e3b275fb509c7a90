#!/usr/bin/env python3
"""Runs web-platform-tests against torus and compares the results with the expectations.

    python3 tests/wpt/run.py                      every area, verdict + table
    python3 tests/wpt/run.py --area url           one area (what CTest's wpt.url runs)
    python3 tests/wpt/run.py --file url/url-constructor.any.js   one file, every subtest shown
    python3 tests/wpt/run.py --area url --update  rewrite expectations/url.json from this run
    python3 tests/wpt/run.py --summary            the table only, always exit 0

The WPT files are read from the `shared/wpt` folder beside the repository (never copied into
it); areas are configured in areas.json, expectations are expectations/AREA.json. An area
with "server": true runs against standin.py, a local wptserve stand-in started once per run
(torus gets its hosts file through `--hosts-file`). How a test runs, the expectations format
and the verdict rules are in docs/wpt.md.

Python 3 standard library only. The torus binary comes from $TORUS_BIN (CTest sets it), by
default build/dev/server/torus.
"""

import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GLUE = os.path.join(HERE, "glue")
EXPECTATIONS = os.path.join(HERE, "expectations")
AREAS_FILE = os.path.join(HERE, "areas.json")
TORUS_BIN = os.environ.get("TORUS_BIN") or os.path.join(REPO, "build", "dev", "server", "torus")

# The line report.js prints when the harness completes (followed by JSON).
RESULT_PREFIX = "##torus-wpt-result## "
# The URL a test believes it has (WPT's default host); only location/base-URL glue uses it.
ORIGIN = "http://web-platform.test:8000"

# testharness.js's own timeouts are 10 s and 60 s in a browser; ASan on 2 shared cores is
# slower. The wall timeout, after which torus is killed, leaves the harness time to report.
HARNESS_TIMEOUT = {"normal": 20.0, "long": 60.0}
WALL_GRACE = 15.0
# After the result line, how long torus gets to exit before it is stopped (a test may leave
# a timer behind; that is not a failure).
EXIT_GRACE = 5.0

# What ASan/UBSan/LSan print when they find something: always a CRASH.
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer")

# Statuses. Subtests: testharness.js's. Harness: testharness.js's plus CRASH (torus died, or
# a sanitizer report) and TIMEOUT also for a run killed at the wall timeout.
PASS = "PASS"
HARNESS_OK = "OK"
CRASH = "CRASH"
# A whole-file expected failure tolerates these harness statuses (not CRASH).
WHOLE_FILE_HARNESS = ("OK", "ERROR", "TIMEOUT", "PRECONDITION_FAILED")

# Test files resources may name in string literals: static files wptserve would serve as is.
RESOURCE_LITERAL = re.compile(
    r"""["'`]((?:(?:\.{1,2}/)+|/)?[A-Za-z0-9_\-][A-Za-z0-9_\-./]*\.[A-Za-z0-9]+)["'`]""")
IDL_NAME_LITERAL = re.compile(r"""["'`]([A-Za-z][A-Za-z0-9_\-]*)["'`]""")
RESOURCE_TYPES = {".json": "application/json", ".txt": "text/plain;charset=UTF-8"}
MAX_RESOURCE_BYTES = 4 << 20

TODO = "TODO: reason"

sys.path.insert(0, HERE)
import standin  # noqa: E402  (tests/wpt/standin.py, beside this file)


class Fatal(Exception):
    """A setup problem (no wpt folder, no binary, bad config): reported, exit 2."""


# ---- where things are ----

def find_wpt_dir(explicit):
    """The shared wpt folder: --wpt-dir, $TORUS_WPT_DIR, REPO/../shared/wpt, or for a git
    worktree, the main checkout's ../shared/wpt."""
    if explicit:
        candidates = [explicit]
    elif os.environ.get("TORUS_WPT_DIR"):
        candidates = [os.environ["TORUS_WPT_DIR"]]
    else:
        candidates = [os.path.join(os.path.dirname(REPO), "shared", "wpt")]
        dot_git = os.path.join(REPO, ".git")
        if os.path.isfile(dot_git):  # a worktree: "gitdir: MAIN/.git/worktrees/NAME"
            with open(dot_git) as f:
                line = f.read().strip()
            if line.startswith("gitdir:"):
                gitdir = line[len("gitdir:"):].strip()
                main = os.path.dirname(os.path.dirname(os.path.dirname(gitdir)))
                candidates.append(os.path.join(os.path.dirname(main), "shared", "wpt"))
    for c in candidates:
        if os.path.isfile(os.path.join(c, "resources", "testharness.js")):
            return os.path.abspath(c)
    raise Fatal("the web-platform-tests folder is missing: looked for resources/testharness.js in "
                + ", ".join(os.path.abspath(c) for c in candidates)
                + ". The WPT files live beside the repository (REPO/../shared/wpt) and are never"
                " copied into it; put them there, or pass --wpt-dir DIR / set TORUS_WPT_DIR.")


def load_areas():
    with open(AREAS_FILE, encoding="utf-8") as f:
        raw = json.load(f)
    return {k: v for k, v in raw.items() if not k.startswith("/")}


# ---- test files and their metadata ----

META_LINE = re.compile(r"^//\s*META:\s*(\w+)\s*=\s*(.*?)\s*$")
WORKERISH = {"worker", "dedicatedworker", "dedicatedworker-module", "sharedworker",
             "sharedworker-module", "serviceworker", "serviceworker-module", "jsshell"}


def read_meta(path):
    """The `// META: key=value` lines at the top of a test, in order."""
    meta = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = META_LINE.match(line)
            if not m:
                break
            meta.append((m.group(1), m.group(2)))
    return meta


class Run:
    """One run of a test file: the file and one of its variants."""

    def __init__(self, area, path, variant="", skip=None, meta=()):
        self.area = area
        self.path = path          # relative to the wpt folder, with '/'
        self.variant = variant    # "" or "?query"
        self.skip = skip          # why the runner cannot run it (structural), or None
        self.meta = list(meta)

    @property
    def key(self):
        return self.path + self.variant

    def scripts(self):
        return [v for k, v in self.meta if k == "script"]

    def title(self):
        titles = [v for k, v in self.meta if k == "title"]
        return titles[0] if titles else None

    def long(self):
        return any(k == "timeout" and v == "long" for k, v in self.meta)


def area_files(wpt, area, strict=True):
    """Every test file of an area, sorted, relative to the wpt folder. A path of areas.json
    missing from the wpt folder is an error when `strict`."""
    found = set()
    for p in area["paths"]:
        full = os.path.join(wpt, p)
        if os.path.isfile(full):
            found.add(p)
        elif os.path.isdir(full):
            for root, dirs, files in os.walk(full):
                dirs.sort()
                for name in files:
                    if name.endswith(".any.js") or name.endswith(".worker.js"):
                        found.add(os.path.relpath(os.path.join(root, name), wpt).replace(os.sep, "/"))
        elif strict:
            raise Fatal(f"areas.json names {p!r}, which is not in {wpt}")

    def excluded(rel):
        for pat in area.get("exclude", []):
            if fnmatch.fnmatch(rel, pat) or rel.startswith(pat.rstrip("/") + "/") or \
                    fnmatch.fnmatch(rel, pat.rstrip("/") + "/*"):
                return True
        return False

    return sorted(f for f in found if not excluded(f))


def runs_for(wpt, area_name, rel, server=False):
    """The runs of one file (one per variant), or one skipped run with the reason. With
    `server` (the area runs against the stand-in), `.sub.` files are substituted, not
    skipped."""
    full = os.path.join(wpt, rel)
    if rel.endswith(".worker.js"):
        return [Run(area_name, rel, skip="a dedicated-worker script: it loads testharness.js "
                    "itself with importScripts(), which torus (not a worker) does not have")]
    meta = read_meta(full)
    if not server and (".sub." in os.path.basename(rel) or
                       any(".sub." in os.path.basename(s) for k, s in meta if k == "script")):
        return [Run(area_name, rel, skip="needs wptserve's .sub. substitutions", meta=meta)]
    globals_ = set()
    for k, v in meta:
        if k == "global":
            globals_.update(g.strip() for g in v.split(",") if g.strip())
    if not globals_:
        globals_ = {"window", "dedicatedworker"}
    if not globals_ & WORKERISH:
        return [Run(area_name, rel, meta=meta, skip="not for workers (META: global=" +
                    ",".join(sorted(globals_)) + ")")]
    variants = [v for k, v in meta if k == "variant"] or [""]
    return [Run(area_name, rel, v, meta=meta) for v in variants]


# Paths wptserve serves from elsewhere (its "aliases"), as in WPT's config.
ALIASES = {"resources/WebIDLParser.js": "resources/webidl2/lib/webidl2.js"}


def resolve_script(wpt, test_rel, src):
    """A META script path: rooted at the wpt folder ("/x") or relative to the test's folder."""
    if src.startswith("/"):
        rel = src.lstrip("/")
    else:
        rel = os.path.normpath(os.path.join(os.path.dirname(test_rel), src)).replace(os.sep, "/")
    return ALIASES.get(rel, rel)


def embedded_resources(wpt, run, sources):
    """Static files named by string literals in the test and its scripts, as wptserve would
    serve them to a relative fetch: {literal as written: {text, type}}."""
    out = {}
    test_dir = os.path.dirname(run.path)
    for text in sources:
        for lit in RESOURCE_LITERAL.findall(text):
            if lit in out:
                continue
            ext = os.path.splitext(lit)[1]
            if ext not in RESOURCE_TYPES:
                continue
            rel = lit.lstrip("/") if lit.startswith("/") else \
                os.path.normpath(os.path.join(test_dir, lit)).replace(os.sep, "/")
            if rel.startswith("..") or ".sub." in rel:
                continue
            full = os.path.join(wpt, rel)
            if not os.path.isfile(full) or os.path.getsize(full) > MAX_RESOURCE_BYTES:
                continue
            try:
                with open(full, encoding="utf-8") as f:
                    body = f.read()
            except UnicodeDecodeError:
                continue
            out[lit] = {"text": body, "type": RESOURCE_TYPES[ext]}
        # idlharness.js's idl_test(["url"], ["html"]) fetches /interfaces/url.idl, ...
        for lit in IDL_NAME_LITERAL.findall(text):
            key = "/interfaces/" + lit + ".idl"
            full = os.path.join(wpt, "interfaces", lit + ".idl")
            if key not in out and os.path.isfile(full):
                with open(full, encoding="utf-8") as f:
                    out[key] = {"text": f.read(), "type": "text/plain;charset=UTF-8"}
    return out


# ---- running one file ----

class Result:
    def __init__(self, run, harness, message, tests, stdout="", stderr="", seconds=0.0,
                 note=None):
        self.run = run
        self.harness = harness    # OK / ERROR / TIMEOUT / PRECONDITION_FAILED / CRASH
        self.message = message
        self.tests = tests        # [{name, status, message}]
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.note = note          # something worth showing with --file (lingering timers)


def sanitizer_report(text):
    for marker in SANITIZER_MARKERS:
        if marker in text:
            return marker
    return None


def first_error_line(stderr):
    for line in stderr.splitlines():
        if line.strip():
            return line.strip()
    return ""


def error_summary(stderr, limit=600):
    """The first lines of what torus printed about an error (message, source, first frames)."""
    text = "\n".join(l.rstrip() for l in stderr.strip().splitlines()[:8])
    return text if len(text) <= limit else text[:limit] + "..."


def run_one(wpt, run, tmp_root, multiplier, server=None):
    """Runs one file under `torus run --script`, returns its Result. With `server` (a
    standin.StandIn, and `hosts` its hosts file), the test's URL is on the stand-in, fetch()
    reaches it, and `.sub.` scripts are substituted as the stand-in would serve them."""
    started = time.monotonic()
    harness_timeout = HARNESS_TIMEOUT["long" if run.long() else "normal"] * multiplier
    wall_timeout = harness_timeout + WALL_GRACE * multiplier

    script_rels = [resolve_script(wpt, run.path, s) for s in run.scripts()]
    for rel in script_rels:
        if not os.path.isfile(os.path.join(wpt, rel)):
            return Result(run, "ERROR", f"META script {rel} is not in the wpt folder", [],
                          seconds=0.0)
    sources = []
    for rel in script_rels + [run.path]:
        with open(os.path.join(wpt, rel), encoding="utf-8", errors="replace") as f:
            sources.append(f.read())

    pathname = "/" + re.sub(r"\.any\.js$", ".any.worker.js", run.path)
    if server is not None:
        origin, port = server.origin(), str(server.port)
    else:
        origin, port = ORIGIN, "8000"
    config = {
        "prefix": RESULT_PREFIX,
        "harnessTimeoutMs": int(harness_timeout * 1000),
        "title": run.title(),
        "location": {
            "href": origin + pathname + run.variant, "origin": origin, "protocol": "http:",
            "host": standin.HOST + ":" + port, "hostname": standin.HOST,
            "port": port, "pathname": pathname, "search": run.variant,
        },
        # With the stand-in, fetch() gets every file from it, as from wptserve.
        "resources": {} if server is not None else embedded_resources(wpt, run, sources),
    }
    tmp = tempfile.mkdtemp(prefix="run-", dir=tmp_root)
    test_rel = run.path
    if server is not None:
        # .sub. scripts (common/get-host-info.sub.js, the test itself) as the stand-in serves
        # them: substituted, with the test URL's query for {{GET[x]}}.
        query = standin.Request("GET", origin + pathname + run.variant, [], b"", server).GET
        rendered = []
        for i, rel in enumerate(script_rels + [run.path]):
            if ".sub." in os.path.basename(rel):
                with open(os.path.join(wpt, rel), encoding="utf-8") as f:
                    text = standin.substitute(f.read(), query, server.config)
                out = os.path.join(tmp, f"{i}-" + os.path.basename(rel))
                with open(out, "w", encoding="utf-8") as f:
                    f.write(text)
                rel = out
            rendered.append(rel)
        script_rels, test_rel = rendered[:-1], rendered[-1]
    config_js = os.path.join(tmp, "wpt-config.js")
    with open(config_js, "w", encoding="utf-8") as f:
        f.write("// Generated by tests/wpt/run.py for " + run.key + "\n"
                "Object.defineProperty(globalThis, '__wpt', {configurable: true, value: "
                + json.dumps(config) + "});\n")
    files = [config_js, os.path.join(GLUE, "prelude.js"), "resources/testharness.js",
             os.path.join(GLUE, "report.js"), *script_rels, os.path.join(GLUE, "resources.js"),
             test_rel,
             os.path.join(GLUE, "done.js")]

    # The test's URL is the API base URL of relative request URLs, as in a worker (torus
    # serve has none: a server is not at a URL).
    # With the stand-in, its hosts file maps WPT's names (web-platform.test, www1..., the alt
    # host) to 127.0.0.1.
    hosts = ["--hosts-file", server.hosts_path] if server is not None else []
    proc = subprocess.Popen([TORUS_BIN, "run", "--location", origin + pathname + run.variant,
                             *hosts, "--script", *files], cwd=wpt,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out_lines, err_chunks = [], []
    got_result = threading.Event()

    def read_out():
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            out_lines.append(line)
            if line.startswith(RESULT_PREFIX):
                got_result.set()

    def read_err():
        for raw in iter(proc.stderr.readline, b""):
            err_chunks.append(raw.decode("utf-8", "replace"))

    readers = [threading.Thread(target=read_out, daemon=True),
               threading.Thread(target=read_err, daemon=True)]
    for t in readers:
        t.start()

    killed_at_wall = False
    lingered = False
    deadline = started + wall_timeout
    while proc.poll() is None:
        if got_result.is_set():
            try:
                proc.wait(EXIT_GRACE * multiplier)
            except subprocess.TimeoutExpired:
                lingered = True
                proc.kill()
            break
        if time.monotonic() > deadline:
            killed_at_wall = True
            proc.kill()
            break
        got_result.wait(0.05)
    proc.wait()
    for t in readers:
        t.join(10)
    proc.stdout.close()
    proc.stderr.close()
    shutil.rmtree(tmp, ignore_errors=True)

    stdout = "".join(out_lines)
    stderr = "".join(err_chunks)
    seconds = time.monotonic() - started
    other_out = "".join(l for l in out_lines if not l.startswith(RESULT_PREFIX))
    payload = None
    for line in out_lines:
        if line.startswith(RESULT_PREFIX):
            try:
                payload = json.loads(line[len(RESULT_PREFIX):])
            except ValueError as e:
                return Result(run, "ERROR", f"unreadable result line: {e}", [], other_out,
                              stderr, seconds)

    marker = sanitizer_report(stderr)
    if marker:
        tests = payload["tests"] if payload else []
        return Result(run, CRASH, f"{marker} report:\n{stderr[-3000:]}", tests, other_out,
                      stderr, seconds)
    if payload is None:
        if killed_at_wall:
            return Result(run, "TIMEOUT", f"no result after {wall_timeout:.0f} s: torus was "
                          "killed", [], other_out, stderr, seconds)
        if proc.returncode < 0:
            return Result(run, CRASH, f"torus died of signal {-proc.returncode}: "
                          + stderr[-2000:], [], other_out, stderr, seconds)
        return Result(run, "ERROR", f"torus exited ({proc.returncode}) before the harness "
                      "completed: " + (error_summary(stderr) or "no output"), [], other_out,
                      stderr, seconds)

    if server is not None:
        # Subtest names may hold the stand-in's ports (free ports, new each run): they are
        # shown as wptserve's defaults, so the expectations stay the same from run to run.
        for t in payload["tests"]:
            t["name"] = server.canonical_ports(t["name"])
            if t["message"]:
                t["message"] = server.canonical_ports(t["message"])
    harness = payload["harness"]["status"]
    message = payload["harness"]["message"]
    if not lingered and proc.returncode < 0:
        return Result(run, CRASH, f"torus died of signal {-proc.returncode} after the "
                      "harness completed: " + stderr[-2000:], payload["tests"], other_out,
                      stderr, seconds)
    # An uncaught error or unhandled rejection while the tests ran (torus reports it on
    # stderr, before report.js's mark, and exits 1) is a harness error, as testharness.js
    # makes of the global's error event in a browser. After completion it is ignored, as
    # there.
    mark = stderr.find(RESULT_PREFIX + "completed")
    before = stderr[:mark] if mark >= 0 else stderr
    stderr = before + (stderr[mark:].split("\n", 1)[1] if mark >= 0 else "")
    if harness in (HARNESS_OK, "ERROR") and not lingered and proc.returncode != 0 and \
            before.strip() and not payload.get("allow_uncaught_exception"):
        # torus's report names the cause; the harness's own message (e.g. "done() was called
        # without first defining any tests") is the consequence.
        message = error_summary(before) + (f"\n(harness: {message})" if harness == "ERROR" and
                                           message else "")
        harness = "ERROR"
    note = "torus was stopped: something (a timer?) kept it running after the harness " \
           "completed" if lingered else None
    return Result(run, harness, message, payload["tests"], other_out, stderr, seconds, note)


# ---- expectations ----

def expectations_path(area):
    return os.path.join(EXPECTATIONS, area + ".json")


def load_expectations(area):
    path = expectations_path(area)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    problems = []
    for key, entry in data.items():
        if not isinstance(entry, dict) or not set(entry) <= {"skip", "fail", "pass", "harness"} \
                or not entry:
            problems.append(f"{key}: an entry is {{\"skip\": R}} or {{\"fail\": ..., "
                            f"\"harness\": ...}}")
            continue
        if "skip" in entry and (len(entry) != 1 or not _reason(entry["skip"])):
            problems.append(f"{key}: skip needs a reason and nothing else")
        fail = entry.get("fail")
        if isinstance(fail, dict):
            for name, reason in fail.items():
                if not _reason(reason):
                    problems.append(f"{key}: subtest {name!r} has no reason")
        elif fail is not None and not _reason(fail):
            problems.append(f"{key}: fail is a reason (whole file) or {{subtest: reason}}")
        if "pass" in entry and (not isinstance(fail, str) or not isinstance(entry["pass"], list)):
            problems.append(f"{key}: pass (a list of subtests) goes with a whole-file fail")
        if "harness" in entry and isinstance(fail, str):
            problems.append(f"{key}: a whole-file fail already covers the harness status")
        h = entry.get("harness")
        if h is not None and (not isinstance(h, dict) or set(h) != {"status", "reason"} or
                              not _reason(h["reason"])):
            problems.append(f"{key}: harness is {{\"status\": S, \"reason\": R}}")
    if problems:
        raise Fatal(f"{path}:\n  " + "\n  ".join(problems))
    return data


def _reason(r):
    return isinstance(r, str) and r.strip() != ""


class Verdict:
    def __init__(self):
        self.regressions = []       # (key, text)
        self.unexpected_passes = []  # (key, text)


def harness_text(result):
    return f"harness {result.harness}" + (f": {result.message}" if result.message else "")


def judge(result, entry, verdict):
    """Compares one result with its expectation entry (or None: expected to pass fully)."""
    key = result.run.key
    entry = entry or {}
    fail = entry.get("fail")
    harness_exp = entry.get("harness")
    statuses = {}
    for t in result.tests:
        # Duplicate names: any non-PASS counts.
        if statuses.get(t["name"], PASS) == PASS:
            statuses[t["name"]] = t["status"]

    if isinstance(fail, str):
        if result.harness == CRASH:
            verdict.regressions.append((key, f"CRASH: {result.message}"))
        elif result.harness not in WHOLE_FILE_HARNESS:
            verdict.regressions.append((key, f"harness {result.harness}: {result.message}"))
        allowed = set(entry.get("pass", []))
        passed = [n for n, s in statuses.items() if s == PASS and n not in allowed]
        if passed:
            verdict.unexpected_passes.append(
                (key, f"{len(passed)} more of {len(statuses)} subtests pass (e.g. "
                      f"{passed[0]!r}), but the file is expected to fail as a whole ({fail}); "
                      f"run --update to list its failures one by one"))
        for name in sorted(allowed):
            if statuses.get(name, "missing") != PASS:
                verdict.regressions.append(
                    (key, f"{statuses.get(name, 'missing')} {name!r}: expected to pass"))
        return

    fail = fail or {}
    if result.harness != HARNESS_OK:
        if harness_exp is None:
            verdict.regressions.append((key, harness_text(result)))
        elif harness_exp["status"] != result.harness:
            verdict.regressions.append(
                (key, f"harness {result.harness} (expected {harness_exp['status']}): "
                      f"{result.message}"))
    elif harness_exp is not None:
        verdict.unexpected_passes.append(
            (key, f"harness is now OK (expected {harness_exp['status']}: "
                  f"{harness_exp['reason']})"))

    for name, status in statuses.items():
        if status != PASS and name not in fail:
            msg = next((t["message"] for t in result.tests if t["name"] == name and
                        t["status"] == status), None)
            verdict.regressions.append((key, f"{status} {name!r}: {msg}"))
    for name, reason in fail.items():
        if statuses.get(name) == PASS:
            verdict.unexpected_passes.append((key, f"PASS {name!r} (expected to fail: {reason})"))
        elif name not in statuses and result.harness == HARNESS_OK:
            verdict.unexpected_passes.append(
                (key, f"no subtest {name!r} any more (expected to fail: {reason})"))


def updated_entry(result, old):
    """The expectation entry that matches `result`, keeping old reasons; (entry, todos,
    inherited) where todos/inherited list the subtests that got a placeholder / the old
    whole-file reason."""
    old = old or {}
    old_fail = old.get("fail")
    old_harness = old.get("harness")
    statuses = {}
    for t in result.tests:
        if statuses.get(t["name"], PASS) == PASS:
            statuses[t["name"]] = t["status"]
    failing = [n for n, s in statuses.items() if s != PASS]
    passed = [n for n, s in statuses.items() if s == PASS]
    todos, inherited = [], []

    if result.harness == HARNESS_OK and not failing:
        return None, todos, inherited
    # A whole-file entry stays while the same subtests pass (none, or its "pass" list); a new
    # file where nothing passes gets one.
    if result.harness in WHOLE_FILE_HARNESS:
        if isinstance(old_fail, str) and set(passed) == set(old.get("pass", [])):
            return old, todos, inherited
        if old_fail is None and old_harness is None and not passed:
            todos.append("(whole file)")
            return {"fail": TODO}, todos, inherited

    entry = {}
    if failing:
        fail = {}
        for name in failing:
            if isinstance(old_fail, dict) and name in old_fail:
                fail[name] = old_fail[name]
            elif isinstance(old_fail, str):
                fail[name] = old_fail
                inherited.append(name)
            else:
                fail[name] = TODO
                todos.append(name)
        entry["fail"] = fail
    if result.harness != HARNESS_OK:
        if old_harness and old_harness["status"] == result.harness:
            entry["harness"] = old_harness
        elif isinstance(old_fail, str):
            entry["harness"] = {"status": result.harness, "reason": old_fail}
            inherited.append("(harness)")
        else:
            entry["harness"] = {"status": result.harness, "reason": TODO}
            todos.append(f"(harness {result.harness})")
    return entry, todos, inherited


_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_json(data):
    """JSON with real UTF-8 text, but lone surrogates (they occur in subtest names) escaped
    so the file stays valid UTF-8."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    return _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group(0)), text) + "\n"


def write_expectations(area, data):
    ordered = {k: data[k] for k in sorted(data)}
    path = expectations_path(area)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dump_json(ordered))


# ---- output ----

def show_file(result, entry):
    """Every subtest of one run (for --file)."""
    fail = (entry or {}).get("fail")
    print(f"\n== {result.run.key}  ({result.seconds:.1f} s)  harness {result.harness}"
          + (f": {result.message}" if result.message else ""))
    for t in result.tests:
        expected = ""
        if t["status"] != PASS:
            if isinstance(fail, str):
                expected = "  [expected: " + fail + "]"
            elif isinstance(fail, dict) and t["name"] in fail:
                expected = "  [expected: " + fail[t["name"]] + "]"
        print(f"  {t['status']:<8} {t['name']}{expected}")
        if t["status"] != PASS and t["message"]:
            print("           " + t["message"].replace("\n", "\n           "))
    if result.note:
        print("  note: " + result.note)
    if result.stdout.strip():
        print("  stdout:\n    " + result.stdout.rstrip().replace("\n", "\n    "))
    if result.stderr.strip():
        print("  stderr:\n    " + result.stderr.rstrip()[-4000:].replace("\n", "\n    "))


def table(rows):
    head = ["area", "files", "runs", "skipped", "clean", "subtests passed", "%"]
    body = []
    totals = [0, 0, 0, 0, 0, 0]
    for area, s in rows:
        pct = f"{100.0 * s['passed'] / s['total']:.1f}" if s["total"] else "-"
        body.append([area, str(s["files"]), str(s["runs"]), str(s["skipped"]), str(s["clean"]),
                     f"{s['passed']}/{s['total']}", pct])
        for i, k in enumerate(("files", "runs", "skipped", "clean", "passed", "total")):
            totals[i] += s[k]
    pct = f"{100.0 * totals[4] / totals[5]:.1f}" if totals[5] else "-"
    body.append(["total", *map(str, totals[:4]), f"{totals[4]}/{totals[5]}", pct])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    sep = "-+-".join("-" * w for w in widths)

    def fmt(r):
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                          enumerate(zip(r, widths)))
    lines = [fmt(head), sep] + [fmt(r) for r in body[:-1]] + [sep, fmt(body[-1])]
    return "\n".join(lines)


# ---- main ----

def main(argv=None):
    ap = argparse.ArgumentParser(description="Run web-platform-tests against torus.",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See docs/wpt.md.")
    ap.add_argument("--area", action="append", help="run this area (repeatable); default all")
    ap.add_argument("--file", action="append",
                    help="run this test file (path under the wpt folder, optionally with "
                         "?variant), showing every subtest; repeatable")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the expectations of what ran from these results")
    ap.add_argument("--allow-unexpected-pass", action="store_true",
                    help="an expected failure that passes is reported but does not fail")
    ap.add_argument("--summary", action="store_true",
                    help="print only the table; exit 0 whatever the verdict")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every subtest")
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("TORUS_WPT_JOBS", "0")) or min(2, os.cpu_count() or 1),
                    help="files run in parallel (default 2, or $TORUS_WPT_JOBS)")
    ap.add_argument("--timeout-multiplier", type=float,
                    default=float(os.environ.get("TORUS_WPT_TIMEOUT_MULTIPLIER", "1")),
                    help="scale every timeout (default 1, or $TORUS_WPT_TIMEOUT_MULTIPLIER)")
    ap.add_argument("--wpt-dir", help="the WPT folder (default: REPO/../shared/wpt)")
    ap.add_argument("--list", action="store_true", help="list the runs, run nothing")
    ap.add_argument("--results", metavar="FILE",
                    help="also write every run's result (harness, subtests, stderr) as JSON")
    args = ap.parse_args(argv)

    try:
        return _main(args)
    except Fatal as e:
        print(f"wpt: {e}", file=sys.stderr)
        return 2


def _main(args):
    wpt = find_wpt_dir(args.wpt_dir)
    areas = load_areas()
    if not args.list and not os.access(TORUS_BIN, os.X_OK):
        raise Fatal(f"no torus binary at {TORUS_BIN}: build it (cmake --build --preset dev) "
                    "or set TORUS_BIN")

    # What to run: {area: [Run]}.
    selected = {}
    files_of = {}
    for name in (args.area or ([] if args.file else sorted(areas))):
        if name not in areas:
            raise Fatal(f"unknown area {name!r}; areas.json has: " + ", ".join(sorted(areas)))
        files = area_files(wpt, areas[name])
        files_of[name] = files
        selected[name] = [r for f in files
                          for r in runs_for(wpt, name, f, areas[name].get("server", False))]
    if args.file:
        for spec in args.file:
            path, _, query = spec.partition("?")
            if path.startswith("./"):
                path = path[2:]
            if os.path.isabs(path):
                path = os.path.relpath(path, wpt)
            if not os.path.isfile(os.path.join(wpt, path)):
                raise Fatal(f"{path} is not in {wpt}")
            owner = None
            for name in sorted(areas):
                if path in area_files(wpt, areas[name], strict=False):
                    owner = name
                    break
            owner = owner or "(no area)"
            runs = runs_for(wpt, owner, path, areas.get(owner, {}).get("server", False))
            if query:
                runs = [r for r in runs if r.variant == "?" + query]
                if not runs:
                    raise Fatal(f"{path} has no variant ?{query}")
            selected.setdefault(owner, []).extend(runs)
            files_of.setdefault(owner, [])
            if path not in files_of[owner]:
                files_of[owner].append(path)
        args.verbose = True

    expectations = {a: load_expectations(a) for a in selected if a in areas}
    if args.list:
        for area, runs in selected.items():
            for r in runs:
                exp = expectations.get(area, {}).get(r.key, {})
                why = r.skip or exp.get("skip")
                print(f"{area:18} {r.key}" + (f"   [skip: {why}]" if why else ""))
        return 0

    to_run = []
    for area, runs in selected.items():
        for r in runs:
            entry = expectations.get(area, {}).get(r.key)
            if r.skip is None and not (entry and "skip" in entry):
                to_run.append(r)

    tmp_root = tempfile.mkdtemp(prefix="torus-wpt-")
    results = {}
    started = time.monotonic()
    # One stand-in server for every area that needs one ("server": true in areas.json).
    server = None
    if any(areas.get(r.area, {}).get("server") for r in to_run):
        server = standin.StandIn(wpt).start()
        server.hosts_path = os.path.join(tmp_root, "hosts")
        with open(server.hosts_path, "w", encoding="utf-8") as f:
            f.write(server.hosts_file_text())
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(run_one, wpt, r, tmp_root, args.timeout_multiplier,
                                   server if areas.get(r.area, {}).get("server") else None): r
                       for r in to_run}
            for fut in concurrent.futures.as_completed(futures):
                res = fut.result()
                results[res.run.key] = res
                if not args.summary and not args.verbose:
                    mark = "." if res.harness == HARNESS_OK else res.harness[0]
                    sys.stdout.write(mark)
                    sys.stdout.flush()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp_root, ignore_errors=True)
    if not args.summary and not args.verbose and to_run:
        print()
    elapsed = time.monotonic() - started

    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            f.write(dump_json({k: {"area": r.run.area, "harness": r.harness,
                                   "message": r.message, "tests": r.tests,
                                   "stderr": r.stderr[-4000:], "seconds": round(r.seconds, 2)}
                               for k, r in sorted(results.items())}))

    verdict = Verdict()
    rows = []
    all_todos, all_inherited = [], []
    for area, runs in selected.items():
        exp = expectations.get(area, {})
        new_exp = dict(exp)
        stats = {"files": len({r.path for r in runs}), "runs": 0, "skipped": 0, "clean": 0,
                 "passed": 0, "total": 0}
        for r in runs:
            entry = exp.get(r.key)
            if r.skip is not None or (entry and "skip" in entry):
                stats["skipped"] += 1
                if r.skip is not None and entry and "skip" not in entry:
                    verdict.unexpected_passes.append(
                        (r.key, f"has an expectation but the runner skips it ({r.skip})"))
                if r.skip is not None:
                    new_exp.pop(r.key, None)
                if args.verbose:
                    print(f"\n== {r.key}  SKIPPED: {r.skip or entry['skip']}")
                continue
            res = results[r.key]
            stats["runs"] += 1
            stats["total"] += len(res.tests)
            stats["passed"] += sum(1 for t in res.tests if t["status"] == PASS)
            if res.harness == HARNESS_OK and all(t["status"] == PASS for t in res.tests):
                stats["clean"] += 1
            judge(res, entry, verdict)
            if args.verbose:
                show_file(res, entry)
            if args.update:
                e, todos, inherited = updated_entry(res, entry)
                if e is None:
                    new_exp.pop(r.key, None)
                else:
                    new_exp[r.key] = e
                all_todos += [(r.key, n) for n in todos]
                all_inherited += [(r.key, n) for n in inherited]
        # Entries for files that no longer exist in this area.
        if area in areas and not args.file:
            known = {r.key for r in runs}
            for key in sorted(set(exp) - known):
                verdict.unexpected_passes.append((key, "expectation for a test that is not in "
                                                       "the area (renamed or removed?)"))
                new_exp.pop(key, None)
        if args.update and area in areas:
            if new_exp != exp or not os.path.exists(expectations_path(area)):
                if new_exp or os.path.exists(expectations_path(area)):
                    write_expectations(area, new_exp)
                    print(f"wpt: wrote {os.path.relpath(expectations_path(area), REPO)}")
        rows.append((area, stats))

    if args.summary:
        print(table(rows))
        print(f"({len(to_run)} runs in {elapsed:.0f} s, {args.jobs} at a time)")
        return 0

    if verdict.regressions:
        print(f"\nREGRESSIONS ({len(verdict.regressions)}): failures not in the expectations")
        for key, text in verdict.regressions:
            print(f"  {key}: {text}")
    if verdict.unexpected_passes:
        print(f"\nUNEXPECTED PASSES ({len(verdict.unexpected_passes)}): expected failures that "
              "no longer fail; remove them (--update) to keep the expectations tight")
        for key, text in verdict.unexpected_passes:
            print(f"  {key}: {text}")
    if all_todos:
        print(f"\nWARNING: {len(all_todos)} new expected failure(s) got the placeholder "
              f"{TODO!r}; replace each with the real reason:")
        for key, name in all_todos:
            print(f"  {key}: {name}")
    if all_inherited:
        print(f"\nWARNING: {len(all_inherited)} failure(s) of files that were expected to "
              "fail as a whole now carry that file's reason; check each still holds:")
        for key, name in all_inherited:
            print(f"  {key}: {name}")
    print()
    print(table(rows))
    print(f"({len(to_run)} runs in {elapsed:.0f} s, {args.jobs} at a time)")

    placeholders = []
    if not args.update:
        for area in selected:
            for key, entry in expectations.get(area, {}).items():
                reasons = [entry.get("skip"), entry.get("harness", {}).get("reason")]
                fail = entry.get("fail")
                reasons += list(fail.values()) if isinstance(fail, dict) else [fail]
                if any(isinstance(r, str) and r.startswith("TODO") for r in reasons):
                    placeholders.append(key)
    if placeholders:
        print(f"\nPLACEHOLDERS: {len(placeholders)} expectation(s) still say {TODO!r}; write the "
              "real reason:")
        for key in placeholders:
            print(f"  {key}")

    if args.update:
        return 0
    if verdict.regressions or placeholders:
        return 1
    if verdict.unexpected_passes and not args.allow_unexpected_pass:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
