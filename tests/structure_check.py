#!/usr/bin/env python3
"""Checks the shape of the source tree that the compiler cannot:

1. Layers: every #include of the project's own headers points down the layers
   (docs/architecture.md), never up or across: os <- core <- codec <- backends, transport
   <- server, and the instrument's stats <- client <- driver <- browser <- harness <- compare
   <- report, with cli above everything.
2. Scenarios are rows: each scenario id (`.id = "..."` in src/loadgen/compare/scenarios/)
   appears as a string in exactly one source file, its own (tests and docs may repeat it).
3. The repository stands alone: no file refers to one outside it.

Exits 1 with one line per finding. Run from anywhere: python3 tests/structure_check.py
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

# Each library and what it may include besides itself and third-party headers. The instrument's
# layers may include any layer below them.
LOADGEN_LAYERS = ["stats", "client", "driver", "browser", "harness", "compare", "report"]
SERVER_SIDE = {
    "os": set(),
    "core": {"os"},
    "codec": {"os", "core"},
    "backends": {"os", "core", "codec"},
    "transport": {"os", "core", "codec"},
    "server": {"os", "core", "codec", "backends", "transport"},
}
BELOW_LOADGEN = {"os", "core", "codec", "transport"}
SCENARIO_READERS = ("loadgen/compare", "loadgen/report", "cli")
# A string spelled like a scenario id that means something else.
SAME_SPELLING = {
    ("src/loadgen/compare/sweep.cc", "concurrency"): "the concurrency sweep's name in report.json",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def library_of(path):
    """The library a path under src/ belongs to: 'transport', 'loadgen/driver', 'cli', ..."""
    parts = os.path.relpath(path, SRC).split(os.sep)
    if parts[0] == "loadgen" and len(parts) > 2:
        return "loadgen/" + parts[1]
    if len(parts) == 1:
        return "main"
    return parts[0]


def allowed(library):
    if library in SERVER_SIDE:
        return SERVER_SIDE[library] | {library}
    if library.startswith("loadgen/"):
        rank = LOADGEN_LAYERS.index(library.split("/")[1])
        return BELOW_LOADGEN | {"loadgen/" + layer for layer in LOADGEN_LAYERS[: rank + 1]}
    return None  # cli and main may include anything


def source_files():
    for directory, _, names in os.walk(SRC):
        for name in names:
            if name.endswith((".cc", ".h")):
                yield os.path.join(directory, name)


def check_layers():
    findings = []
    for path in source_files():
        library = library_of(path)
        may = allowed(library)
        if may is None:
            continue
        with open(path, encoding="utf-8") as file:
            text = file.read()
        for header in INCLUDE.findall(text):
            if not os.path.exists(os.path.join(SRC, header)):
                continue  # generated (grpc_service.pb.h) or third-party
            target = library_of(os.path.join(SRC, header))
            if target not in may:
                findings.append(f"{os.path.relpath(path, ROOT)}: {library} includes {header} "
                                f"({target} is not below it)")
    return findings


def check_scenario_ids():
    findings = []
    scenarios = os.path.join(SRC, "loadgen", "compare", "scenarios")
    ids = {}
    for name in sorted(os.listdir(scenarios)):
        if not name.endswith(".cc") or name.endswith("_test.cc"):
            continue
        with open(os.path.join(scenarios, name), encoding="utf-8") as file:
            for found in re.findall(r'\.id\s*=\s*"([^"]+)"', file.read()):
                ids[found] = os.path.join(scenarios, name)
    if not ids:
        return ["no scenario rows found under src/loadgen/compare/scenarios"]
    texts = {}
    for path in source_files():
        # Where scenarios are planned, judged, reported and chosen: elsewhere "tls" or "compute"
        # are other things of the same spelling (an error kind, a Server-Timing metric).
        if not os.path.relpath(path, SRC).startswith(SCENARIO_READERS):
            continue
        if not path.endswith("_test.cc"):
            with open(path, encoding="utf-8") as file:
                # Code only: a comment may mention a scenario.
                texts[path] = re.sub(r"//[^\n]*", "", file.read())
    for scenario_id, home in ids.items():
        # The id as a string ("tls"), or the start of a format of ids ("many-clients-{}"); not a
        # JSON key of the same spelling ("tls": ...).
        literal = re.compile('"' + re.escape(scenario_id) + r'("(?!:)|-\{)')
        where = sorted(os.path.relpath(path, ROOT) for path, text in texts.items()
                       if literal.search(text) and
                       (os.path.relpath(path, ROOT), scenario_id) not in SAME_SPELLING)
        if where != [os.path.relpath(home, ROOT)]:
            findings.append(f"scenario id '{scenario_id}' is written in {', '.join(where)}; "
                            f"only its row's file may name it")
    return findings


def check_stands_alone():
    findings = []
    outside = re.compile(r"\.\./shared|/work/|DESIGN\.md")
    for directory, subdirectories, names in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories
                             if d not in (".git", "build", "node_modules", "report")]
        for name in names:
            if name in (os.path.basename(__file__), ".git"):  # a worktree's .git names its store
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, encoding="utf-8") as file:
                    for number, line in enumerate(file, 1):
                        if outside.search(line):
                            findings.append(f"{os.path.relpath(path, ROOT)}:{number}: refers to a "
                                            f"file outside the repository")
            except (UnicodeDecodeError, OSError):
                continue
    return findings


def main():
    findings = check_layers() + check_scenario_ids() + check_stands_alone()
    for finding in findings:
        print(finding)
    print(f"structure_check: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
