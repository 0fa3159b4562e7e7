"""The first half of ``make interop``, run with the project's virtualenv: the ``superdesk`` rendering of every fixture
document (v1, an update, a kill) as files in OUT, and ``expected.json``: what Superdesk must read from each, taken
from the canonical ninjs 3.1 document by plain rules (never from the rendering).

    python -m tests.interop.make_renderings OUT
"""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ingest_plugin.parsing.render import render
from tests.rendering_fixtures import fixture_documents

ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
_MARKER = re.compile(r'<(figure|div) data-association="[^"]*"></(figure|div)>')


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(timezone.utc).replace(microsecond=0).isoformat()


def expected(document: dict[str, Any]) -> dict[str, Any]:
    """What Superdesk's item must hold, read off the canonical document."""
    sources = document["infoSources"]
    pictures = [a for a in document.get("associations", ()) if a["type"] == "picture"]
    body = _MARKER.sub("\n", document["bodies"][0]["value"])
    return {
        "guid": document["uri"],
        "headline": next(h["value"] for h in document["headlines"] if h["role"] == "main"),
        "byline": document["by"],
        "body_paragraphs": [p.lstrip() + "</p>" for p in body.split("</p>") if p.strip().startswith("<p")],
        "disclaimers": [d["value"] for d in document["descriptions"] if d["role"] == "disclaimer"],
        "authors": ([{"name": s["name"], "role": "writer"} for s in sources if s["role"] == ROLE + "author"]
                    + [{"name": s["name"], "role": "editor"} for s in sources if s["role"] == ROLE + "editor"]),
        "source": next(s["name"] for s in sources if s["role"] == ROLE + "origcont"),
        "abstract": next((d["value"] for d in document["descriptions"] if d["role"] == "summary"), None),
        "keywords": [s["name"] for s in document.get("subjects", ())],
        "firstcreated": _utc(document["firstCreated"]),
        "versioncreated": _utc(document["versionCreated"]),
        "pubstatus": document.get("pubStatus", "usable"),
        "pictures": [{"href": p["renditions"][0]["href"], "byline": p.get("by"),
                      "caption": next((d["value"] for d in p.get("descriptions", ()) if d["role"] == "caption"),
                                      None),
                      "featured": p.get("rel") == "featured"} for p in pictures],
    }


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    expectations = {}
    for n, (name, document) in enumerate(fixture_documents()):
        file_name = f"{n:03d}.superdesk.json"
        (out / file_name).write_bytes(render(document, "superdesk").objects[0].body)
        expectations[file_name] = {"fixture": name, **expected(document)}
    (out / "expected.json").write_text(json.dumps(expectations, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{len(expectations)} superdesk renderings written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
