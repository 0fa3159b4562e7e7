"""Validation: every document is checked before it leaves; the fast gate and the reporting validator agree."""
import copy

import pytest

from ingest_plugin import parse
from ingest_plugin.parsing.validate import _GATE, problems, schema_problems
from tests.pagebuilder import zenger_page

AUTHOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/author"
EDITOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/editor"


@pytest.fixture(scope="module")
def document():
    [doc] = parse(zenger_page().encode())
    return doc


def _mutations(doc):
    yield "no uri", lambda d: d.pop("uri")
    yield "uri not a uri", lambda d: d.update(uri="not a uri")
    yield "numeric version", lambda d: d.update(version=2)
    yield "no main headline", lambda d: d.update(headlines=[{"role": "subhead", "value": "x"}])
    yield "empty body", lambda d: d["bodies"][0].update(value="")
    yield "no origin", lambda d: d.update(infoSources=[s for s in d["infoSources"]
                                                       if not s["role"].endswith("origcont")])
    yield "no disclaimer", lambda d: d.update(descriptions=[])
    yield "no by", lambda d: d.pop("by")
    yield "null by", lambda d: d.update(by=None)
    yield "naive date", lambda d: d.update(firstCreated="2024-03-12T16:40:00")
    yield "bad pubStatus", lambda d: d.update(pubStatus="cancelled")
    yield "custom top-level field", lambda d: d.update(authors=["x"])
    yield "custom association field", lambda d: d.update(associations=[{"name": "photo-1", "uri": "urn:x:y",
                                                                         "type": "picture", "credit": "x",
                                                                         "renditions": [{"name": "o", "href": "https://a.b/c.jpg"}]}])
    yield "rendition href not http", lambda d: d.update(associations=[{
        "name": "photo-1", "uri": "urn:x:y", "type": "picture", "renditions": [{"name": "o", "href": "javascript:x"}]}])


def test_valid_document_passes(document):
    assert problems(document) == []
    assert schema_problems(document) == []


@pytest.mark.parametrize("name", [name for name, _ in _mutations({})])
def test_fast_gate_and_reporting_validator_agree_on_broken_documents(document, name):
    mutate = dict(_mutations(document))[name]
    broken = copy.deepcopy(document)
    mutate(broken)
    assert not _GATE.is_valid(broken)
    assert schema_problems(broken), name
    assert problems(broken)


def test_rules_no_schema_can_express(document):
    both = copy.deepcopy(document)
    both["infoSources"].insert(0, {"name": "John Checker", "role": AUTHOR})
    assert any("both author and editor" in p for p in problems(both))
    leaked = copy.deepcopy(document)
    leaked["bodies"][0]["value"] += "<p>Zenger News does not provide investment advice.</p>"
    assert any("still in the body" in p for p in problems(leaked))
    orphan = copy.deepcopy(document)
    orphan["bodies"][0]["value"] += '<div data-association="tweet-9"></div>'
    assert any("placeholders" in p for p in problems(orphan))
    backwards = copy.deepcopy(document)
    backwards["versionCreated"] = "2020-01-01T00:00:00+00:00"
    assert any("earlier than firstCreated" in p for p in problems(backwards))
