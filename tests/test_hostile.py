"""Adversarial inputs (tests/hostile/) through ``parse_items`` and ``ingest-plugin parse``.

Three promises, checked on every input:

* nothing executable reaches a document: no disallowed tag or attribute, no event handler, no script/data URL,
  no ``srcdoc`` or ``expression()`` in any body, caption, embed, rendition href or other URL field
  (tests/hostile/safety.py says exactly what is checked);
* every bad input gets its coded error (an ``ErrorCode``, never the unexpected-error fallback), and the command line
  answers exit status 65 with one JSON error per input and never a traceback;
* work stays bounded by the input: sizes are fixed and stated, outputs are counted (a 10,000-item feed gives
  10,000 documents), output size is linear in input size (no entity expansion), and the worst inputs run in a
  process whose address space is capped at 1 GiB. Nothing here is timed.

Known parser bugs have a failing test marked ``xfail(strict=True)``; docs/hardening.md lists them.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ingest_plugin import parse_items
from ingest_plugin.errors import ErrorCode
from ingest_plugin.parsing.validate import problems
from tests.hostile import HOSTILE, all_vectors, corpus, expectations, generated, urls, vectors
from tests.hostile.contexts import LEAD, LEAD_TEXT, MARKUP_CONTEXTS, TAIL, URL_CONTEXTS, benzinga_story, wordpress_feed
from tests.hostile.safety import document_problems
from tests.httpserver import LoopbackHTTPServer, Route
from tests.pagebuilder import zenger_page

REPO = Path(__file__).resolve().parent.parent
EXPECTED = expectations()
CODES = set(ErrorCode)
SECURITY = ("html", "url")  # problem kinds that would be executable; "text" (markup in plain text) is tracked apart
MEMORY_CAP = 1 << 30  # address space of the capped parse processes
# Vectors whose markup reaches us as *text* (entity-encoded, or inside a raw-text element such as <title>): the
# HTML checker rightly finds nothing executable in them.
_TEXT_MARKUP = re.compile(r"&(?:amp;)?(?:lt|#0*60|#x0*3c)|<(?:title|textarea|xmp|noembed|noframes|plaintext)\b", re.I)


def parsed(data: bytes, name: str = "hostile", *, crash_ok: bool = False, **options):
    """``(results, log events)`` of one input. ``parse_items`` promises never to raise; with ``crash_ok`` a raise
    ends the results early instead of failing the test (for checks about what *was* produced)."""
    results = []
    with capture_logs() as events:
        try:
            results.extend(parse_items(data, input_name=name, **options))
        except Exception:
            if not crash_ok:
                raise
    return results, events


def assert_well_behaved(results, events, data: bytes, name: str = "hostile") -> None:
    """Every outcome is a valid document or a coded error; no bug fallback; output linear in the input."""
    assert results, "every input gets at least one outcome"
    for result in results:
        if result.error is not None:
            assert result.error.code in CODES
            assert result.error.input.startswith(name) and result.error.message
            assert "Traceback" not in result.error.message
        else:
            assert problems(result.document) == []
    assert [e for e in events if e["event"] == "unexpected_parse_error"] == []
    output = sum(len(json.dumps(r.document)) for r in results if r.ok)
    assert output <= 8 * len(data) + 64_000, "output out of proportion to the input (entity expansion?)"


def assert_safe(results, kinds=SECURITY) -> None:
    found = {r.input_name: document_problems(r.document, kinds) for r in results if r.ok}
    assert {name: p for name, p in found.items() if p} == {}


def cli(*args: str, stdin: bytes | None = None, cap_memory: bool = False) -> subprocess.CompletedProcess:
    def limit() -> None:  # runs in the child: a runaway allocation fails there, it cannot take the machine
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", *args], input=stdin,
                          capture_output=True, cwd=REPO, timeout=300,
                          preexec_fn=limit if cap_memory and os.name == "posix" else None)


def stderr_objects(result: subprocess.CompletedProcess) -> tuple[list[dict], list[dict]]:
    """(error objects, log events) from the JSON lines ``parse`` writes on stderr; anything else fails the test."""
    errors, events = [], []
    for line in result.stderr.decode("utf-8").splitlines():
        value = json.loads(line)  # not JSON (a traceback, a warning): fails here
        (events if "event" in value else errors).append(value)
    return errors, events


# --- XSS vectors in every position ------------------------------------------------------------------------------

MARKUP = [pytest.param(v, id=f"{family}-{n}") for family, vs in vectors().items() for n, v in enumerate(vs)]


@pytest.mark.parametrize("vector", MARKUP)
def test_vector_in_every_position(vector: str) -> None:
    """Nothing executable anywhere, and no markup in any plain-text field: also none that reached us as text
    (entity-encoded, or inside a raw-text element), which plain-text fields once held verbatim."""
    failures = {}
    for position, make in MARKUP_CONTEXTS.items():
        data = make(vector)
        results, events = parsed(data)
        assert_well_behaved(results, events, data)
        found = [p for r in results if r.ok for p in document_problems(r.document)]
        if found:
            failures[position] = found
    assert failures == {}


@pytest.mark.parametrize("url", [pytest.param(u, id=f"url-{n}") for n, u in enumerate(urls())])
def test_hostile_url_in_every_position(url: str) -> None:
    failures = {}
    for position, make in URL_CONTEXTS.items():
        data = make(url)
        results, events = parsed(data)
        assert_well_behaved(results, events, data)
        found = [p for r in results if r.ok for p in document_problems(r.document, SECURITY)]
        if found:
            failures[position] = found
    assert failures == {}


def test_the_vectors_are_new_and_the_checker_sees_them() -> None:
    """The corpus extends tests/test_sanitize.py, and the safety check flags raw vectors (it is not vacuous)."""
    from tests.hostile.safety import html_problems
    from tests.test_sanitize import VECTORS

    mine = all_vectors()
    assert len(mine) >= 200 and len(set(mine)) == len(mine) and not set(mine) & set(VECTORS)
    markup = [v for v in mine if not _TEXT_MARKUP.search(v) and "<" in v]
    flagged = [v for v in markup if html_problems(v)]
    assert len(flagged) >= 0.95 * len(markup)


# --- whole hostile inputs ---------------------------------------------------------------------------------------

def _corpus_params(flag: str | None = None):
    for path in corpus():
        name = str(path.relative_to(HOSTILE))
        reason = EXPECTED[name].get(flag) if flag else None
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(path, id=name, marks=marks)


@pytest.mark.parametrize("path", list(_corpus_params()))
def test_corpus_input_yields_nothing_executable(path: Path) -> None:
    data = path.read_bytes()
    results, _ = parsed(data, path.name, crash_ok=True)  # a crash is the outcome test's failure, not this one's
    assert_safe(results)
    output = "\n".join(json.dumps(r.document, ensure_ascii=False) for r in results if r.ok)
    for text in EXPECTED[str(path.relative_to(HOSTILE))].get("not_contains", []):
        assert text not in output


@pytest.mark.parametrize("path", list(_corpus_params("bug")))
def test_corpus_input_gets_its_expected_outcome(path: Path) -> None:
    expected = EXPECTED[str(path.relative_to(HOSTILE))]
    data = path.read_bytes()
    results, events = parsed(data, path.name)
    assert_well_behaved(results, events, data, path.name)
    documents = [r.document for r in results if r.ok]
    errors = Counter(str(r.error.code) for r in results if r.error)
    if "codes" in expected:
        assert not documents and set(errors) <= set(expected["codes"]), errors
    if "documents" in expected:
        assert len(documents) == expected["documents"], dict(errors)
    if "errors" in expected:
        assert dict(errors) == expected["errors"]
    for document in documents:
        text = json.dumps(document, ensure_ascii=False)
        for wanted in expected.get("contains", []):
            assert wanted in text


@pytest.mark.parametrize("path", [p for p in _corpus_params("text_bug")
                                  if EXPECTED[str(p.values[0].relative_to(HOSTILE))].get("documents")])
def test_corpus_plain_text_fields_hold_no_markup(path: Path) -> None:
    results, _ = parsed(path.read_bytes(), path.name, crash_ok=True)
    assert_safe(results, ("text",))


def test_external_entities_read_no_file_and_fetch_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-FILE-CONTENT")
    served = {path: Route(b'<!ENTITY x "CANARY-NETWORK-CONTENT">', content_type="application/xml-dtd")
              for path in ("/evil.dtd", "/param.dtd", "/entity.txt", "/include.xml")}
    with LoopbackHTTPServer(served) as server:
        doctype = (f'<!DOCTYPE rss SYSTEM "{server.url("/evil.dtd")}" [\n'
                   f'<!ENTITY file SYSTEM "file://{canary}">\n'
                   f'<!ENTITY net SYSTEM "{server.url("/entity.txt")}">\n'
                   f'<!ENTITY % param SYSTEM "{server.url("/param.dtd")}"> %param;\n]>\n')
        feed = wordpress_feed([(920001, "Volumes TITLEREF", "<p>SAVANNAH, Ga. — The port had a record month, officials "
                                                           "said on Tuesday afternoon.</p>")]).decode()
        feed = feed.replace("<rss ", doctype + "<rss ", 1).replace("TITLEREF", "&file; &net;")
        feed = feed.replace("<channel>", '<channel><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                                         f'href="{server.url("/include.xml")}"/>')
        results, events = parsed(feed.encode())
        assert server.requests == []
    assert_well_behaved(results, events, feed.encode())
    output = json.dumps([r.document for r in results if r.ok])
    assert "CANARY" not in output


# --- bounded work: sizes stated, outputs counted ----------------------------------------------------------------

@pytest.mark.parametrize("data, options, expected", [
    pytest.param(lambda: generated.oversized(10 * 1024 * 1024), {}, "too_large", id="10MiB+1-default-limit"),
    pytest.param(lambda: generated.oversized(100_000), {"max_bytes": 100_000}, "too_large", id="over-max-bytes"),
    pytest.param(lambda: generated.huge_paragraph(9_000_000), {}, 1, id="9MB-paragraph"),
    pytest.param(lambda: generated.many_elements(50_000), {}, 1, id="50k-paragraphs"),
    pytest.param(lambda: generated.many_elements(10_000, "br"), {}, 1, id="10k-line-breaks"),
    pytest.param(lambda: generated.wide_element(20_000), {}, 1, id="20k-attributes"),
    pytest.param(lambda: generated.deep_html(100_000), {}, 1, id="100k-nested-div"),
    pytest.param(lambda: generated.deep_html(100_000, "b"), {}, 1, id="100k-nested-b"),
    pytest.param(lambda: generated.deep_html(20_000, "li"), {}, "any", id="20k-nested-li"),
    pytest.param(lambda: generated.deep_html(20_000, "table"), {}, "any", id="20k-nested-table"),
    pytest.param(lambda: generated.deep_html(20_000, "blockquote"), {}, "any", id="20k-nested-blockquote"),
    pytest.param(lambda: generated.deep_xml(300), {}, "not_an_article", id="xml-depth-300"),
    pytest.param(lambda: generated.deep_xml(100_000), {}, "not_an_article", id="xml-depth-100k"),
    pytest.param(lambda: generated.deep_json(500), {}, "not_an_article", id="json-depth-500"),
    pytest.param(lambda: generated.entity_expansion_feed(12), {}, "not_an_article", id="billion-laughs-10^12"),
    pytest.param(lambda: generated.quadratic_blowup_feed(1_000, 100_000), {}, "any", id="quadratic-blowup-100MB"),
    pytest.param(lambda: generated.many_character_references(100_000), {}, 1, id="100k-char-refs"),
    pytest.param(lambda: generated.big_api_array(1_000, all_vectors()), {}, 1_000, id="1000-story-api-array"),
])
def test_large_and_deep_inputs_stay_bounded(data, options, expected) -> None:
    data = data()
    results, events = parsed(data, **options)
    assert_well_behaved(results, events, data)
    assert_safe(results)
    if isinstance(expected, str) and expected != "any":
        assert [str(r.error.code) for r in results if r.error] == [expected] and len(results) == 1
    elif isinstance(expected, int):
        assert sum(r.ok for r in results) == expected == len(results)
        assert all(LEAD_TEXT in r.document["bodies"][0]["value"] for r in results)


def test_ten_thousand_item_feed_gives_ten_thousand_safe_documents(tmp_path: Path) -> None:
    """Through the command line, in a process capped at 1 GiB of address space: 10,000 hostile items in, 10,000
    distinct sanitized documents out, nothing on stderr but log lines."""
    feed = tmp_path / "feed.rss"
    feed.write_bytes(generated.big_feed(10_000, all_vectors()))
    result = cli(str(feed), cap_memory=True)
    assert result.returncode == 0, result.stderr[-2000:]
    errors, events = stderr_objects(result)
    assert errors == [] and not [e for e in events if e.get("level") == "error"]
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(documents) == 10_000
    assert len({d["uri"] for d in documents}) == 10_000
    assert [p for d in documents for p in document_problems(d, SECURITY)] == []


# --- the command line: coded JSON errors, exit 65, never a traceback -------------------------------------------

def test_cli_reports_each_bad_input_as_one_coded_json_error(tmp_path: Path) -> None:
    bad = [HOSTILE / "bad" / n for n in ("zero-bytes.html", "nul-only.bin", "png.png", "random-no-nul.bin",
                                        "bom-only.html", "plain-prose.txt")]
    bad += [HOSTILE / "feeds" / n for n in ("billion-laughs-15.rss", "not-well-formed.rss", "xxe-in-attribute.rss")]
    bad += [HOSTILE / "json" / "truncated.json"]
    deep = tmp_path / "deep.json"
    deep.write_bytes(generated.deep_json(100_000))
    good = HOSTILE / "pages" / "hostile-tweets.html"
    result = cli(*map(str, [*bad, deep, good]), cap_memory=True)
    assert result.returncode == 65
    assert b"Traceback" not in result.stderr
    errors, _ = stderr_objects(result)
    assert sorted(e["input"] for e in errors) == sorted(map(str, [*bad, deep]))
    assert all(e["code"] in CODES and e["stage"] and e["message"] for e in errors)
    [document] = [json.loads(line) for line in result.stdout.splitlines()]  # the good input is still processed
    assert document_problems(document, SECURITY) == []


@pytest.mark.parametrize("data", [
    pytest.param(lambda: generated.huge_paragraph(9_500_000), id="9.5MB-page"),
    pytest.param(lambda: generated.entity_expansion_feed(15), id="billion-laughs-10^15"),
    pytest.param(lambda: generated.quadratic_blowup_feed(1_000, 100_000), id="quadratic-blowup"),
    pytest.param(lambda: generated.deep_html(200_000, "span"), id="200k-nested-span"),
])
def test_worst_inputs_parse_within_a_memory_cap(data) -> None:
    result = cli("-", stdin=data(), cap_memory=True)
    assert result.returncode in (0, 65), result.stderr[-2000:]
    assert b"Traceback" not in result.stderr and b"MemoryError" not in result.stderr
    errors, _ = stderr_objects(result)
    assert all(e["code"] in CODES for e in errors)
    assert len(result.stdout) <= 2 * 9_500_000


def test_cli_never_prints_a_traceback_for_a_lone_surrogate() -> None:
    """Regression (7c8e2ac): a lone surrogate escape in a later story of an API array made ``parse_items`` raise
    and ``parse`` print a traceback."""
    result = cli(str(HOSTILE / "json" / "benzinga-api-lone-surrogate.json"))
    assert b"Traceback" not in result.stderr
    assert result.returncode in (0, 65)
    assert len(result.stdout.splitlines()) == 3


def test_cli_too_large_via_max_bytes() -> None:
    result = cli("-", "--max-bytes", "50000", stdin=generated.oversized(50_000))
    errors, _ = stderr_objects(result)
    assert result.returncode == 65 and [e["code"] for e in errors] == ["too_large"]


# --- parser bugs found here: regression tests once fixed, xfail(strict) while open -------------------------------

@pytest.mark.parametrize("data", [pytest.param(b"[" * 1000 + b"]" * 1000, id="array-depth-1000"),
                                  pytest.param(lambda: generated.deep_json_story(5_000), id="one-deep-field")])
def test_deeply_nested_json_gets_a_coded_error(data) -> None:
    """Regression: RecursionError from json.loads went through the unexpected-error fallback."""
    data = data() if callable(data) else data
    results, events = parsed(data)
    assert_well_behaved(results, events, data)


@pytest.mark.parametrize("position, url", [
    ("og-image", "javascript:alert(1)"), ("og-image", "data:image/png;base64,iVBORw0KGgo="),
    ("rss-media", "/wp-content/uploads/x.jpg"), ("benzinga-image", "//cdn.benzinga.com/x.jpg"),
    ("rss-media", "javascript:alert(1)"), ("benzinga-image", "data:text/html,<script>alert(1)</script>"),
])
def test_an_unusable_picture_url_drops_the_picture_not_the_article(position: str, url: str) -> None:
    """Regression: a bad picture URL (javascript:, data:, relative with no base) must cost the picture, never the
    article, and never be published."""
    [result] = parsed(URL_CONTEXTS[position](url))[0]
    assert result.ok, result.error and result.error.message
    assert document_problems(result.document, SECURITY) == []


@pytest.mark.parametrize("position, url, published", [
    ("img-src", "https://wpcdn.zenger.news/a b.jpg", "https://wpcdn.zenger.news/a%20b.jpg"),
    ("img-src", "https://wpcdn.zenger.news/ü.jpg", "https://wpcdn.zenger.news/%C3%BC.jpg"),
    ("img-src", 'https://wpcdn.zenger.news/a.jpg" onerror="alert(1)',
     "https://wpcdn.zenger.news/a.jpg%22%20onerror=%22alert(1)"),
    ("og-image", "https://wpcdn.zenger.news/it's.jpg", "https://wpcdn.zenger.news/it%27s.jpg"),
    ("rss-media", "https://wpcdn.zenger.news/a b.jpg", "https://wpcdn.zenger.news/a%20b.jpg"),
    ("benzinga-image", "https://cdn.benzinga.com/a b.jpg", "https://cdn.benzinga.com/a%20b.jpg"),
    ("benzinga-image", "https://cdn.benzinga.com/bücher a.jpg", "https://cdn.benzinga.com/b%C3%BCcher%20a.jpg"),
])
def test_a_sloppy_picture_url_is_percent_encoded_not_fatal(position: str, url: str, published: str) -> None:
    """Regression: a picture URL with a space, a quote or a non-ASCII character failed the whole article
    (invalid_document); it is now published as a browser would request it."""
    [result] = parsed(URL_CONTEXTS[position](url))[0]
    assert result.ok, result.error and result.error.message
    hrefs = [r["href"] for a in result.document.get("associations", []) for r in a.get("renditions", [])]
    assert published in hrefs
    assert document_problems(result.document, SECURITY) == []


@pytest.mark.parametrize("position", ["img-src", "og-image", "rss-media", "benzinga-image"])
def test_a_hostless_picture_url_is_not_published(position: str) -> None:
    """Regression: ``src="http://"`` was published as a rendition href."""
    [result] = parsed(URL_CONTEXTS[position]("http://"))[0]
    hrefs = [r["href"] for a in result.document.get("associations", []) for r in a.get("renditions", [])]
    assert "http://" not in hrefs


@pytest.mark.parametrize("data", [
    pytest.param(lambda: wordpress_feed([(920101, "<script>alert(1)</script> Budget Deal", "<p>" + LEAD_TEXT * 3
                                                                                           + "</p>")]),
                 id="feed-title"),
    pytest.param(lambda: json.dumps([benzinga_story(40300001, "<p>" + LEAD_TEXT * 3 + "</p>",
                                                    title="Ford <img src=x onerror=alert(1)> Sinks")]).encode(),
                 id="api-title"),
    pytest.param(lambda: json.dumps([benzinga_story(40300002, "<p>" + LEAD_TEXT * 3 + "</p>",
                                                    teaser="<b onclick=alert(1)>Ford</b> sinks")]).encode(),
                 id="api-teaser"),
    pytest.param(lambda: json.dumps([benzinga_story(40300003, "<p>" + LEAD_TEXT * 3 + "</p>",
                                                    tags=["<svg onload=alert(1)>"])]).encode(), id="api-tag"),
    pytest.param(lambda: json.dumps([benzinga_story(40300004, "<p>" + LEAD_TEXT * 3 + "</p>",
                                                    stocks=[{"name": "<script>alert(1)</script>"}])]).encode(),
                 id="api-ticker"),
    pytest.param(lambda: MARKUP_CONTEXTS["caption"]("&lt;img src=x onerror=alert(1)&gt;"), id="encoded-caption"),
    pytest.param(lambda: URL_CONTEXTS["canonical"]("https://www.zenger.news/a'><script>alert(1)</script>"),
                 id="canonical-url"),
])
def test_plain_text_fields_hold_no_markup(data) -> None:
    """Regression: feed and API titles, teasers, tags and tickers, entity-encoded captions and canonical URLs kept
    markup in text/plain fields."""
    results, _ = parsed(data())
    assert results[0].ok
    assert_safe(results, ("text",))


@pytest.mark.parametrize("title", [
    "<noscript><style></noscript>Ford sinks", "<xmp><b>Ford</b></xmp> sinks", "<title><img src=x></title>Ford",
    "<textarea><svg onload=alert(1)></textarea>Ford", "<<b></b>script>alert(1) Ford", "&lt;<b></b>script> Ford",
    "<?xml version='1.0'?>Ford sinks", "<xmp>" * 50 + "Ford", "<<<<a>b>c>d> Ford",
])
def test_markup_hidden_in_raw_text_or_split_tags_never_reaches_a_plain_text_field(title: str) -> None:
    """Regression (found by tests/test_fuzz.py): text.clean stripped tags in one pass, so the text of raw-text
    elements (xmp, title, textarea, noscript…) and tags split by an inner tag came back as markup."""
    data = json.dumps([benzinga_story(40300010, "<p>" + LEAD_TEXT * 3 + "</p>", title=title,
                                      tags=[title])]).encode()
    results, _ = parsed(data)
    assert results[0].ok
    assert "Ford" in results[0].document["headlines"][0]["value"]
    assert_safe(results, ("text",))


def test_text_that_merely_mentions_a_less_than_sign_is_kept() -> None:
    data = json.dumps([benzinga_story(40300011, "<p>" + LEAD_TEXT * 3 + "</p>",
                                      title="S&amp;P 500 < 4,000 <b>as</b> a <3 rally fades")]).encode()
    [result] = parsed(data)[0]
    assert result.document["headlines"][0]["value"] == "S&P 500 < 4,000 as a <3 rally fades"


@pytest.mark.parametrize("body", ["Loose text \x08 between paragraphs.", "<p>Facts.</p>\x08", "Loose \x1f text",
                                  "<b>x</b> \x08", "Loose \ufffe text"])
def test_control_characters_in_a_json_story_cost_nothing(body: str) -> None:
    """Regression (found by tests/test_fuzz.py): a C0 control character decoded from a JSON string escape (\\b,
    \\u000b) made lxml raise ValueError, and the story was lost through the unexpected-error fallback."""
    data = json.dumps([benzinga_story(40300020, LEAD + body + TAIL, title="Ford\x08 Shares\x1f Sink")]).encode()
    results, events = parsed(data)
    assert_well_behaved(results, events, data)
    assert results[0].ok
    assert results[0].document["headlines"][0]["value"] == "Ford Shares Sink"


@pytest.mark.parametrize("body", ["<!DOCTYPE html>", "<!DOCTYPE", "<html></html>", "<html><head><title>x</title>"])
def test_a_body_that_is_only_a_doctype_gets_a_coded_error(body: str) -> None:
    """Regression (found by tests/test_fuzz.py): lxml.html.fragment_fromstring raised ParserError('Document is
    empty') (or an AssertionError for a document with no body), reported through the unexpected-error fallback."""
    for data in (json.dumps([benzinga_story(40300030, body)]).encode(),
                 wordpress_feed([(920401, "Doctype Only", body), (920402, "Second Story", LEAD + TAIL)])):
        results, events = parsed(data)
        assert_well_behaved(results, events, data)
        assert str(results[0].error.code) == "not_an_article"
        assert [r.ok for r in results[1:]] == [True] * (len(results) - 1)


def test_a_feed_quoting_html_in_its_first_item_is_still_a_feed() -> None:
    """Regression (found by tests/test_fuzz.py): format detection called a feed HTML when '<html' appeared in its
    first 2 KB, even inside an item's CDATA, and the whole feed was refused."""
    feed = wordpress_feed([(920301, "Quoted Markup", "<p>" + LEAD_TEXT * 3 + "</p><html><body><p>pasted</p>"),
                           (920302, "Second Story", "<p>" + LEAD_TEXT * 3 + "</p>")])
    results, _ = parsed(feed)
    assert [r.ok for r in results] == [True, True]


def test_a_feed_with_a_long_prolog_is_still_a_feed() -> None:
    """Regression: format detection read only the first 2 KB, so a feed with a longer prolog was parsed as HTML."""
    feed = wordpress_feed([(920201, "Long Prolog", "<p>" + LEAD_TEXT * 3 + "</p>")])
    feed = feed.replace(b"<rss ", b"<!-- " + b"generated by a caching plugin " * 100 + b"-->\n<rss ", 1)
    results, _ = parsed(feed)
    assert [r.ok for r in results] == [True]


@pytest.mark.parametrize("make", [
    lambda: zenger_page(LEAD + "<p>Ford<br>&#1;Motor</p>" + TAIL).encode(),
    lambda: zenger_page(LEAD + "<p>Ford &#1;Motor</p>" + TAIL).encode(),
    lambda: json.dumps([benzinga_story(40300040, "Loose &#x1b; text. " * 20 + LEAD + TAIL)]).encode(),
    lambda: wordpress_feed([(920501, "Control Reference", LEAD + "<p>Ford<br>&#1;Motor</p>" + TAIL)]),
    # Taking the inner reference out joins the text around it into another: "&#1;", "&#x1;".
    lambda: zenger_page(LEAD + "<p>Ford<br>&&#1;#1;Motor</p>" + TAIL).encode(),
    lambda: zenger_page(LEAD + "<p>Ford<br>&#x&#1;1;Motor</p>" + TAIL).encode(),
], ids=["page-br", "page-text", "api-loose-text", "rss-br", "page-rejoined", "page-rejoined-hex"])
def test_a_reference_to_a_control_character_costs_nothing(make) -> None:
    """Found by tests/test_plain_text.py: load.py removed C0 controls from the raw text, not those a character
    reference ("&#1;") gave the parsed tree; next to a ``<br>`` or in loose text the article was lost through the
    unexpected-error fallback, elsewhere the control reached the published body. References to unusable
    characters now go before any parse, of a page, a feed or a body fragment."""
    data = make()
    results, events = parsed(data)
    assert_well_behaved(results, events, data)
    assert all(r.ok and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", r.document["bodies"][0]["value"])
               for r in results)


@pytest.mark.parametrize("reference, title", [
    ("&#1;", "Ford Motor"), ("&&#1;#1;", "Ford \ufffdMotor"), ("&#0;", "Ford \ufffdMotor"),
    ("&#xD800;", "Ford \ufffdMotor"), ("&#x110000;", "Ford \ufffdMotor"), ("&#4294967297;", "Ford \ufffdMotor")])
def test_a_bad_character_reference_in_one_items_title_loses_no_item_of_the_feed(reference: str, title: str) -> None:
    """XML 1.0 forbids a reference to a control, U+0000, a surrogate or a number past U+10FFFF: a feed spelling
    one in a title was refused whole as not well-formed, every item with it. A control's reference goes; the others
    read as U+FFFD, as an HTML parser reads them; and every item is published."""
    feed = wordpress_feed([(920601, "Ford Motor", LEAD + TAIL), (920602, "Second Story", LEAD + TAIL)])
    feed = feed.replace(b"<title>Ford Motor</title>", f"<title>Ford {reference}Motor</title>".encode(), 1)
    results, events = parsed(feed)
    assert_well_behaved(results, events, feed)
    assert [r.ok for r in results] == [True, True]
    assert results[0].document["headlines"][0]["value"] == title


def test_lead_text_is_in_the_pages_the_bug_tests_build() -> None:
    """Guards the tests above: their inputs are otherwise publishable articles."""
    [result] = parsed(zenger_page().encode())[0]
    assert result.ok
    [result] = parsed(URL_CONTEXTS["img-src"]("https://wpcdn.zenger.news/fine.jpg"))[0]
    assert result.ok and LEAD_TEXT in result.document["bodies"][0]["value"]


@pytest.mark.parametrize("markup", ["<p>Price rose&#13;sharply today in the markets.</p>",
                                    '<p><img src="https://cdn.example.com/a.jpg" alt="Ford&#13;dealer"></p>',
                                    '<blockquote class="twitter-tweet"><p>Shares up&#13;today</p>'
                                    '<a href="https://twitter.com/ford/status/1234567890">July 1</a></blockquote>'])
def test_a_carriage_return_in_a_feed_or_api_body_is_published_as_a_line_break(markup: str) -> None:
    """Text pasted from Word or Outlook holds "&#13;". Held in an element of an XML document, the body was written
    with "&#13;" again, which the sanitiser read back as a CR it kept: every such story was refused
    (invalid_document: the body, or the tweet's embed, not what the allow-list keeps)."""
    for data in (json.dumps([benzinga_story(40300040, LEAD + markup + TAIL)]).encode(),
                 wordpress_feed([(920410, "Carriage Return", LEAD + markup + TAIL)])):
        results, events = parsed(data)
        assert_well_behaved(results, events, data)
        assert results[0].ok, results[0].error
        document = json.dumps(results[0].document)
        assert "\\r" not in document and "&#13;" not in document
