"""A second set of real pages, for development: trafilatura's own evaluation pages, which its repository ships with
the snippets each page's main text must hold (``with``) and must not (``without``). Not part of ``make bench``,
and nothing of it is copied here: point it at a checkout of https://github.com/adbar/trafilatura.

    python -m bench.devset PATH/TO/trafilatura [--json PATH]

Pages named by a 32-hex hash (the Zyte/scrapinghub article-extraction benchmark's, kept as an independent check
of this work) are skipped. Each page goes through the public API as a page of the extraction bench's partner with
a job date (as bench/extraction.py does); trafilatura runs ``bare_extraction`` on the same bytes. For each tool:
pages refused or empty, the share of ``with`` snippets found and of ``without`` snippets leaked in the title and
body text (lower-cased, white space collapsed), and the median milliseconds per page of one run. trafilatura was
tuned on these pages: its figures are a bar to look at, and the pages where we fall short are where to look.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .extraction import PARTNER_CONFIG, TOOLS

_BENCHMARK_PAGE = re.compile(r"[0-9a-f]{32}\.html")
_SPACE = re.compile(r"\s+")


def devset_pages(checkout: Path) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(name, bytes, expectations) of every evaluation page the checkout holds, the benchmark's left out."""
    evaldata = json.loads((checkout / "tests" / "evaldata.json").read_text(encoding="utf-8"))
    found: list[tuple[str, bytes, dict[str, Any]]] = []
    for url, expected in evaldata.items():
        file_name = expected["file"]
        if _BENCHMARK_PAGE.fullmatch(file_name):
            continue
        path = next((p for p in (checkout / "tests" / "cache" / file_name, checkout / "tests" / "eval" / file_name)
                     if p.is_file()), None)
        if path is None:
            continue
        data = path.read_bytes()
        found.append((f"{len(found):04d}", gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data,
                      {"url": url, "with": expected.get("with", []), "without": expected.get("without", [])}))
    return found


def _norm(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip().lower()


def score(checkout: Path) -> dict[str, Any]:
    from ingest_plugin import log
    from ingest_plugin.config import load_config

    log.configure("ERROR", json=True)
    load_config(PARTNER_CONFIG, environ={}).install_partners()
    pages = devset_pages(checkout)
    result: dict[str, Any] = {"pages": len(pages), "tools": {}}
    for tool, (run, outcome) in TOOLS.items():
        refused: Counter[str] = Counter()
        found = leaked = expected_in = expected_out = 0
        times = []
        for name, data, expected in pages:
            start = time.perf_counter()
            body, title, _, failed = outcome(run(data, name))
            times.append((time.perf_counter() - start) * 1000)
            if failed:
                refused[failed["message"].split(" (")[0].split(":")[0]] += 1
            text = _norm(f"{title or ''} {body}")
            found += sum(_norm(s) in text for s in expected["with"])
            leaked += sum(_norm(s) in text for s in expected["without"])
            expected_in += len(expected["with"])
            expected_out += len(expected["without"])
        result["tools"][tool] = {
            "refused_or_empty": sum(refused.values()), "why": dict(refused.most_common()),
            "with_found": round(found / expected_in, 3), "without_leaked": round(leaked / expected_out, 3),
            "median_ms": round(statistics.median(times), 2)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.devset", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of trafilatura's repository")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not (args.checkout / "tests" / "evaldata.json").is_file():
        parser.error(f"{args.checkout} holds no tests/evaldata.json: is it a checkout of trafilatura?")
    result = score(args.checkout)
    print(f"{result['pages']} pages (the Zyte benchmark's left out)")
    for tool, figures in result["tools"].items():
        print(f"  {tool:12} refused/empty {figures['refused_or_empty']:4}  with found {figures['with_found']:.3f}  "
              f"without leaked {figures['without_leaked']:.3f}  median {figures['median_ms']:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
