"""Objects someone put in an article's folder by hand, against real local S3 servers (SeaweedFS and moto): a
``current.json`` put back without our metadata (``aws s3 cp``), cut short or edited into something else, and a
version file copied by hand. The article goes on: the next version follows the newest version we wrote,
``current.json`` never goes back, a kill can still be made, and the repair sweep mends what it can without stopping
(docs/publishing.md, "Objects put there by hand")."""
from __future__ import annotations

import json

import pytest

from ingest_plugin.ingest.jobs import Action, ArticleSource, IngestJob
from ingest_plugin.publishing import Status
from ingest_plugin.publishing.articles import RepairAction
from tests.conftest import get_json, ingest_one, job_handler, make_document, make_item, snapshot

pytestmark = pytest.mark.s3
FOLDER = "articles/zenger/1/"
CURRENT = f"{FOLDER}current.json"
TEXTS = ("<p>First text.</p>", "<p>Second text.</p>", "<p>Third text.</p>", "<p>Fourth text.</p>")


def put_by_hand(publisher, key, body):
    """As ``aws s3 cp`` of a file does it: no user metadata of ours."""
    publisher.client.put_object(Bucket=publisher.settings.bucket, Key=key, Body=body, ContentType="application/json")


def publish_texts(publisher, count, number=1):
    for n, text in enumerate(TEXTS[:count], 1):
        assert ingest_one(make_item(make_document(number, body=text)), publisher).version == n


def puts(counter):
    return sorted(key for (method, key), n in counter.sent.items() for _ in range(n) if method == "PUT")


def repair(publisher):
    return list(publisher.articles.repair(grace_seconds=0))


def test_a_current_json_put_back_by_hand_is_followed_by_the_next_version(publisher, request_counter):
    """An editor fixed a typo in the CMS copy and put it back: the next update goes straight to v4, current.json is
    written once, never back through v1-v3."""
    publish_texts(publisher, 3)
    edited = get_json(publisher, CURRENT)
    edited["headlines"][0]["value"] += " (typo fixed)"
    put_by_hand(publisher, CURRENT, json.dumps(edited).encode())

    counter = request_counter(publisher.client)
    outcome = ingest_one(make_item(make_document(body=TEXTS[3])), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 4)
    assert puts(counter) == [CURRENT, f"{FOLDER}v4.json"]
    current = get_json(publisher, CURRENT)
    assert current == get_json(publisher, f"{FOLDER}v4.json") and current["bodies"][0]["value"] == TEXTS[3]
    assert current["edNote"].startswith("Update: version 4 replaces version 3")
    assert repair(publisher) == []


def test_the_sweep_leaves_a_hand_edited_copy_of_the_newest_version_alone(publisher):
    """Its document still says version 3, the newest: nothing to repair, and no "Restore" version repeating it."""
    publish_texts(publisher, 3)
    edited = get_json(publisher, CURRENT)
    edited["headlines"][0]["value"] += " (typo fixed)"
    put_by_hand(publisher, CURRENT, json.dumps(edited).encode())
    before = snapshot(publisher)
    assert repair(publisher) == [] and snapshot(publisher) == before


@pytest.mark.parametrize("copy", ["file", "between keys"])
def test_a_version_copied_by_hand_is_skipped_and_never_becomes_current(s3_server, make_publisher, request_counter,
                                                                       copy):
    """v1.json copied to v3.json by hand (``aws s3 cp`` of a file keeps no metadata; a copy between keys keeps
    v1's): the update takes v4, current.json moves once, and no change event names v3 (or a v0)."""
    publisher = make_publisher(s3_server.endpoint_url, change_log=True)
    publish_texts(publisher, 2)
    if copy == "file":
        put_by_hand(publisher, f"{FOLDER}v3.json", json.dumps(get_json(publisher, f"{FOLDER}v1.json")).encode())
    else:
        publisher.client.copy_object(Bucket=publisher.settings.bucket, Key=f"{FOLDER}v3.json",
                                     CopySource={"Bucket": publisher.settings.bucket, "Key": f"{FOLDER}v1.json"})

    counter = request_counter(publisher.client)
    outcome = ingest_one(make_item(make_document(body=TEXTS[2])), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 4)
    assert [key for key in puts(counter) if key.startswith(FOLDER)] == [CURRENT, f"{FOLDER}v3.json",
                                                                         f"{FOLDER}v4.json"]
    assert get_json(publisher, CURRENT) == get_json(publisher, f"{FOLDER}v4.json")
    assert get_json(publisher, CURRENT)["bodies"][0]["value"] == TEXTS[2]
    events = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix="changes/")["Contents"]
    assert sorted(e["Key"].rsplit("-", 1)[1] for e in events) == ["v1.json", "v2.json", "v4.json"]


@pytest.mark.parametrize("damage", [lambda body: body[: len(body) // 2], lambda _: b"[]", lambda _: b"null"],
                         ids=["cut short", "a list", "null"])
def test_a_current_json_that_is_no_document_does_not_block_the_next_update(publisher, damage):
    publish_texts(publisher, 2)
    put_by_hand(publisher, CURRENT, damage(json.dumps(get_json(publisher, CURRENT)).encode()))
    outcome = ingest_one(make_item(make_document(body=TEXTS[2])), publisher)
    assert (outcome.status, outcome.version, outcome.error) == (Status.UPDATED, 3, None)
    current = get_json(publisher, CURRENT)
    assert current == get_json(publisher, f"{FOLDER}v3.json")
    assert current["firstCreated"] == get_json(publisher, f"{FOLDER}v1.json")["firstCreated"]


def test_an_article_whose_current_json_is_cut_short_can_still_be_killed(publisher):
    """``reingest --partner zenger --id 1 --cancel``: the kill is built from the newest version."""
    publish_texts(publisher, 2)
    body = json.dumps(get_json(publisher, CURRENT)).encode()
    put_by_hand(publisher, CURRENT, body[: len(body) // 2])
    (outcome,) = job_handler(publisher)(IngestJob(ArticleSource("zenger", "1"), action=Action.CANCEL))
    assert (outcome.status, outcome.version, outcome.error) == (Status.CANCELED, 3, None)
    kill = get_json(publisher, CURRENT)
    assert kill == get_json(publisher, f"{FOLDER}v3.json") and kill["pubStatus"] == "canceled"
    assert kill["bodies"] == get_json(publisher, f"{FOLDER}v2.json")["bodies"]
    assert ingest_one(make_item(make_document(body=TEXTS[2])), publisher).status is Status.KILLED


@pytest.mark.parametrize("body", [b"[]", b"null", b'"a note"', b'{"uri": "urn:newsml:zen'])
def test_the_sweep_adopts_the_newest_version_over_a_current_json_that_is_no_document(publisher, body):
    """The first article listed holds no document; the two after it lost current.json: all three are repaired."""
    for number in (1, 2, 3):
        publish_texts(publisher, 2, number)
    put_by_hand(publisher, CURRENT, body)
    for number in (2, 3):
        publisher.client.delete_object(Bucket=publisher.settings.bucket, Key=f"articles/zenger/{number}/current.json")
    results = repair(publisher)
    assert [(r.action, r.article_key, r.current_version, r.version) for r in results] == [
        (RepairAction.ADOPTED, str(number), None, 2) for number in (1, 2, 3)]
    for number in (1, 2, 3):
        folder = f"articles/zenger/{number}/"
        assert get_json(publisher, f"{folder}current.json") == get_json(publisher, f"{folder}v2.json")
    assert repair(publisher) == []
