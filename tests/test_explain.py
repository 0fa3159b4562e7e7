"""``parse --explain``: for each field of a document, the source or rule that produced it, as an editor asking
"where did this byline come from?" or a developer whose partner changed theme would read it."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ingest_plugin.parsing.explain import explain
from ingest_plugin.parsing.pipeline import parse_items
from tests.pagebuilder import DEFAULT_BODY, zenger_page

REPO = Path(__file__).resolve().parent.parent


def explained(data: bytes, **options) -> dict[str, dict]:
    [result] = parse_items(data, input_name="page.html", **options)
    assert result.error is None, result.error.message
    return explain(result.document, result.sources)


def test_each_field_of_a_page_names_the_tag_or_rule_it_came_from():
    fields = explained(zenger_page(author="Jane Roe").encode())
    assert fields["headlines[main]"] == {"value": "Congress Passes Spending Bill", "from": "JSON-LD Article.headline"}
    assert fields["firstCreated"]["from"] == "JSON-LD Article.datePublished"
    assert fields["by"] == {"value": "By Jane Roe", "from": "JSON-LD: the article's author"}
    assert fields["infoSources[editor]"] == {
        "value": ["Jane Eyre", "John Checker"],
        "from": "a credit line in the body, 'Edited by Jane Eyre and John Checker'"}
    assert fields["infoSources[distributor]"]["from"] == \
        "a credit line in the body, 'Produced in association with Benzinga'"
    assert fields["descriptions[disclaimer]"]["from"] == "a disclaimer in the input, the partner's own"
    assert fields["bodies[main]"]["from"] == 'the page\'s content root, <div class="entry-content">'
    assert fields["altIds[canonical-url]"]["from"] == '<link rel="canonical">'
    assert fields["language"]["from"] == "the <html> element's lang"


def test_a_byline_line_in_the_story_beats_the_cms_account_and_says_so():
    body = "<p>By Maria Lopez</p>" + DEFAULT_BODY
    fields = explained(zenger_page(body, author="Zenger Newsroom").encode())
    assert fields["by"] == {"value": "By Maria Lopez", "from": "the byline line under the page's headline"}
    assert "Maria Lopez" not in fields["bodies[main]"]["value"]


def test_what_the_partners_configuration_supplies_is_named_as_such():
    body = DEFAULT_BODY.replace("<p>Zenger News does not provide investment advice.</p>", "")
    fields = explained(zenger_page(body, author=None).encode())
    assert fields["descriptions[disclaimer]"] == {
        "value": "Zenger News does not provide investment advice.",
        "from": "Zenger News's configuration (disclaimer): the input does not carry it"}
    assert fields["by"] == {"value": "Zenger News",
                            "from": "default: the partner's name (no person found in any byline source)"}
    assert fields["infoSources[origin]"]["from"].startswith("the partner whose content this is")


def test_a_headline_from_the_page_itself_and_a_date_from_the_job():
    page = zenger_page(url="https://www.zenger.news/congress-passes-spending-bill/")  # no date in the permalink
    page = page.replace('"headline": "Congress Passes Spending Bill", ', "")
    page = page.replace('"datePublished": "2024-03-12T14:05:00+00:00", "dateModified": "2024-03-12T16:40:00+00:00",',
                        "")
    assert "datePublished" not in page and '"headline"' not in page
    fields = explained(page.encode(), published=datetime(2024, 3, 12, 9, tzinfo=timezone.utc))
    assert fields["headlines[main]"] == {"value": "Congress Passes Spending Bill", "from": "the page's h1"}
    assert fields["firstCreated"] == {"value": "2024-03-12T09:00:00+00:00",
                                      "from": "the job: the date of the feed item that listed it"}


def test_the_command_prints_one_explanation_per_article_of_a_feed():
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", "--explain",
                             str(REPO / "samples" / "zenger-feed.rss")], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    documents = [json.loads(line) for line in subprocess.run(
        [sys.executable, "-m", "ingest_plugin", "parse", str(REPO / "samples" / "zenger-feed.rss")],
        capture_output=True, timeout=60, check=True).stdout.decode().splitlines()]
    assert [line["uri"] for line in lines] == [doc["uri"] for doc in documents] and len(lines) > 1
    for line, doc in zip(lines, documents, strict=True):
        assert line["fields"]["headlines[main]"] == {"value": doc["headlines"][0]["value"],
                                                     "from": "the feed item's title"}
        assert line["fields"]["bodies[main]"]["from"] == "the feed item's content:encoded"
