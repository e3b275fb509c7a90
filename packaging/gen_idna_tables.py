#!/usr/bin/env python3
"""Generates the UTS #46 (IDNA) tables of js/api/idna.cc from the npm package tr46.

tr46 (jsdom's UTS #46, used by whatwg-url) ships the IDNA Mapping Table of its Unicode version
as lib/mappingTable.json and the validity criteria's character sets (General_Category=Mark,
Canonical_Combining_Class=Virama, the ContextJ joining types, the Bidi Rule's classes) as
regular-expression character classes in lib/regexes.js. packaging/setup.sh installs a pinned
version into third_party/npm/tr46; CMake runs this script at build time, so no Unicode data is
committed. The output is deterministic: the same package gives the same header byte for byte.

Usage: gen_idna_tables.py TR46_DIR OUT_HEADER
"""

import json
import re
import sys

# lib/statusMapping.js
STATUS = {1: "mapped", 2: "valid", 3: "disallowed", 6: "deviation", 7: "ignored"}
# js/api/idna.cc's encoding of a status (3 bits).
CODE = {"valid": 0, "deviation": 1, "ignored": 2, "mapped": 3, "disallowed": 4}


def fail(msg):
    sys.exit(f"gen_idna_tables: {msg}")


def parse_class(body):
    """The code point ranges of a JS /u regex character class body (no negation, no \\p)."""
    points = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            e = body[i + 1]
            if e == "u" and body[i + 2] == "{":
                j = body.index("}", i)
                cp = int(body[i + 3:j], 16)
                i = j + 1
            elif e == "u":
                cp = int(body[i + 2:i + 6], 16)
                i += 6
            elif e == "x":
                cp = int(body[i + 2:i + 4], 16)
                i += 4
            elif e == "0" and not body[i + 2:i + 3].isdigit():
                cp = 0
                i += 2
            elif not e.isalnum():
                cp = ord(e)
                i += 2
            else:
                fail(f"unsupported escape \\{e} in a character class")
        else:
            if c == "[" or (c == "^" and i == 0):
                fail(f"unsupported '{c}' in a character class")
            cp = ord(c)
            i += 1
        points.append(cp)
        if i < len(body) and body[i] == "-" and i + 1 < len(body):
            points.append("-")
            i += 1
    ranges = []
    k = 0
    while k < len(points):
        if k + 2 < len(points) and points[k + 1] == "-":
            lo, hi = points[k], points[k + 2]
            k += 3
        else:
            lo = hi = points[k]
            k += 1
        if lo > hi:
            fail(f"bad range {lo:X}-{hi:X}")
        ranges.append((lo, hi))
    ranges.sort()
    merged = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


CLASS = re.compile(r"\[((?:\\.|[^\]\\])*)\]")


def parse_regexes(text):
    """name -> (shape, [ranges per class]); shape is the regex with each class as [C]."""
    out = {}
    for m in re.finditer(r"^const (\w+) = /(.*)/u;$", text, re.M):
        name, src = m.group(1), m.group(2)
        shape = CLASS.sub("[C]", src)
        out[name] = (shape, [parse_class(c) for c in CLASS.findall(src)])
    return out


# The shapes js/api/idna.cc implements; a tr46 whose regexes change shape must fail the build.
EXPECTED = {
    "combiningMarks": "[C]",
    "combiningClassVirama": "[C]",
    "validZWNJ": "[C][C]*\\u200C[C]*[C]",
    "bidiDomain": "[C]",
    "bidiS1LTR": "[C]",
    "bidiS1RTL": "[C]",
    "bidiS2": "^[C]*$",
    "bidiS3": "[C][C]*$",
    "bidiS4EN": "[C]",
    "bidiS4AN": "[C]",
    "bidiS5": "^[C]*$",
    "bidiS6": "[C][C]*$",
}


