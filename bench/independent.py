"""The independent check the extraction issue keeps: the Zyte/scrapinghub article-extraction benchmark's 181 real
article pages (news sites in several languages), never used for development or tests. Not part of ``make bench``;
nothing of it is copied here: point it at a checkout of https://github.com/scrapinghub/article-extraction-benchmark.

    python -m bench.independent PATH/TO/article-extraction-benchmark [--json PATH]

Each page goes through the public API as a page of the extraction bench's partner with a job date, and trafilatura
runs ``bare_extraction`` on the same bytes, as in bench/extraction.py; bodies are scored the same way (bag of
lower-cased ``\\w+`` tokens against the text of the page's ground-truth ``articleBody``; an empty or refused page
scores 0). Aggregates only, by design: a page-by-page report would invite tuning on the check.
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from . import report
from .extraction import PARTNER_CONFIG, ROOT, TOOLS, _timed, both_extracted, prf, tokens


def benchmark_pages(checkout: Path) -> list[tuple[str, bytes, str]]:
    """(name, bytes, expected body text) of every page of the checkout, in the order of their hashes."""
    truth = json.loads((checkout / "ground-truth.json").read_text(encoding="utf-8"))
    return [(f"z{number:03d}", gzip.decompress((checkout / "html" / f"{key}.html.gz").read_bytes()),
             truth[key]["articleBody"]) for number, key in enumerate(sorted(truth))]


def score(checkout: Path) -> dict[str, Any]:
    from ingest_plugin import log
    from ingest_plugin.config import load_config

    log.configure("ERROR", json=True)
    load_config(PARTNER_CONFIG, environ={}).install_partners()
    rows: list[dict[str, Any]] = []
    for name, data, expected_text in benchmark_pages(checkout):
        expected, row = tokens(expected_text), {}
        for key, (run, outcome) in TOOLS.items():
            body, _, _, why = outcome(run(data, name))  # also the warm-up of the timing below
            precision, recall, f1 = prf(tokens(body), expected) if not why else (0.0, 0.0, 0.0)
            row[key] = {"p": precision, "r": recall, "f1": f1, "ms": 1000 * _timed(run, data, name),
                        **({"failed": why} if why else {})}
        rows.append(row)
    summary: dict[str, Any] = {}
    for key in TOOLS:
        mine = [row[key] for row in rows]
        summary[key] = {"pages": len(mine), **{figure: round(statistics.fmean(m[figure] for m in mine), 4)
                                                for figure in ("p", "r", "f1")},
                        "empty_or_refused": sum(1 for m in mine if "failed" in m),
                        "median_ms": round(statistics.median(m["ms"] for m in mine), 2)}
    summary["both_extracted"] = both_extracted(rows)
    return {"benchmark": str(checkout), "pages": len(rows), "summary": summary}


def render(result: dict[str, Any]) -> str:
    out = [f"Independent check: {result['pages']} pages of {result['benchmark']} (aggregates only)",
           f"{'tool':<12} {'P':>6} {'R':>6} {'F1':>6} {'refused':>8} {'ms':>7}"]
    summary = result["summary"]
    for key in TOOLS:
        s = summary[key]
        out.append(f"{key:<12} {s['p']:>6.3f} {s['r']:>6.3f} {s['f1']:>6.3f} {s['empty_or_refused']:>8} "
                   f"{s['median_ms']:>7.2f}")
    both = summary["both_extracted"]
    out.append(f"body F1 where both extract ({both['pages']} pages): ours {both['ours']}, "
               f"trafilatura {both['trafilatura']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.independent", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results-independent.json",
                        help="where the figures go (default bench/results-independent.json)")
    args = parser.parse_args(argv)
    if not (args.checkout / "ground-truth.json").is_file():
        parser.error(f"no ground-truth.json in {args.checkout}: is it a checkout of the benchmark?")
    return report.publish_guarded("bench.independent", lambda: score(args.checkout), render, args.json)


if __name__ == "__main__":
    sys.exit(main())
