"""The adversarial corpus: inputs written to break the parser or smuggle executable content through it.

* ``xss-vectors.json``: XSS filter-evasion vectors by OWASP cheat-sheet family, and hostile URLs;
* ``pages/``, ``feeds/``, ``json/``, ``bad/``: whole hostile inputs (encoding tricks, XXE and entity expansion,
  broken structure, binary and empty inputs), with what each must produce in ``expected.json``;
* ``contexts.py``: where a vector can sit in a page, feed or API story; ``generated.py``: inputs too large or too
  regular to store (the 10,000-item feed, oversized, deeply nested, entity bombs);
* ``safety.py``: the definition of "no executable content" every hostile, fuzz and soak result is checked against.

Used by tests/test_hostile.py, tests/test_fuzz.py and soak/run.py.
"""
from __future__ import annotations

import json
from pathlib import Path

HOSTILE = Path(__file__).resolve().parent
CORPUS_FOLDERS = ("bad", "feeds", "json", "pages")


def vectors() -> dict[str, list[str]]:
    """Markup vectors by family."""
    return json.loads((HOSTILE / "xss-vectors.json").read_text(encoding="utf-8"))["families"]


def urls() -> list[str]:
    return json.loads((HOSTILE / "xss-vectors.json").read_text(encoding="utf-8"))["urls"]


def all_vectors() -> list[str]:
    return [vector for family in vectors().values() for vector in family]


def corpus() -> list[Path]:
    """Every whole-input corpus file, in a stable order."""
    return sorted(p for folder in CORPUS_FOLDERS for p in (HOSTILE / folder).iterdir() if p.is_file())


def expectations() -> dict[str, dict]:
    """What each corpus file must produce, by path relative to this folder (``pages/x.html``)."""
    data = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
    return {name: value for name, value in data.items() if not name.startswith("_")}
