"""The second half of ``make interop``, run with the interop virtualenv (superdesk-core 2.5.3): Superdesk's own,
unmodified ``superdesk.io.feed_parsers.ninjs.NINJSFeedParser`` parses every ``superdesk`` rendering that
``make_renderings`` wrote, and each field listed in issue 19 must arrive in the item Superdesk builds:
headline, body, byline, authors and editors with their roles, source, abstract, keywords, dates, pictures with byline
and caption, and ``pubstatus`` canceled for a kill.

    .venv-interop/bin/python tests/interop/check_superdesk.py OUT

Two shims run before the import, for the versions superdesk-core pins on Python 3.11: ``inspect.getargspec`` and
``inspect.formatargspec`` (removed in 3.11, used by celery 4.4) and ``asyncio.coroutine`` (removed in 3.11, used by
websockets 6). They add what is missing and change nothing of Superdesk. Prints one line per failure, then
"N passed, M failed".
"""
from __future__ import annotations

import asyncio
import inspect
import json
import sys
import types
from collections import namedtuple
from pathlib import Path


def shim() -> None:
    if not hasattr(inspect, "getargspec"):
        argspec = namedtuple("ArgSpec", "args varargs keywords defaults")

        def getargspec(func):  # type: ignore[no-untyped-def]
            spec = inspect.getfullargspec(func)
            return argspec(spec.args, spec.varargs, spec.varkw, spec.defaults)

        inspect.getargspec = getargspec  # type: ignore[attr-defined]
    if not hasattr(inspect, "formatargspec"):
        def formatargspec(args, varargs=None, varkw=None, defaults=None, *_rest, **_kw):  # type: ignore[no-untyped-def]
            parameters = [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args]
            if varargs:
                parameters.append(inspect.Parameter(varargs, inspect.Parameter.VAR_POSITIONAL))
            if varkw:
                parameters.append(inspect.Parameter(varkw, inspect.Parameter.VAR_KEYWORD))
            return str(inspect.Signature(parameters))

        inspect.formatargspec = formatargspec  # type: ignore[attr-defined]
    if not hasattr(asyncio, "coroutine"):
        asyncio.coroutine = types.coroutine  # type: ignore[attr-defined]


def check(parser, path: Path, want: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """What did not arrive in Superdesk's item, one line each."""
    items = parser.parse(str(path))
    [item] = [i for i in items if i.get("type") == "text"]
    pictures = [i for i in items if i.get("type") == "picture"]
    problems = []

    def expect(label: str, got: object, wanted: object) -> None:
        if got != wanted:
            problems.append(f"{label}: Superdesk read {got!r}, expected {wanted!r}")

    expect("guid", item.get("guid"), want["guid"])
    expect("headline", item.get("headline"), want["headline"])
    expect("byline", item.get("byline"), want["byline"])
    body = item.get("body_html") or ""
    missing = [p for p in want["body_paragraphs"] if p not in body]
    expect("body paragraphs missing", missing[:1], [])
    expect("disclaimer ends the body", body.endswith("".join(f"<p>{d}</p>" for d in want["disclaimers"])), True)
    expect("authors", item.get("authors") or [], want["authors"])
    expect("source", item.get("original_source"), want["source"])
    expect("abstract", item.get("abstract"), want["abstract"])
    expect("keywords", item.get("keywords") or [], want["keywords"])
    for field in ("firstcreated", "versioncreated"):
        got = item.get(field)
        expect(field, got.isoformat() if got is not None else None, want[field])
    expect("pubstatus", item.get("pubstatus"), want["pubstatus"])
    # the pictures: each ingested as an item of its own (byline, caption, image URL) and associated with the story
    got_pictures = sorted((p.get("renditions", {}).get("baseImage", {}).get("href"), p.get("byline"),
                           p.get("description_text")) for p in pictures)
    expect("pictures (href, byline, caption)", got_pictures,
           sorted((p["href"], p["byline"], p["caption"]) for p in want["pictures"]))
    associations = item.get("associations") or {}
    featured = [p["href"] for p in want["pictures"] if p["featured"]]
    expect("featuremedia", associations.get("featuremedia", {}).get("renditions", {}).get("original", {}).get("href"),
           featured[0] if featured else None)
    inline = [p for p in want["pictures"] if not p["featured"]]
    expect("pictures in the body", sorted(k for k in associations if k.startswith("editor_")),
           sorted(f"editor_{n}" for n in range(len(inline))))
    for n, picture in enumerate(inline):
        if f'<!-- EMBED START Image {{id: "editor_{n}"}} -->' not in body or picture["href"] not in body:
            problems.append(f"editor_{n}: not shown in the body")
    return problems


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    shim()
    from superdesk.io.feed_parsers.ninjs import NINJSFeedParser  # unmodified, as installed from PyPI

    expected = json.loads((out / "expected.json").read_text(encoding="utf-8"))
    parser = NINJSFeedParser()
    passed = failed = 0
    for name, want in sorted(expected.items()):
        path = out / name
        if not parser.can_parse(str(path)):
            problems = ["Superdesk's NINJSFeedParser cannot parse it"]
        else:
            try:
                problems = check(parser, path, want)
            except Exception as exc:  # noqa: BLE001 - a crash of Superdesk's parser is the finding
                problems = [f"Superdesk's parser crashed: {type(exc).__name__}: {exc}"]
        if problems:
            failed += 1
            for problem in problems:
                print(f"FAILED {name} ({want['fixture']}): {problem}")
        else:
            passed += 1
    kills = sum(1 for want in expected.values() if want["pubstatus"] == "canceled")
    pictures = sum(len(want["pictures"]) for want in expected.values())
    print(f"interop: Superdesk's NINJSFeedParser read {len(expected)} superdesk renderings ({kills} kills, "
          f"{pictures} pictures); every listed field arrived in {passed}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
