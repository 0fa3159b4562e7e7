"""Credits in the body, in every wrapping a partner uses: they become structured credits and leave the body."""
import json
from pathlib import Path

import pytest

from ingest_plugin import parse
from tests.conftest import logging_as_it_was
from tests.pagebuilder import zenger_page

ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
STORY = ("<p>WASHINGTON — Lawmakers met on Tuesday to debate a spending bill that would fund the government "
         "through the end of the fiscal year, aides said, after weeks of talks.</p>"
         "<p>The measure now heads to the Senate, where leaders of both parties expect it to pass.</p>")


def _parse(body, **kwargs):
    [doc] = parse(zenger_page(body, **kwargs).encode())
    credits = {role: [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + role]
               for role in ("author", "editor", "origcont", "distributor")}
    disclaimers = [d["value"] for d in doc["descriptions"] if d["role"] == "disclaimer"]
    return doc, credits, disclaimers


@pytest.mark.parametrize("trailer", [
    "<p>Zenger News does not provide investment advice.</p><p>Produced in association with Benzinga</p>"
    "<p>Edited by Rachmad Imam Tarecha and Joseph Hammond</p>",
    "<p><em>Zenger News does not provide investment advice.<br>Produced in association with Benzinga<br>"
    "(Edited by Rachmad Imam Tarecha and Joseph Hammond)</em></p>",
    "<p><em>Zenger News does not provide investment advice. Produced in association with Benzinga. Edited by "
    "<a href='/author/r'>Rachmad Imam Tarecha</a> and <a href='/author/j'>Joseph Hammond</a>.</em></p>",
    "<p>(Edited by Rachmad Imam Tarecha and Joseph Hammond)</p><p><strong>Zenger News does not provide "
    "investment advice.</strong></p><p>This story was produced in partnership with Benzinga.</p>",
])
def test_trailer_in_any_wrapping(trailer):
    doc, credits, disclaimers = _parse(STORY + trailer)
    assert credits["editor"] == ["Rachmad Imam Tarecha", "Joseph Hammond"]
    assert credits["author"] == []
    assert credits["distributor"] == ["Benzinga"]
    assert disclaimers == ["Zenger News does not provide investment advice."]
    body = doc["bodies"][0]["value"]
    for leaked in ("Edited", "investment advice", "association", "partnership", "Tarecha"):
        assert leaked not in body
    assert "Lawmakers met on Tuesday" in body and doc["by"] == "Zenger News"


def test_leading_by_line_is_the_byline_and_leaves_the_body():
    doc, credits, _ = _parse("<p>By JANE DOE, Zenger News</p>" + STORY)
    assert credits["author"] == ["Jane Doe"] and doc["by"] == "By Jane Doe"
    assert "JANE DOE" not in doc["bodies"][0]["value"]
    assert doc["located"] == "Washington"


def test_cms_account_named_as_editor_is_only_an_editor():
    doc, credits, _ = _parse(STORY + "<p>Edited by Matthew B. Hall</p>", author="Matthew B. Hall")
    assert credits["author"] == [] and credits["editor"] == ["Matthew B. Hall"]
    assert doc["by"] == "Zenger News"


def test_desk_editor_is_not_a_person():
    _, credits, _ = _parse(STORY + "<p>Edited by Newsdesk Manager</p>")
    assert credits["editor"] == []


def test_disclaimer_paragraph_and_fail_closed_default():
    doc, _, disclaimers = _parse(STORY + "<p><strong>Disclaimer:</strong> The views expressed are the author’s "
                                         "own.</p>")
    assert disclaimers == ["Zenger News does not provide investment advice.",
                           "The views expressed are the author’s own."]
    assert "views expressed" not in doc["bodies"][0]["value"]


def test_a_story_sentence_naming_benzinga_is_not_a_partner_line():
    doc, credits, _ = _parse(STORY + "<p>The data was compiled by Benzinga from company filings and shows a "
                                     "steady rise in orders over the last three quarters of the year.</p>")
    assert credits["distributor"] == []
    assert "compiled by Benzinga" in doc["bodies"][0]["value"]


def test_story_text_mentioning_editing_stays():
    doc, credits, _ = _parse(STORY + "<p>The film was edited by hand over three years, the director said in an "
                                     "interview, and the final cut runs nearly four hours long.</p>")
    assert credits["editor"] == []
    assert "edited by hand" in json.dumps(doc)


def test_byline_naming_only_an_organisation_leaves_the_body():
    doc, credits, _ = _parse("<p>By Zenger News Staff</p>" + STORY)
    assert credits["author"] == [] and doc["by"] == "Zenger News"
    assert "Zenger News Staff" not in doc["bodies"][0]["value"]


def test_feed_excerpt_loses_the_byline_the_body_lost():
    from pathlib import Path

    from ingest_plugin import parse
    feed = (Path(__file__).parent / "fixtures" / "feeds" / "zenger-wordpress.rss").read_bytes()
    summaries = [next(d["value"] for d in doc["descriptions"] if d["role"] == "summary") for doc in parse(feed)]
    assert summaries[1].startswith("AUSTIN, Texas —") and summaries[2].startswith("ACCRA, Ghana —")


def test_an_added_disclaimer_warns_only_where_the_partner_normally_sends_one():
    from structlog.testing import capture_logs

    from ingest_plugin import log

    fixtures = Path(__file__).resolve().parent / "fixtures"
    with logging_as_it_was():
        log.configure("DEBUG")  # capture_logs keeps the level filter of the configuration: let INFO through
        with capture_logs() as api_events:  # Benzinga's API never carries the disclaimer: routine
            parse((fixtures / "api" / "benzinga-api-small.json").read_bytes())
        with capture_logs() as page_events:  # a Zenger page without it: the page changed, someone should look
            parse((fixtures / "pages" / "zenger-capetown-no-disclaimer.html").read_bytes())
    assert {e["log_level"] for e in api_events if e["event"] == "disclaimer_added"} == {"info"}
    assert [e["log_level"] for e in page_events if e["event"] == "disclaimer_added"] == ["warning"]


@pytest.mark.parametrize(("paragraph", "kept"), [
    ("Asked about the fund, the spokesman said Zenger News does not provide investment advice. He declined to "
     "comment further.<br>Edited by Jane Eyre", "<p>He declined to comment further.</p>"),
    ("Zenger News does not provide investment advice. He declined to comment further.",
     "<p>He declined to comment further.</p>"),
    ("Note: Zenger News does not provide investment advice.", None),
    ("Please note \u2013 Zenger News does not provide investment advice.", None),
], ids=["in-a-story-line", "before-a-story-sentence", "after-a-label", "typographic"])
def test_the_partners_disclaimer_leaves_the_body_with_its_whole_sentence(paragraph, kept):
    """The sentence holding the partner's disclaimer goes whole: cut out of it, half a sentence was published
    ("the spokesman said He declined …") or a label left the disclaimer in the body (the article refused)."""
    body = ("<p>WASHINGTON — Lawmakers met on Tuesday to debate a spending bill that would fund the government, aides "
            f"said.</p><p>The measure now heads to the Senate, where it is expected to pass.</p><p>{paragraph}</p>")
    [doc] = parse(zenger_page(body).encode())
    value = doc["bodies"][0]["value"]
    assert "investment advice" not in value and "Note" not in value
    assert value.endswith(kept or "expected to pass.</p>")
    assert [d["value"] for d in doc["descriptions"] if d["role"] == "disclaimer"] == [
        "Zenger News does not provide investment advice."]
