"""Validation: every document is checked before it leaves; the fast gate and the reporting validator agree."""
import copy
from pathlib import Path

import pytest

from ingest_plugin import ErrorCode, IngestError, parse
from ingest_plugin.parsing.validate import (
    _GATE,
    PROFILE_SCHEMA_NAME,
    problems,
    schema_problems,
    validate_document,
)
from ingest_plugin.schemas import load_schema
from tests.pagebuilder import DEFAULT_BODY, zenger_page

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


# --- the last gate: hand-edited documents (issue #16: 6, 9, 10) ------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
ORIGIN = "http://cv.iptc.org/newscodes/contentprodpartyrole/origcont"
TICKER = "http://cv.iptc.org/newscodes/financialinstrumentsymboltype/ticker"
BENZINGA_URL = "https://www.benzinga.com/news/24/03/37654321/congress-passes-spending-bill"


@pytest.fixture(scope="module")
def full():
    """A real document with a URL in every place one can be: credits, altIds, a ticker, a picture and a tweet."""
    [doc] = parse((FIXTURES / "pages" / "zenger-blinken.html").read_bytes())
    doc["organisations"] = [{"name": "Ford", "rel": "mentions", "symbols": [{"symbol": "F", "symbolType": TICKER}]}]
    assert problems(doc) == [] and {a["type"] for a in doc["associations"]} == {"picture", "text"}
    return doc


def _association(doc, kind):
    return next(a for a in doc["associations"] if a["type"] == kind)


def _origin(doc):
    return next(s for s in doc["infoSources"] if s["role"] == ORIGIN)


def _canonical(doc):
    return next(a for a in doc["altIds"] if a["role"] == "canonical-url")


def _body(markup):
    return lambda d: d["bodies"][0].update(value=d["bodies"][0]["value"] + markup)


def _picture_href(url):
    return lambda d: _association(d, "picture")["renditions"][0].update(href=url)


HAND_EDITS = {
    "script in the body": _body("<script>alert(1)</script>"),
    "onerror in the body": _body('<p>Photo <img src="x" onerror="alert(1)"></p>'),
    "event handler on an allowed tag": _body('<p onclick="alert(1)">Read more</p>'),
    "javascript: link in the body": _body('<p><a href="javascript:alert(1)">Read more</a></p>'),
    "iframe in the body": _body('<iframe src="https://evil.example/"></iframe>'),
    "script in a tweet embed": lambda d: _association(d, "text")["bodies"][0].update(
        value=_association(d, "text")["bodies"][0]["value"] + "<script>alert(1)</script>"),
    "javascript: picture": _picture_href("javascript:alert(1)"),
    "quoted picture URL": _picture_href('https://wpcdn.zenger.news/a.jpg" onerror="alert(1)'),
    "spaced picture URL": _picture_href("https://wpcdn.zenger.news/a b.jpg"),
    "apostrophe in a picture URL": _picture_href("https://wpcdn.zenger.news/it's.jpg"),
    "picture with credentials": _picture_href("https://user:secret@wpcdn.zenger.news/a.jpg"),
    "picture off the partner's hosts": _picture_href("https://evil.example/a.jpg"),
    "tweet rendition off the embed hosts": lambda d: _association(d, "text")["renditions"][0].update(
        href="https://evil.example/status/1"),
    "javascript: canonical URL": lambda d: _canonical(d).update(value="javascript:alert(1)"),
    "quoted canonical URL": lambda d: _canonical(d).update(value="https://www.zenger.news/a'><script>x</script>"),
    "spaced canonical URL": lambda d: _canonical(d).update(value="https://www.zenger.news/a b/"),
    "canonical URL on another partner's host": lambda d: _canonical(d).update(value=BENZINGA_URL),
    "javascript: in another altId": lambda d: d["altIds"].append({"role": "zenger-article-id",
                                                                  "value": "javascript:alert(1)"}),
    "origin credited to another partner": lambda d: _origin(d).update(name="Benzinga"),
    "origin homepage on another partner's host": lambda d: _origin(d).update(uri="https://www.benzinga.com/"),
    "javascript: credit uri": lambda d: d["infoSources"].append({"name": "Jane Doe", "role": AUTHOR,
                                                                 "uri": "javascript:alert(1)"}),
    "javascript: symbolType": lambda d: d["organisations"][0]["symbols"][0].update(symbolType="javascript:x"),
    "uri of no partner": lambda d: d.update(uri="urn:newsml:evil.example:4242"),
    "a second body": lambda d: d["bodies"].append({"role": "main", "contentType": "text/html",
                                                   "value": "<script>alert(1)</script>"}),
    # each raised in the validator (ValueError, UnicodeEncodeError), and was then kept as an S3 failure
    "a leap second": lambda d: d.update(versionCreated="2016-12-31T23:59:60Z"),
    "half a surrogate pair in the body": lambda d: d["bodies"][0].update(value="<p>A \udc80 B</p>"),
    "half a surrogate pair in a URL": lambda d: d["altIds"].append({"role": "canonical-url",
                                                                   "value": "https://www.zenger.news/a\ud800"}),
}


@pytest.mark.parametrize("name", HAND_EDITS)
def test_a_hand_edited_document_is_refused(full, name):
    """What the parser never produces, a hand-edited document can hold: validation is the last gate for it."""
    broken = copy.deepcopy(full)
    HAND_EDITS[name](broken)
    assert problems(broken), name
    with pytest.raises(IngestError) as raised:
        validate_document(broken)
    assert raised.value.code is ErrorCode.INVALID_DOCUMENT


