"""The eight real Benzinga REST API v2 stories (../shared/samples): every one parses to a valid document with
the right credits, and the promos, credit lines and AI disclaimers leave the body."""
import json
import re

import pytest

from ingest_plugin import parse
from tests.official import SAMPLES, official_errors

AUTHOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/author"
EDITOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/editor"


@pytest.fixture(scope="module")
def documents():
    if not SAMPLES.exists():
        pytest.skip(f"real Benzinga samples are not at {SAMPLES}")
    return {d["altIds"][0]["value"]: d for d in parse(SAMPLES.read_bytes())}


def _people(doc, role):
    return [s["name"] for s in doc["infoSources"] if s["role"] == role]


def _disclaimers(doc):
    return [d["value"] for d in doc["descriptions"] if d["role"] == "disclaimer"]


def test_one_document_per_story_each_valid_ninjs(documents):
    assert len(documents) == 8
    for doc in documents.values():
        assert official_errors(doc) == []
        assert doc["uri"] == f"urn:newsml:benzinga.com:{doc['altIds'][0]['value']}"


def test_desks_are_never_authors_and_the_byline_falls_back_to_benzinga(documents):
    for story_id in ("34923583", "39508311", "39501029", "39496617"):  # Insights, Newsdesk x2, Neuro
        assert _people(documents[story_id], AUTHOR) == []
        assert documents[story_id]["by"] == "Benzinga"
    assert _people(documents["34919573"], AUTHOR) == ["Nicolás Jose Rodriguez"]
    assert documents["34910361"]["by"] == "By Nabaparna Bhattacharya"


def test_every_story_carries_the_canonical_disclaimer(documents):
    for doc in documents.values():
        assert "Benzinga does not provide investment advice." in _disclaimers(doc)


def test_ai_disclosures_become_disclaimers_and_leave_the_body(documents):
    neuro = documents["39495756"]
    assert any("partially produced with the help of Benzinga Neuro" in d for d in _disclaimers(neuro))
    generated = documents["39496617"]
    assert any("generated using Benzinga Neuro" in d for d in _disclaimers(generated))
    assert _people(generated, EDITOR) == ["Kaustubh Bagalkote"]
    engine = documents["34923583"]
    assert any("automated content engine" in d for d in _disclaimers(engine))
    for doc in documents.values():
        body = doc["bodies"][0]["value"]
        assert "Benzinga Neuro" not in re.sub(r"<[^>]+>", "", body)
        assert "automated content engine" not in body


@pytest.mark.parametrize("phrase", ["See Also", "Read Next", "Related:", "Also Read", "Photo courtesy",
                                    "Photo: Shutterstock", "Image by", "Image generated", "on Unsplash",
                                    "Get your tickets", "Subscribe to"])
def test_promos_and_credit_lines_leave_the_body(documents, phrase):
    for doc in documents.values():
        text = re.sub(r"<[^>]+>", "", doc["bodies"][0]["value"]).replace("\xa0", " ")
        assert phrase not in text, (doc["altIds"][0]["value"], phrase)


def test_photo_credits_go_to_the_featured_picture(documents):
    credits = {k: [a.get("by") for a in d.get("associations", []) if a["type"] == "picture"]
               for k, d in documents.items()}
    assert credits["34910361"] == ["Shutterstock"]
    assert credits["39495756"] == ["Shutterstock"]
    assert credits["34919573"] == ["Jaime Spaniol/Unsplash"]
    featured = documents["34920989"]["associations"][0]["renditions"][0]["href"]
    assert "2048x1536" in featured  # the large image, although the API listed it first


def test_tweets_become_associations_with_placeholders(documents):
    doc = documents["39495756"]
    tweets = [a for a in doc["associations"] if a["name"].startswith("tweet-")]
    assert len(tweets) == 3
    assert all(re.fullmatch(r"https://(twitter|x)\.com/\w+/status/\d+", t["uri"]) for t in tweets)
    assert all(t["by"].startswith("@") for t in tweets)
    for t in tweets:
        assert f'data-association="{t["name"]}"' in doc["bodies"][0]["value"]


def test_tickers_dates_and_keywords(documents):
    doc = documents["39501029"]
    assert [o["symbols"][0]["symbol"] for o in doc["organisations"]] == ["AAPL", "GOOG", "GOOGL", "RUM", "SPOT",
                                                                         "WMG"]
    qantas = documents["34910361"]
    assert qantas["firstCreated"] == "2023-09-26T14:23:33-04:00"   # created, not updated
    assert qantas["versionCreated"] == "2023-09-26T14:24:23-04:00"
    assert {"name": "Equities", "rel": "keyword"} in qantas["subjects"]
    assert "Qantas Airways Ltd.'s" in json.dumps(qantas["descriptions"], ensure_ascii=False)  # teaser, decoded
