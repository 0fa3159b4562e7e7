"""Golden tests: realistic partner pages, feeds and payloads (tests/fixtures) against the fields a newsroom
editor reviewed by hand (tests/fixtures/expected/*.json). Every output is also checked against IPTC's official
ninjs 3.1 schema."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from ingest_plugin import parse_items
from tests.official import official_errors

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = sorted((FIXTURES / "expected").glob("*.json"))
ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"


def _fixture_for(expected: Path) -> Path:
    name = expected.name[: -len(".json")]
    [path] = [p for folder in ("pages", "feeds", "api") if (p := FIXTURES / folder / name).exists()]
    return path


def _names(doc: dict, role: str) -> list[str]:
    return [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + role]


def _text(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).replace("\xa0", " ")


def _alt(doc: dict, role_suffix: str) -> str | None:
    return next((a["value"] for a in doc.get("altIds", []) if a["role"].endswith(role_suffix)), None)


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name)
def test_fixture_matches_reviewed_fields(expected_path):
    expected = json.loads(expected_path.read_text())["documents"]
    results = list(parse_items(_fixture_for(expected_path).read_bytes(), input_name=expected_path.name))
    assert [r.error.to_dict() for r in results if r.error] == []
    docs = [r.document for r in results]
    assert len(docs) == len(expected)
    for doc, want in zip(docs, expected, strict=True):
        assert official_errors(doc) == []
        _compare(doc, want)


def _compare(doc: dict, want: dict) -> None:
    headlines = {h["role"]: h["value"] for h in doc["headlines"]}
    assert headlines["main"] == want["headline"]
    if "subhead" in want:
        assert headlines.get("subhead") == want["subhead"]
    assert _names(doc, "author") == want["authors"]
    assert _names(doc, "editor") == want["editors"]
    assert doc["by"] == want["by"]
    assert _names(doc, "origcont") == [want["origin"]]
    assert _names(doc, "distributor") == ([want["distributor"]] if want.get("distributor") else [])
    disclaimers = [d["value"] for d in doc["descriptions"] if d["role"] == "disclaimer"]
    for disclaimer in want.get("disclaimers", []):
        assert any(disclaimer.rstrip(".") in d for d in disclaimers), (disclaimer, disclaimers)
    if want.get("first_created"):
        assert datetime.fromisoformat(doc["firstCreated"]) == datetime.fromisoformat(want["first_created"])
    if "located" in want:
        assert doc.get("located") == want["located"]
    if want.get("partner_id"):
        assert _alt(doc, "-id") == want["partner_id"]
    if want.get("canonical_url"):
        assert _alt(doc, "canonical-url") == want["canonical_url"]
    pictures = [a for a in doc.get("associations", []) if a["type"] == "picture"]
    if "photos" in want:
        got = [{"href": p["renditions"][0]["href"],
                "caption": next((d["value"] for d in p.get("descriptions", []) if d["role"] == "caption"), None),
                "credit": p.get("by")} for p in pictures]
        assert sorted(got, key=lambda p: p["href"]) == sorted(
            [{"href": p["href"], "caption": p.get("caption"), "credit": p.get("credit")} for p in want["photos"]],
            key=lambda p: p["href"])
    tweets = [{"uri": a["uri"], "handle": a.get("by")} for a in doc.get("associations", []) if a["type"] == "text"]
    if "tweets" in want:
        assert tweets == want["tweets"]
    subjects = {s["name"] for s in doc.get("subjects", [])}
    assert set(want.get("keywords", [])) <= subjects
    symbols = {s["symbol"] for o in doc.get("organisations", []) for s in o["symbols"]}
    assert set(want.get("tickers", [])) <= symbols
    body = doc["bodies"][0]["value"]
    text = _text(body)
    for phrase in want.get("body_contains", []):
        assert _text(phrase) in text, phrase
    for phrase in want.get("body_not_contains", []):
        assert phrase not in body and phrase not in text, phrase


BAD = FIXTURES / "bad"


@pytest.mark.parametrize("name", sorted(json.loads((BAD / "expected.json").read_text())) if (
    BAD / "expected.json").exists() else [], ids=str)
def test_bad_and_odd_inputs(name):
    want = json.loads((BAD / "expected.json").read_text())[name]
    results = list(parse_items((BAD / name).read_bytes(), input_name=name))
    if isinstance(want, str) or "code" in want:
        code = want if isinstance(want, str) else want["code"]
        assert [r.error.code for r in results] == [code]
        return
    if "ok_or_code" in want:
        assert all(r.ok or r.error.code in want["ok_or_code"] for r in results)
        return
    assert all(r.ok for r in results), [r.error.to_dict() for r in results if r.error]
    doc = results[0].document
    if want.get("headline"):
        assert doc["headlines"][0]["value"] == want["headline"]
    text = _text(doc["bodies"][0]["value"])
    for phrase in want.get("body_contains", []):
        assert phrase in text, phrase
    for phrase in want.get("body_not_contains", []):
        assert phrase not in json.dumps(doc, ensure_ascii=False), phrase