def test_the_problems_name_the_field_and_the_reason(full):
    edited = copy.deepcopy(full)
    for name in ("script in the body", "canonical URL on another partner's host", "picture off the partner's hosts",
                 "origin credited to another partner"):
        HAND_EDITS[name](edited)
    found = problems(edited)
    assert any(p.startswith("bodies/0/value: ") and "allow-list" in p for p in found), found
    assert any(p.startswith("altIds/") and "benzinga.com" in p and "Zenger News" in p for p in found), found
    assert any("/renditions/0/href: " in p and "evil.example" in p for p in found), found
    assert any(p.startswith("infoSources/") and "origin" in p for p in found), found


TRAILING_NEWLINES = {
    "uri": lambda d: d.update(uri=d["uri"] + "\n"),
    "version": lambda d: d.update(version="1\n"),
    "language": lambda d: d.update(language="en\n"),
    "firstCreated": lambda d: d.update(firstCreated=d["firstCreated"] + "\n"),
    "picture name": lambda d: _association(d, "picture").update(name="photo-1\n"),
    "tweet by": lambda d: _association(d, "text").update(by=_association(d, "text")["by"] + "\n"),
    "rendition href": _picture_href("https://wpcdn.zenger.news/a.jpg\n"),
    "canonical URL": lambda d: _canonical(d).update(value=_canonical(d)["value"] + "\n"),
}


@pytest.mark.parametrize("name", TRAILING_NEWLINES)
def test_patterns_match_the_whole_value_in_both_validators(full, name):
    """Python's jsonschema searches patterns with re.search, where "$" also matches before a final newline: both
    the fast gate and the reporting validator must refuse "value\\n"."""
    broken = copy.deepcopy(full)
    TRAILING_NEWLINES[name](broken)
    assert not _GATE.is_valid(broken)
    assert schema_problems(broken), name


def _url_paths(schema, node=None, path=()):
    """The paths of every URL the profile schema allows ("format": "uri"), "*" for an array item."""
    node = schema if node is None else node
    if "$ref" in node:
        yield from _url_paths(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[1]], path)
    if node.get("format") == "uri":
        yield path
    for name, child in node.get("properties", {}).items():
        yield from _url_paths(schema, child, (*path, name))
    if "items" in node:
        yield from _url_paths(schema, node["items"], (*path, "*"))
    for child in [*node.get("oneOf", ()), *node.get("allOf", ()), *([node["then"]] if "then" in node else [])]:
        yield from _url_paths(schema, child, path)


URL_FIELDS = {  # every URL a document can hold, and a hand edit of it that validation refuses
    ("uri",): lambda d: d.update(uri="javascript:alert(1)"),
    ("infoSources", "*", "uri"): HAND_EDITS["javascript: credit uri"],
    ("organisations", "*", "symbols", "*", "symbolType"): HAND_EDITS["javascript: symbolType"],
    ("altIds", "*", "value"): HAND_EDITS["quoted canonical URL"],
    ("associations", "*", "uri"): lambda d: _association(d, "text").update(uri="https://evil.example/x/status/1"),
    ("associations", "*", "renditions", "*", "href"): HAND_EDITS["picture off the partner's hosts"],
}


def test_every_url_the_schema_allows_is_checked(full):
    """A URL field added to the profile schema fails here until validation checks it (validate._url_problems)."""
    assert set(_url_paths(load_schema(PROFILE_SCHEMA_NAME))) == set(URL_FIELDS)
    for path, edit in URL_FIELDS.items():
        broken = copy.deepcopy(full)
        edit(broken)
        assert problems(broken), path


@pytest.mark.parametrize("pre", ["<pre>\n\nline one\nline two</pre>", "<pre>\r\n\r\nx</pre>",
                                 "<pre>\n\n<code>x</code></pre>"])
def test_every_body_the_parser_makes_passes_the_allow_list_check(pre):
    """The check is "the sanitiser leaves the body as it is": a <pre> starting with blank lines, whose first line
    break an HTML parser drops at each reading, must not make a parsed article fail it."""
    [doc] = parse(zenger_page(pre + DEFAULT_BODY).encode())
    assert "<pre>" in doc["bodies"][0]["value"] and problems(doc) == []


def test_half_a_surrogate_pair_anywhere_is_an_invalid_document_not_an_s3_failure(full):
    """A hand-made document's lone "\\ud800" escape in its headline passes the schema; its stored form cannot be
    written: that is the document's fault, said with its code, not publish_failed."""
    from ingest_plugin.publishing.content import content_hash, to_bytes

    broken = copy.deepcopy(full)
    broken["headlines"][0]["value"] = "A \ud800 B"
    for write in (to_bytes, content_hash):
        with pytest.raises(IngestError) as raised:
            write(broken)
        assert raised.value.code is ErrorCode.INVALID_DOCUMENT and "surrogate" in raised.value.message


def test_a_body_release_0_2_published_stays_valid(full):
    """Release 0.2 kept links as pages wrote them and "lang"/"title" on any tag: its stored documents are still
    valid, so repair and replays take them (today's sanitiser would write these links as URIs and drop the lang)."""
    old = copy.deepcopy(full)
    old["bodies"][0]["value"] = ('<p lang="fr">Voir <a href="https://example.com/a|b" rel="noopener noreferrer '
                                 'nofollow">ici</a>.</p>') + old["bodies"][0]["value"]
    assert problems(old) == []