def main():
    if len(sys.argv) != 3:
        fail("usage: gen_idna_tables.py TR46_DIR OUT_HEADER")
    tr46, out_path = sys.argv[1], sys.argv[2]
    with open(f"{tr46}/package.json", encoding="utf-8") as f:
        package = json.load(f)
    with open(f"{tr46}/lib/mappingTable.json", encoding="utf-8") as f:
        table = json.load(f)
    with open(f"{tr46}/lib/statusMapping.js", encoding="utf-8") as f:
        status_js = f.read()
    for name, value in re.findall(r"(\w+): (\d+)", status_js):
        if STATUS.get(int(value)) != name:
            fail(f"statusMapping.js changed: {name}: {value}")
    with open(f"{tr46}/lib/regexes.js", encoding="utf-8") as f:
        regexes = parse_regexes(f.read())
    for name, shape in EXPECTED.items():
        if name not in regexes or regexes[name][0] != shape:
            fail(f"regexes.js: {name} is not of the shape {shape}")

    # Mapping table: one row per run of code points, first code point and packed value
    # (status in bits 0-2, mapping length in bits 3-7, offset into the pool in bits 8-31).
    pool = []
    pool_index = {}
    rows = []
    expect = 0
    for entry in table:
        lo, hi = entry[0] if isinstance(entry[0], list) else (entry[0], entry[0])
        if lo != expect:
            fail(f"mapping table has a gap or overlap at U+{lo:04X}")
        expect = hi + 1
        status = STATUS.get(entry[1])
        if status is None:
            fail(f"unknown status {entry[1]} at U+{lo:04X}")
        value = CODE[status]
        # A deviation's mapping is for Transitional Processing, which the URL Standard never
        # uses: deviations are kept as valid code points.
        if status == "mapped":
            mapping = [ord(ch) for ch in entry[2]] if len(entry) > 2 else []
            if not 0 < len(mapping) < 32:
                fail(f"mapping of U+{lo:04X} has {len(mapping)} code points")
            key = tuple(mapping)
            if key not in pool_index:
                pool_index[key] = len(pool)
                pool.extend(mapping)
            value |= len(mapping) << 3 | pool_index[key] << 8
        if rows and rows[-1][1] == value:
            continue  # the same status and mapping as the run before: one run
        rows.append((lo, value))
    if expect != 0x110000:
        fail("mapping table does not end at U+10FFFF")
    if len(pool) >= 1 << 24:
        fail("mapping pool too large")

    lines = [
        "// Generated by packaging/gen_idna_tables.py from the npm package tr46 "
        f"{package['version']}",
        f"// (UTS #46 for Unicode {package.get('unicodeVersion', '?')}). Do not edit.",
        "#pragma once",
        "#include <cstdint>",
        "",
        "namespace torus::idna::tables {",
        "",
        f'inline constexpr char kTr46Version[] = "{package["version"]}";',
        f'inline constexpr char kUnicodeVersion[] = "{package.get("unicodeVersion", "")}";',
        "",
        "struct Run {",
        "  uint32_t first;",
        "  uint32_t value;",
        "};",
        "struct Range {",
        "  uint32_t first;",
        "  uint32_t last;",
        "};",
        "",
        f"inline constexpr char32_t kMappingPool[{max(len(pool), 1)}] = {{",
    ]
    for i in range(0, len(pool), 12):
        lines.append("  " + " ".join(f"0x{c:X}," for c in pool[i:i + 12]))
    lines.append("};")
    lines.append(f"inline constexpr Run kMapping[{len(rows)}] = {{")
    for i in range(0, len(rows), 4):
        lines.append("  " + " ".join(f"{{0x{a:X}, 0x{b:X}}}," for a, b in rows[i:i + 4]))
    lines.append("};")

    def emit(cname, ranges):
        lines.append("")
        lines.append(f"inline constexpr Range {cname}[{len(ranges)}] = {{")
        for i in range(0, len(ranges), 4):
            lines.append("  " + " ".join(f"{{0x{a:X}, 0x{b:X}}}," for a, b in ranges[i:i + 4]))
        lines.append("};")

    for name in EXPECTED:
        classes = regexes[name][1]
        for k, ranges in enumerate(classes):
            suffix = "" if len(classes) == 1 else str(k)
            emit(f"k_{name}{suffix}", ranges)
    lines.append("")
    lines.append("}  // namespace torus::idna::tables")
    text = "\n".join(lines) + "\n"
    try:
        with open(out_path, encoding="utf-8") as f:
            if f.read() == text:
                return  # unchanged: keep the timestamp
    except FileNotFoundError:
        pass
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
