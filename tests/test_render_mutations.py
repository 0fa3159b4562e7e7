"""Mutation tests: the run-time checks of every rendering refuse an unknown status code, a role-less author and a
``<script>`` in the body, whether the fault is in the rendering itself (a bug in a mapping) or in the stored
version it renders (a hand-edited document that skipped validation). A refused rendering is ``invalid_document``."""
from __future__ import annotations

import json

import pytest

from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.parsing.render import EXTRA_PROFILES, render
from ingest_plugin.parsing.render.checks import g2_problems, json_problems
from tests.rendering_fixtures import document

SOIL = "tests/fixtures/pages/zenger-israel-soil-sensors.html#0@v1"  # authors, editors, pictures
JSON_PROFILES = ("ninjs-2.2", "ninjs-1.6", "superdesk")
SCRIPT = "<script>alert(document.cookie)</script>"


def _rendered(profile: str) -> dict:
    return json.loads(render(document(SOIL), profile).objects[0].body)


def _set_body(rendered: dict, profile: str, value: str) -> None:
    if profile == "ninjs-2.2":
        rendered["bodies"][0]["value"] = value
    else:
        rendered["body_html"] = value


# --- the rendering is wrong ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", JSON_PROFILES)
def test_an_unknown_status_code_is_refused(profile):
    rendered = _rendered(profile)
    assert json_problems(profile, document(SOIL), rendered) == []
    rendered["pubstatus"] = "killed"
    assert any("pubstatus" in p for p in json_problems(profile, document(SOIL), rendered))


@pytest.mark.parametrize("profile", JSON_PROFILES)
def test_a_role_less_author_is_refused(profile):
    rendered = _rendered(profile)
    if profile == "ninjs-2.2":
        del next(s for s in rendered["infosources"] if s["role"].endswith("/author"))["role"]
    elif profile == "ninjs-1.6":
        del next(s for s in rendered["infosource"] if s["code"] == "author")["code"]
    else:
        del rendered["authors"][0]["role"]
    assert json_problems(profile, document(SOIL), rendered)


@pytest.mark.parametrize("profile", JSON_PROFILES)
def test_a_script_in_the_body_is_refused(profile):
    rendered = _rendered(profile)
    body = rendered["bodies"][0]["value"] if profile == "ninjs-2.2" else rendered["body_html"]
    _set_body(rendered, profile, SCRIPT + body)
    assert any("<script>" in p for p in json_problems(profile, document(SOIL), rendered))


def _g2(part: str) -> bytes:
    leaf = "newsml-g2.xml" if part == "package" else f"newsml-g2.{part}.xml"
    return next(o.body for o in render(document(SOIL), "newsml-g2").objects if o.leaf == leaf)


def test_g2_an_unknown_status_code_is_refused():
    for part in ("text", "package"):
        assert g2_problems(part, _g2(part), document(SOIL)) == []
        mutated = _g2(part).replace(b'qcode="stat:usable"', b'qcode="stat:killed"')
        assert any("'killed' is not a code of 'stat'" in p for p in g2_problems(part, mutated, document(SOIL)))
    undeclared = _g2("text").replace(b'qcode="ninat:text"', b'qcode="nature:text"')
    assert any("not in the item's catalog" in p for p in g2_problems("text", undeclared, document(SOIL)))


def test_g2_a_role_less_author_is_refused():
    mutated = _g2("text").replace(b'<creator role="cpprole:author">', b"<creator>", 1)
    assert mutated != _g2("text")
    assert "text: a creator without a role" in g2_problems("text", mutated, document(SOIL))


def test_g2_a_script_in_the_body_is_refused():
    mutated = _g2("text").replace(b"<body><p>", b"<body><script>alert(1)</script><p>", 1)
    assert mutated != _g2("text")
    assert any("<script>" in p for p in g2_problems("text", mutated, document(SOIL)))
    handler = _g2("text").replace(b"<body><p>", b'<body><p onclick="steal()">', 1)
    assert any("onclick" in p for p in g2_problems("text", handler, document(SOIL)))


# --- the stored version is wrong (it skipped validation): no rendering of it is made ---------------------------------

def _refused(doc: dict, profile: str) -> IngestError:
    with pytest.raises(IngestError) as raised:
        render(doc, profile)
    assert raised.value.code is ErrorCode.INVALID_DOCUMENT
    return raised.value


@pytest.mark.parametrize("profile", EXTRA_PROFILES)
def test_a_version_with_an_unknown_status_renders_in_no_profile(profile):
    doc = document(SOIL)
    doc["pubStatus"] = "killed"
    assert "killed" in _refused(doc, profile).message


@pytest.mark.parametrize("profile", EXTRA_PROFILES)
def test_a_version_with_a_role_less_author_renders_in_no_profile(profile):
    doc = document(SOIL)
    del next(s for s in doc["infoSources"] if s["role"].endswith("/author"))["role"]
    _refused(doc, profile)


@pytest.mark.parametrize("profile", EXTRA_PROFILES)
def test_a_version_with_a_script_in_its_body_renders_in_no_profile(profile):
    doc = document(SOIL)
    doc["bodies"][0]["value"] = SCRIPT + doc["bodies"][0]["value"]
    assert "<script>" in _refused(doc, profile).message
