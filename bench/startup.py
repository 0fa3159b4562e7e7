"""Start-up: whole-process wall time of the ``ingest-plugin`` command, and the import time of the module that will
hold the AWS Lambda handler. Part of ``make bench`` (the ``startup`` section of bench/results.json).

On its own (figures to bench/results-startup.json unless ``--json PATH``):

    python -m bench.startup [--runs N] [--json PATH]

Every command is a fresh process, started once as a warm-up (bytecode caches, page cache), then ``--runs`` times,
the commands interleaved (their order rotating per repetition) so a change of machine load hits all of them alike.
Times are wall clock around ``subprocess.run`` (``time.perf_counter``), stdout to /dev/null.

Import times come from ``python -X importtime -c "import MODULE"``: the cumulative microseconds on MODULE's line
(its parent packages included, as a cold ``import`` pays them), and the heaviest imports beneath it.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import report

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = str(Path(sys.executable).parent / "ingest-plugin")  # the console script, as a user runs it
SAMPLE = "samples/zenger-article.html"  # relative to ROOT, the commands' working directory

# (label, argv, target in ms: the median whole-process time must be under it; None for a reference row)
COMMANDS: list[tuple[str, list[str], int | None]] = [
    ("ingest-plugin --version", [CLI, "--version"], 150),
    ("ingest-plugin --help", [CLI, "--help"], 150),
    (f"ingest-plugin parse {SAMPLE}", [CLI, "parse", SAMPLE], 350),
]
# The Lambda handler's module, first choice first: it does not exist yet, and will import the job runner.
LAMBDA_MODULES = ("ingest_plugin.aws_lambda", "ingest_plugin.ingest.handler", "ingest_plugin.ingest.runs")
WATCHED = ("jsonschema", "lxml", "boto3", "structlog")  # heavy dependencies `--version` should not need
HEAVIEST = 8
RUNS = 15
IMPORTTIME_RUNS = 7


# ---------------------------------------------------------------------------------------------------------------
# Whole-process times

def run(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    return time.perf_counter() - start, done


def wall_times(commands: list[tuple[str, list[str], int | None]], runs: int) -> list[dict[str, Any]]:
    """One warm-up of each command, then ``runs`` interleaved timed runs; a command that fails is reported."""
    rows: list[dict[str, Any]] = []
    for label, argv, target in commands:
        _, done = run(argv)
        row: dict[str, Any] = {"command": label, "argv": argv, "target_ms": target}
        if done.returncode != 0:
            row["error"] = f"exit {done.returncode}: {done.stderr[-1000:]}"
        rows.append(row)
    active = [row for row in rows if "error" not in row]
    times: dict[str, list[float]] = {row["command"]: [] for row in active}
    for rep in range(runs if active else 0):
        for row in active[rep % len(active):] + active[: rep % len(active)]:
            elapsed, done = run(row["argv"])
            if done.returncode != 0:
                row["error"] = f"exit {done.returncode}: {done.stderr[-1000:]}"
            times[row["command"]].append(elapsed * 1000)
    for row in active:
        ms = times[row["command"]]
        row.update(median_ms=round(statistics.median(ms), 1), min_ms=round(min(ms), 1), max_ms=round(max(ms), 1),
                   runs_ms=[round(t, 1) for t in ms])
    for row in rows:
        row["met"] = None if row["target_ms"] is None or "error" in row else row["median_ms"] < row["target_ms"]
    return rows


# ---------------------------------------------------------------------------------------------------------------
# -X importtime

@dataclass(frozen=True)
class Import:
    name: str
    depth: int
    self_us: int
    cumulative_us: int


IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


def parse_importtime(stderr: str) -> list[Import]:
    """The lines of ``-X importtime`` in printed order: a module's line comes after those of what it imported."""
    return [Import(m[4], len(m[3]) // 2, int(m[1]), int(m[2]))
            for m in map(IMPORTTIME_LINE.match, stderr.splitlines()) if m]


def beneath(entries: list[Import], index: int) -> list[tuple[Import, str]]:
    """Every import made while ``entries[index]`` was being imported, with the module that made it."""
    top = entries[index]
    stack, found = [top], []
    for entry in reversed(entries[:index]):  # reversed, the lines are in pre-order: importer before imported
        if entry.depth <= top.depth:
            break
        while stack[-1].depth >= entry.depth:
            stack.pop()
        found.append((entry, stack[-1].name))
        stack.append(entry)
    return found


def importtime(argv: list[str]) -> list[Import]:
    done = subprocess.run([PYTHON, "-X", "importtime", *argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr[-1000:]}")
    return parse_importtime(done.stderr)


def lambda_module() -> tuple[str | None, list[str], str | None]:
    """The first of ``LAMBDA_MODULES`` that exists: (its name, the names that do not exist yet, an error if it
    exists but does not import)."""
    missing = []
    for module in LAMBDA_MODULES:
        _, done = run([PYTHON, "-c", f"import {module}"])
        if done.returncode == 0:
            return module, missing, None
        if f"No module named '{module}'" in done.stderr:
            missing.append(module)
            continue
        return module, missing, f"exit {done.returncode}: {done.stderr[-1000:]}"
    return None, missing, None


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def import_profile(module: str, runs: int) -> dict[str, Any]:
    """Cumulative import time of ``module`` and the heaviest imports beneath it, median of ``runs`` (ms)."""
    importtime(["-c", f"import {module}"])  # warm-up
    totals: list[float] = []
    heaviest: dict[tuple[str, str], list[float]] = {}
    by_package: dict[str, list[float]] = {}
    for _ in range(runs):
        entries = importtime(["-c", f"import {module}"])
        index = max(i for i, e in enumerate(entries) if e.name == module)
        totals.append(entries[index].cumulative_us / 1000)
        packages: dict[str, float] = {}
        outermost: dict[str, tuple[float, str]] = {}  # a module in an import cycle can have two lines
        for entry, importer in beneath(entries, index):
            outermost[entry.name] = max(outermost.get(entry.name, (0.0, "")), (entry.cumulative_us / 1000, importer))
            if _top(entry.name) != "ingest_plugin" and _top(importer) == "ingest_plugin":
                packages[_top(entry.name)] = packages.get(_top(entry.name), 0.0) + entry.cumulative_us / 1000
        for name, ms in packages.items():
            by_package.setdefault(name, []).append(ms)
        for name, (ms, importer) in outermost.items():
            heaviest.setdefault((name, importer), []).append(ms)
    top = sorted(((statistics.median(ms), key) for key, ms in heaviest.items()), reverse=True)[:HEAVIEST]
    packages_top = sorted(((statistics.median(ms), name) for name, ms in by_package.items()), reverse=True)
    return {
        "command": f'python -X importtime -c "import {module}"',
        "runs": runs,
        "cumulative_ms": round(statistics.median(totals), 1),
        "cumulative_ms_runs": [round(t, 1) for t in totals],
        "heaviest": [{"module": name, "imported_by": importer, "cumulative_ms": round(ms, 1)}
                     for ms, (name, importer) in top],
        # what ingest_plugin's own modules import directly, by top-level package (stdlib included)
        "by_package": [{"package": name, "cumulative_ms": round(ms, 1)} for ms, name in packages_top[:HEAVIEST]],
    }


def version_imports() -> dict[str, Any]:
    """Which modules ``--version`` imports beyond the interpreter's own start-up (``python -c pass``): a check that
    each command imports what it uses."""
    interpreter = {e.name for e in importtime(["-c", "pass"])}
    names = [e.name for e in importtime(["-m", "ingest_plugin", "--version"]) if e.name not in interpreter]
    ours = [n for n in names if _top(n) == "ingest_plugin"]
    tops = {_top(n) for n in names}
    return {
        "command": "python -X importtime -m ingest_plugin --version",
        "modules": len(names),  # not counting the interpreter's start-up
        "ingest_plugin_count": len(ours),
        "ingest_plugin_modules": ours,
        "watched": {name: name in tops for name in WATCHED},
        "other_packages": sorted(t for t in tops - {*WATCHED, "ingest_plugin"} if t not in sys.stdlib_module_names),
    }


# ---------------------------------------------------------------------------------------------------------------

def commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ingest_plugin"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head} (ingest_plugin/ modified)" if head and dirty else head


def startup_benchmark(runs: int = RUNS, importtime_runs: int = IMPORTTIME_RUNS) -> dict[str, Any]:
    result: dict[str, Any] = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
                              "commit": commit(), "python": PYTHON, "warmups": 1, "runs": runs,
                              "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    module, missing, error = lambda_module()
    result["lambda"] = {"module": module, "not_yet": missing}
    commands = list(COMMANDS)
    if module and not error:
        commands.append((f'python -c "import {module}"', [PYTHON, "-c", f"import {module}"], None))
    commands.append(("python -c pass (the interpreter alone)", [PYTHON, "-c", "pass"], None))
    result["commands"] = wall_times(commands, runs)
    try:
        if error:
            raise RuntimeError(error)
        if module:
            result["lambda"].update(import_profile(module, importtime_runs))
    except RuntimeError as exc:
        result["lambda"]["error"] = str(exc)
    try:
        result["version_imports"] = version_imports()
    except RuntimeError as exc:
        result["version_imports"] = {"error": str(exc)}
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def failures(result: dict[str, Any]) -> list[str]:
    """What went wrong (a command or an import that failed), for the exit status."""
    bad = [row["command"] for row in result["commands"] if "error" in row]
    bad += [part for part in ("lambda", "version_imports") if "error" in result[part]]
    return bad


def _last_line(error: str) -> str:
    """The exception at the end of a traceback (the whole tail is in the JSON)."""
    return next((line.strip() for line in reversed(error.splitlines()) if line.strip()), error)[:200]


def render(result: dict[str, Any]) -> str:
    out = [f"START-UP - whole process, wall time, {result['warmups']} warm-up + {result['runs']} runs interleaved; "
           f"commit {result['commit']}; load average {result['loadavg_at_start'][0]} at start, "
           f"{result['loadavg_at_end'][0]} at end",
           f"  {'command':52} {'median ms':>9} {'min':>7} {'max':>7}  target"]
    for row in result["commands"]:
        if "error" in row:
            out.append(f"  {row['command']:52}  ERROR: {_last_line(row['error'])}")
            continue
        target = "" if row["target_ms"] is None else \
            f"< {row['target_ms']} ms  {'met' if row['met'] else 'NOT met'}"
        out.append(f"  {row['command']:52} {row['median_ms']:>9.1f} {row['min_ms']:>7.1f} {row['max_ms']:>7.1f}  "
                   f"{target}")
    lam = result["lambda"]
    note = f" ({', '.join(lam['not_yet'])}: not there yet)" if lam["not_yet"] else ""
    if lam["module"] is None:
        out.append(f"  Lambda handler's module: none of {', '.join(LAMBDA_MODULES)} exists")
    elif "error" in lam:
        out.append(f"  import {lam['module']}{note}: ERROR: {_last_line(lam['error'])}")
    else:
        out.append(f"  import {lam['module']}, the Lambda handler's module{note}: {lam['cumulative_ms']} ms "
                   f"cumulative (-X importtime, median of {lam['runs']})")
        out.append("    heaviest beneath it, ms cumulative: " + ", ".join(
            f"{h['module']} {h['cumulative_ms']} (from {h['imported_by']})" for h in lam["heaviest"]))
        out.append("    imported by ingest_plugin modules, by package: " + ", ".join(
            f"{p['package']} {p['cumulative_ms']}" for p in lam["by_package"]))
    v = result["version_imports"]
    if "error" in v:
        out.append(f"  --version imports: ERROR: {_last_line(v['error'])}")
    else:
        out.append(f"  --version imports {v['modules']} modules beyond the interpreter's start-up, "
                   f"{v['ingest_plugin_count']} of them ingest_plugin's; "
                   + ", ".join(f"{name} {'yes' if there else 'no'}" for name, there in v["watched"].items()))
        out.append(f"    other packages, not stdlib: {', '.join(v['other_packages']) or 'none'}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs per command (default {RUNS})")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results-startup.json",
                        help="where the figures go (default bench/results-startup.json)")
    args = parser.parse_args(argv)
    result = startup_benchmark(args.runs)
    report.publish(result, render, args.json)
    if bad := failures(result):
        print("bench.startup: failed: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
