"""Extraction quality on real pages (issue 18): our parser and trafilatura on the 130 pages of Mozilla Readability's
test suite, scored against Readability's expected content and metadata. Part of ``make bench`` (the ``extraction``
section of bench/results.json); skipped when the corpus folder is absent.

On its own (figures to bench/results-extraction.json unless ``--json PATH``):

    python -m bench.extraction [--corpus DIR] [--repeats N] [--json PATH]

Method (bench/README.md, "Extraction"):

* every page goes through the public API, ``parse_items(source.html, source_url=..., published=...)``, as a page
  of a benchmark partner defined only in configuration (bench/partner.toml, which owns
  ``https://pages.bench.example/<page>/``); bodies are scored with the date rule off (the job supplies a date, as a
  feed item's date would), and a second, untimed pass without it counts the pages refused for a missing date in
  their own column;
* trafilatura: ``bare_extraction(source.html, include_comments=False, with_metadata=True)`` on the same bytes;
* body: the text of the document's body (our ``bodies[0].value``, trafilatura's ``text``) against the text of
  ``expected.html`` (scripts, styles, noscript, templates and comments dropped, whitespace collapsed), lower-cased
  ``\\w+`` tokens as a bag (``Counter``), precision, recall and F1 per page from the multiset intersection,
  averaged over pages; an empty or refused page scores 0 on all three;
* titles: equal after lower-casing and collapsing whitespace; bylines: on pages whose expected byline names a person
  (``NOT_A_PERSON`` lists the others), a match when each of the tool's author names appears in it as whole
  words (lower-cased ``\\w+`` words, so punctuation is ignored), and at least one was found;
* every figure for the whole corpus and for the held-out third: every third page in name order (the 3rd, 6th, ...),
  whose per-page rows are left out of the results so that nobody tunes on them;
* milliseconds per page: each page parsed ``repeats`` times by each tool, interleaved (order alternating), median
  per page, then the median over pages.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import report

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "readability-test-pages"
PARTNER_CONFIG = ROOT / "bench" / "partner.toml"
PARTNER_URL = "https://pages.bench.example/{name}/"  # a page of the benchmark partner (PARTNER_CONFIG)
# The date a job supplies (a feed item's), so that an undated page is still scored: the date rule is off.
JOB_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
REPEATS = 3
HELD_OUT = 3  # every third page in name order (index % 3 == 2) is held out

# Pages whose expected byline names no person: they are left out of the byline figures. Looked up once, by hand,
# from expected-metadata.json (every page, held-out ones included: this defines the benchmark, it is not tuning).
NOT_A_PERSON = {
    "archive-of-our-own": "an organisation",
    "bbc-1": "the publisher",
    "heise": "a magazine section ('Mac & i')",
    "royal-road": "a button label ('Follow Author')",
    "seattletimes-1": "dates only",
    "spiceworks": "an update date",
    "wikipedia-2": "'Contributors to Wikimedia projects'",
    "wikipedia-3": "'Contributors to Wikimedia projects'",
    "wikipedia-4": "'Contributors to Wikimedia projects'",
    "yahoo-4": "'個人' ('individual')",
}
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
# Elements that break words: a space is put around them before the text is taken, so "</p><p>" never glues words.
_BLOCKS = frozenset("""address article aside blockquote br dd details div dl dt figcaption figure footer form h1 h2 h3
    h4 h5 h6 header hr img li main nav ol p pre section summary table tbody td tfoot th thead tr ul""".split())


# ---------------------------------------------------------------------------------------------------------------
# Text and scores

def html_text(markup: str) -> str:
    """The text of an HTML fragment or page: scripts, styles and comments dropped, whitespace collapsed."""
    import lxml.html
    from lxml import etree

    if not markup.strip():
        return ""
    try:
        tree = lxml.html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(tree, etree.Comment, "script", "style", "noscript", "template", with_tail=False)
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.text = " " + (element.text or "")
            element.tail = " " + (element.tail or "")
    return _SPACE.sub(" ", tree.text_content()).strip()


def tokens(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def prf(got: Counter[str], expected: Counter[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of a bag of tokens against another (multiset intersection); 0s when either is empty."""
    common = sum((got & expected).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(expected.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def norm(text: str | None) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip().lower()


def _words(text: str | None) -> str:
    """Lower-cased ``\\w+`` words joined by single spaces, padded: "John C. Welch" -> " john c welch "."""
    return " " + " ".join(_WORD.findall(unicodedata.normalize("NFC", text or "").lower())) + " "


def byline_match(names: list[str], expected: str) -> bool:
    """At least one name, and each of them in the expected byline, compared as whole words (punctuation and case
    ignored, so "John C Welch" is in "John C. Welch" but "Ann" is not in "Joanna")."""
    wanted = _words(expected)
    found = [_words(n) for n in names if _words(n).strip()]
    return bool(found) and all(name in wanted for name in found)


# ---------------------------------------------------------------------------------------------------------------
# The two tools: each returns (body text, title, author names, why empty or refused)

Outcome = tuple[str, str | None, list[str], dict[str, str] | None]


def ours(data: bytes, name: str, published: datetime | None = JOB_DATE) -> list[Any]:
    from ingest_plugin import parse_items

    return list(parse_items(data, input_name=name, source_url=PARTNER_URL.format(name=name), published=published))


def refused_for_no_date(data: bytes, name: str) -> bool:
    """Whether the page is refused when the job supplies no date (the date rule on)."""
    results = ours(data, name, published=None)
    return bool(results) and results[0].error is not None and "no publication date" in results[0].error.message

def ours_outcome(results: list[Any]) -> Outcome:
    first = results[0] if results else None
    if first is None:
        return "", None, [], {"code": "no_result", "message": "parse_items yielded nothing"}
    if first.error is not None:
        return "", None, [], {"code": str(first.error.code), "message": first.error.message}
    doc = first.document
    bodies = doc.get("bodies") or []
    body = html_text(bodies[0].get("value", "")) if bodies else ""
    title = (doc.get("headlines") or [{}])[0].get("value")
    authors = [s.get("name", "") for s in doc.get("infoSources", [])
               if str(s.get("role", "")).endswith("/author")]
    return body, title, authors, None if body else {"code": "empty", "message": "empty body"}


def trafilatura_run(data: bytes, name: str) -> Any:
    from trafilatura import bare_extraction

    return bare_extraction(data, include_comments=False, with_metadata=True)


def trafilatura_outcome(result: Any) -> Outcome:
    if result is None:
        return "", None, [], {"code": "none", "message": "bare_extraction returned None"}
    text = _SPACE.sub(" ", getattr(result, "text", None) or "").strip()
    author = getattr(result, "author", None) or ""
    authors = [a.strip() for a in author.split(";") if a.strip()]
    return text, getattr(result, "title", None), authors, None if text else {"code": "empty", "message": "no text"}


TOOLS: dict[str, tuple[Callable[[bytes, str], Any], Callable[[Any], Outcome]]] = {
    "ours": (ours, ours_outcome),
    "trafilatura": (trafilatura_run, trafilatura_outcome),
}
LABELS = {"ours": "ingest-plugin parse_items (bench partner)",
          "trafilatura": "trafilatura bare_extraction"}


# ---------------------------------------------------------------------------------------------------------------
# The benchmark

def pages(corpus_dir: Path) -> list[Path]:
    return sorted((p for p in corpus_dir.iterdir() if (p / "source.html").is_file()), key=lambda p: p.name)


def _timed(call: Callable[[bytes, str], Any], data: bytes, name: str) -> float:
    gc.collect()
    start = time.perf_counter()
    call(data, name)
    return time.perf_counter() - start


def score_page(outcome: Outcome, expected: Counter[str], meta: dict[str, Any], name: str
               ) -> dict[str, Any]:
    body, title, authors, why = outcome
    precision, recall, f1 = prf(tokens(body), expected) if not why else (0.0, 0.0, 0.0)
    row: dict[str, Any] = {"p": round(precision, 4), "r": round(recall, 4), "f1": round(f1, 4),
                           "title": norm(title) == norm(meta.get("title")) if meta.get("title") else None,
                           "title_got": title}
    if meta.get("byline") and name not in NOT_A_PERSON:
        row["byline"] = byline_match(authors, meta["byline"])
    else:
        row["byline"] = None
    row["authors"] = authors
    if why:
        row["failed"] = why
    return row


def aggregate(rows: list[dict[str, Any]], tool: str) -> dict[str, Any]:
    mine = [r[tool] for r in rows]
    readerable = [r[tool] for r in rows if r["readerable"]]
    titled = [m for m in mine if m["title"] is not None]
    bylined = [m for m in mine if m["byline"] is not None]
    codes = Counter(m["failed"]["code"] for m in mine if "failed" in m)
    # Why ours refused: the rule, without the page's particulars ("the page is no article: its og:type is X")
    reasons = Counter(m["failed"]["message"].split(":")[0] for m in mine if "failed" in m)
    return {
        "pages": len(mine),
        "p": round(statistics.fmean(m["p"] for m in mine), 4),
        "r": round(statistics.fmean(m["r"] for m in mine), 4),
        "f1": round(statistics.fmean(m["f1"] for m in mine), 4),
        "readerable_pages": len(readerable),
        "empty_or_refused_readerable": sum(1 for m in readerable if "failed" in m),
        "empty_or_refused_all": sum(1 for m in mine if "failed" in m),
        "by_code": dict(codes),
        "by_reason": dict(reasons),
        "date_refusals": sum(1 for m in mine if m.get("refused_for_no_date")),
        "titles": sum(1 for m in titled if m["title"]),
        "titles_of": len(titled),
        "bylines": sum(1 for m in bylined if m["byline"]),
        "bylines_of": len(bylined),
        "median_ms": round(statistics.median(r["ms"][tool] for r in rows), 2),
    }


def both_extracted(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Body F1 on the pages neither tool refused or left empty: extraction quality apart from the decisions to
    refuse (a home page, a page without a title or with a stub for a body), which score 0 in the main figures."""
    kept = [r for r in rows if "failed" not in r["ours"] and "failed" not in r["trafilatura"]]
    return {"pages": len(kept), **{key: round(statistics.fmean(r[key]["f1"] for r in kept), 4) if kept else None
                                   for key in ("ours", "trafilatura")}}


def extraction_benchmark(corpus_dir: Path = CORPUS, repeats: int = REPEATS) -> dict[str, Any]:
    """Score and time both tools on every page of ``corpus_dir``; per-page rows only for the pages not held out."""
    from ingest_plugin import log
    from ingest_plugin.config import load_config

    log.configure("ERROR", json=True)  # the parser's warnings (canonical_url_dropped, ...) are not output here
    load_config(PARTNER_CONFIG, environ={}).install_partners()
    folders = pages(corpus_dir)
    started, load_at_start = time.perf_counter(), os.getloadavg()[0]
    tools = dict(TOOLS)
    notes: list[str] = []
    try:
        import trafilatura
        trafilatura_version = trafilatura.__version__
    except ImportError:
        del tools["trafilatura"]
        trafilatura_version = None
        notes.append("trafilatura is not installed (pip install -e '.[bench]'): its column is skipped")
    rows: list[dict[str, Any]] = []
    for index, folder in enumerate(folders):
        name = folder.name
        data = (folder / "source.html").read_bytes()
        expected_text = html_text((folder / "expected.html").read_text(encoding="utf-8", errors="replace"))
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        row: dict[str, Any] = {"page": name, "held_out": index % HELD_OUT == HELD_OUT - 1,
                               "readerable": bool(meta.get("readerable")), "bytes": len(data),
                               "expected_tokens": sum(tokens(expected_text).values()), "ms": {}}
        expected = tokens(expected_text)
        for key, (run, outcome) in tools.items():
            try:  # the scored pass is also the warm-up of the timing below
                result = outcome(run(data, name))
            except Exception as exc:  # noqa: BLE001 - a tool crashing on one page scores 0 there
                result = ("", None, [], {"code": "exception", "message": f"{type(exc).__name__}: {exc}"[:300]})
            row[key] = score_page(result, expected, meta, name)
        row["ours"]["refused_for_no_date"] = refused_for_no_date(data, name)
        times: dict[str, list[float]] = {key: [] for key in tools}
        order = list(tools)
        for rep in range(repeats):
            for key in order[rep % len(order):] + order[: rep % len(order)]:
                try:
                    times[key].append(_timed(tools[key][0], data, name))
                except Exception:  # noqa: BLE001 - already scored as a failure
                    times[key].append(float("nan"))
        row["ms"] = {key: round(statistics.median(t) * 1000, 3) for key, t in times.items()}
        rows.append(row)
        if (index + 1) % 26 == 0:
            print(f"extraction: {index + 1}/{len(folders)} pages", file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for split, subset in (("all", rows), ("held_out", [r for r in rows if r["held_out"]])):
        summary[split] = {key: aggregate(subset, key) for key in tools}
        if "trafilatura" in tools:
            summary[split]["speed_ratio"] = round(summary[split]["trafilatura"]["median_ms"]
                                                  / summary[split]["ours"]["median_ms"], 2)
            summary[split]["both_extracted"] = both_extracted(subset)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "corpus": str(corpus_dir),
        "pages": len(rows),
        "held_out_pages": sum(1 for r in rows if r["held_out"]),
        "repeats": repeats,
        "partner_url": PARTNER_URL,
        "partner_config": str(PARTNER_CONFIG.relative_to(ROOT)),
        "trafilatura": trafilatura_version,
        "loadavg": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],  # at start and end: timing is noisy above 1
        "elapsed_s": round(time.perf_counter() - started, 1),
        "not_a_person": NOT_A_PERSON,
        "notes": notes,
        "summary": summary,
        # Per-page rows for the tuning two-thirds only: the held-out pages are reported as aggregates.
        "per_page": [r for r in rows if not r["held_out"]],
    }


def targets(split: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Issue 18's done-when figures (reported, never enforced)."""
    o, t = split["ours"], split["trafilatura"]
    return [
        ("body F1 >= trafilatura's", f"{o['f1']:.3f} vs {t['f1']:.3f}", o["f1"] >= t["f1"]),
        ("readerable empty/refused (date rule off) <= trafilatura's empty",
         f"{o['empty_or_refused_readerable']} vs {t['empty_or_refused_readerable']}",
         o["empty_or_refused_readerable"] <= t["empty_or_refused_readerable"]),
        ("titles >= trafilatura's", f"{o['titles']} vs {t['titles']}", o["titles"] >= t["titles"]),
        ("bylines >= trafilatura's", f"{o['bylines']} vs {t['bylines']}", o["bylines"] >= t["bylines"]),
        ("full parse >= 3x faster per page (median ms)", f"{split['speed_ratio']}x", split["speed_ratio"] >= 3),
    ]


def render(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"EXTRACTION (issue 18) - skipped: {result['skipped']}"
    out = [f"EXTRACTION (issue 18) - {result['pages']} real pages (Mozilla Readability's test pages), ours as pages of "
           f"{result['partner_url'].split('/{name}')[0]}, trafilatura {result['trafilatura']}; held-out third = "
           f"every third page in name order ({result['held_out_pages']} pages); ms: median over pages of the median "
           f"of {result['repeats']} interleaved runs; load average {result['loadavg'][0]} at start, "
           f"{result['loadavg'][1]} at end"]
    for split, label in (("all", "whole corpus"), ("held_out", "held-out third")):
        s = result["summary"][split]
        out.append(f"  {label}:")
        out.append(f"    {'tool':46} {'P':>6} {'R':>6} {'F1':>6} {'empty/refused':>13} {'date ref.':>9} "
                   f"{'titles':>8} {'bylines':>8} {'ms/page':>8}")
        for key in ("ours", "trafilatura"):
            if key not in s:
                continue
            t = s[key]
            refused = f"{t['empty_or_refused_readerable']}/{t['readerable_pages']}"
            out.append(f"    {LABELS[key]:46} {t['p']:>6.3f} {t['r']:>6.3f} {t['f1']:>6.3f} {refused:>13} "
                       f"{t['date_refusals']:>9} {t['titles']:>3}/{t['titles_of']:<4} {t['bylines']:>3}/"
                       f"{t['bylines_of']:<4} {t['median_ms']:>8.2f}")
        for key in ("ours", "trafilatura"):
            if key in s and s[key]["by_code"]:
                out.append(f"    {key}: empty/refused on all {s[key]['pages']} pages: "
                           f"{s[key]['empty_or_refused_all']} ("
                           + ", ".join(f"{c} {n}" for c, n in sorted(s[key]["by_code"].items())) + "): "
                           + "; ".join(f"{n} {r}" for r, n in sorted(s[key].get("by_reason", {}).items())))
        if s.get("both_extracted", {}).get("pages"):
            both = s["both_extracted"]
            out.append(f"    body F1 on the {both['pages']} pages both tools extracted: ours {both['ours']:.3f}, "
                       f"trafilatura {both['trafilatura']:.3f}")
        if "speed_ratio" in s:
            out.append(f"    trafilatura/ours median ms: {s['speed_ratio']}x")
            out.append("    targets: " + "; ".join(f"{figure}: {measured} {'met' if met else 'NOT met'}"
                                                   for figure, measured, met in targets(s)))
    out.append("  empty/refused: of the readerable pages (readerable: true in expected-metadata.json); date ref.: "
               "pages refused for a missing date when the job supplies none (the other columns: date rule off); "
               "bylines: pages whose expected byline names a person")
    out += [f"  note: {n}" for n in result.get("notes", [])]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"the pages (default {CORPUS})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed runs per page and tool ({REPEATS})")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results-extraction.json",
                        help="where the figures go (default bench/results-extraction.json)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"bench.extraction: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    return report.publish_guarded("bench.extraction", lambda: extraction_benchmark(args.corpus, args.repeats), render,
                                  args.json)


if __name__ == "__main__":
    sys.exit(main())
