"""A killed article stays killed (docs/publishing.md, "Kills"), against real local S3 servers (SeaweedFS and moto).

Only an explicit reinstatement publishes a killed article again: a plain ingest, a forced one, a re-sent story or a
replay writes nothing and reports ``killed``, for the same one HEAD an unchanged article costs.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from ingest_plugin.ingest.jobs import item_job
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.publishing import Status
from ingest_plugin.publishing.articles import PRESUME_NEW_AFTER
from ingest_plugin.publishing.content import content_hash, to_bytes
from tests.conftest import get_json, ingest_one, job_handler, logging_as_it_was, make_document, make_item, snapshot

pytestmark = pytest.mark.s3
FOLDER = "articles/zenger/1/"
CHANGED = "<p>The partner sent the story again, with new text.</p>"


def keys(publisher, prefix=FOLDER):
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in listing.get("Contents", []))




def metadata(publisher, key):
    return publisher.client.head_object(Bucket=publisher.settings.bucket, Key=key)["Metadata"]


def article_requests(counter):
    return {key: n for key, n in counter.sent.items() if key[1].startswith("articles/")}


@pytest.fixture
def logs() -> Iterator[list[dict]]:
    """The log events of the test, INFO and up (the default configuration drops INFO)."""
    with logging_as_it_was():
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        with capture_logs() as events:
            yield events


@pytest.fixture
def killed(publisher):
    """``publisher`` with article zenger/1 published (v1), then killed (v2)."""
    assert ingest_one(make_item(), publisher).status is Status.CREATED
    outcome = ingest_one(make_item(), publisher, cancel=True)
    assert (outcome.status, outcome.version) == (Status.CANCELED, 2)
    return publisher


def test_every_version_and_current_carry_their_pub_status(killed):
    assert metadata(killed, f"{FOLDER}v1.json")["pub-status"] == "usable"
    assert metadata(killed, f"{FOLDER}v2.json")["pub-status"] == "canceled"
    assert metadata(killed, f"{FOLDER}current.json")["pub-status"] == "canceled"


@pytest.mark.parametrize("body", ["<p>First text.</p>", CHANGED], ids=["same-text", "new-text"])
def test_a_plain_ingest_of_a_killed_article_writes_nothing_for_one_head(killed, request_counter, logs, body):
    """The bug: a plain re-ingest published the killed article again as usable. Now: nothing written, one HEAD
    (the pub-status metadata tells the article is killed), whether the partner's text changed or not."""
    before = snapshot(killed)
    counter = request_counter(killed.client)
    outcome = ingest_one(make_item(make_document(body=body)), killed)
    assert (outcome.status, outcome.version, outcome.key, outcome.ok) == (Status.KILLED, 2, f"{FOLDER}v2.json", True)
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 1}
    assert snapshot(killed) == before and keys(killed) == ["current.json", "v1.json", "v2.json"]
    assert get_json(killed, f"{FOLDER}current.json")["pubStatus"] == "canceled"
    (kept,) = [e for e in logs if e["event"] == "kill_kept"]
    assert (kept["log_level"], kept["partner"], kept["article_id"], kept["version"]) == ("info", "zenger", "1", 2)


def test_force_never_reinstates(killed, request_counter):
    before = snapshot(killed)
    counter = request_counter(killed.client)
    for body in ("<p>First text.</p>", CHANGED):
        outcome = ingest_one(make_item(make_document(body=body)), killed, force=True)
        assert (outcome.status, outcome.version) == (Status.KILLED, 2)
    assert counter.total() == 2 and snapshot(killed) == before


def test_a_kill_sent_again_while_killed_is_unchanged(killed, request_counter):
    before = snapshot(killed)
    counter = request_counter(killed.client)
    assert ingest_one(make_item(), killed, cancel=True).status is Status.UNCHANGED
    assert ingest_one(make_item(make_document(body=CHANGED)), killed, cancel=True).status is Status.UNCHANGED
    withdrawn = make_document(body=CHANGED, pubStatus="canceled")  # the partner's own feed marks it withdrawn
    assert ingest_one(make_item(withdrawn), killed).status is Status.UNCHANGED
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 3} and snapshot(killed) == before


def test_a_dry_run_on_a_killed_article_reports_killed(killed, request_counter):
    counter = request_counter(killed.client)
    outcome = ingest_one(make_item(make_document(body=CHANGED)), killed, dry_run=True)
    assert (outcome.status, outcome.version, outcome.dry_run) == (Status.KILLED, 2, True)
    assert counter.total("PUT") == 0


def test_the_partner_resending_a_killed_story_counts_as_killed_and_the_run_is_ok(killed):
    """A feed or webhook re-sends the story: the run is ok (exit 0), and its record counts it as ``killed``."""
    summary = run_jobs([item_job(make_item(make_document(body=CHANGED)), trigger="cron")], job_handler(killed),
                       trigger="cron", keep_outcomes=True)
    assert [str(o.status) for o in summary.outcomes] == ["killed"]
    assert summary.ok and summary.exit_code == 0
    assert summary.record()["counts"]["killed"] == 1 and summary.record()["failures"] == []
    assert keys(killed) == ["current.json", "v1.json", "v2.json"]


def test_reinstate_publishes_the_article_again_as_the_next_version(killed, request_counter, logs):
    counter = request_counter(killed.client)
    result = killed.articles.publish(make_document(), partner="zenger", article_key="1", reinstate=True)
    assert (result.status, result.version, result.key) == (Status.REINSTATED, 3, f"{FOLDER}v3.json")
    assert article_requests(counter) == {("HEAD", f"{FOLDER}current.json"): 1, ("PUT", f"{FOLDER}v3.json"): 1,
                                         ("PUT", f"{FOLDER}current.json"): 1}  # fmt: skip
    v3 = get_json(killed, f"{FOLDER}v3.json")
    assert get_json(killed, f"{FOLDER}current.json") == v3
    assert v3["pubStatus"] == "usable" and v3["version"] == "3" and v3["edNote"].startswith("Reinstated: version 3")
    assert v3["firstCreated"] == get_json(killed, f"{FOLDER}v1.json")["firstCreated"]
    assert metadata(killed, f"{FOLDER}current.json")["pub-status"] == "usable"
    (event,) = [e for e in logs if e["event"] == "reinstated"]
    assert (event["log_level"], event["partner"], event["article_id"], event["version"], event["killed_version"]) == (
        "warning", "zenger", "1", 3, 2)  # fmt: skip
    # live again: plain ingests behave as for any article
    counter = request_counter(killed.client)
    assert ingest_one(make_item(), killed).status is Status.UNCHANGED
    assert article_requests(counter) == {("HEAD", f"{FOLDER}current.json"): 1}
    assert ingest_one(make_item(make_document(body=CHANGED)), killed).status is Status.UPDATED


def test_reinstate_of_a_withdrawn_partner_document_makes_it_usable(killed):
    withdrawn = make_document(pubStatus="canceled")
    result = killed.articles.publish(withdrawn, partner="zenger", article_key="1", reinstate=True)
    assert result.status is Status.REINSTATED and get_json(killed, result.key)["pubStatus"] == "usable"


def test_reinstate_on_a_live_article_is_a_plain_publish(publisher):
    store = publisher.articles
    assert store.publish(make_document(), partner="zenger", article_key="1", reinstate=True).status is Status.CREATED
    assert store.publish(make_document(), partner="zenger", article_key="1", reinstate=True).status is Status.UNCHANGED
    changed = store.publish(make_document(body=CHANGED), partner="zenger", article_key="1", reinstate=True)
    assert (changed.status, changed.version) == (Status.UPDATED, 2)
    assert get_json(publisher, changed.key)["edNote"].startswith("Update: version 2")


def test_a_dry_run_reinstatement_writes_nothing(killed, request_counter):
    counter = request_counter(killed.client)
    result = killed.articles.publish(make_document(), partner="zenger", article_key="1", reinstate=True, dry_run=True)
    assert (result.status, result.version) == (Status.REINSTATED, 3) and result.document["pubStatus"] == "usable"
    assert counter.total("PUT") == 0 and keys(killed) == ["current.json", "v1.json", "v2.json"]


def test_cancel_and_reinstate_together_are_refused(publisher):
    with pytest.raises(ValueError, match="not both"):
        publisher.articles.publish(make_document(), partner="zenger", article_key="1", cancel=True, reinstate=True)


def test_a_kill_written_before_pub_status_was_metadata_is_still_recognised(publisher, request_counter):
    """Objects the previous release wrote carry no pub-status: an unchanged article still costs one HEAD, and a
    changed one reads the killed current.json's body (a GET) before writing nothing."""
    v1 = make_document()
    kill = {**make_document(), "pubStatus": "canceled", "version": "2", "edNote": "Kill: version 2 cancels this."}
    old = {"first-created": v1["firstCreated"], "version-created": v1["versionCreated"]}  # what it wrote, less ours
    for key, document, number in ((f"{FOLDER}v1.json", v1, "1"), (f"{FOLDER}v2.json", kill, "2"),
                                  (f"{FOLDER}current.json", kill, "2")):  # fmt: skip
        assert publisher.bucket.put(key, to_bytes(document), if_none_match=True,
                                    metadata={"content-sha256": content_hash(document), "version": number, **old})
    before = snapshot(publisher)
    counter = request_counter(publisher.client)
    assert ingest_one(make_item(), publisher, cancel=True).status is Status.UNCHANGED  # same hash: the HEAD says so
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 1}
    for body in ("<p>First text.</p>", CHANGED):
        counter = request_counter(publisher.client)
        outcome = ingest_one(make_item(make_document(body=body)), publisher, force=body == CHANGED)
        assert (outcome.status, outcome.version) == (Status.KILLED, 2)
        assert article_requests(counter) == {("HEAD", f"{FOLDER}current.json"): 1, ("GET", f"{FOLDER}current.json"): 1}
    assert snapshot(publisher) == before
    result = publisher.articles.publish(make_document(), partner="zenger", article_key="1", reinstate=True)
    assert (result.status, result.version) == (Status.REINSTATED, 3)
    assert metadata(publisher, f"{FOLDER}current.json")["pub-status"] == "usable"


def test_a_presumed_new_write_never_revives_a_killed_article(killed, request_counter):
    """After a burst of new articles the store writes v1.json create-only without a HEAD: a killed article always
    has its v1.json and current.json, so the write is refused, the usual HEAD follows, and nothing is written."""
    killed.articles.start_run()
    for n in range(100, 100 + PRESUME_NEW_AFTER):
        assert ingest_one(make_item(make_document(n)), killed).status is Status.CREATED
    before = snapshot(killed, FOLDER)
    counter = request_counter(killed.client)
    outcome = ingest_one(make_item(make_document(body=CHANGED)), killed)
    assert (outcome.status, outcome.version) == (Status.KILLED, 2)
    assert article_requests(counter) == {("PUT", f"{FOLDER}v1.json"): 1, ("HEAD", f"{FOLDER}current.json"): 1}
    assert snapshot(killed, FOLDER) == before


def test_a_kill_left_behind_by_a_crash_wins_over_the_next_update(publisher, request_counter):
    """v2 (a kill) landed but its writer died before moving current.json: the next plain ingest meets it (412 on its
    own v2), moves current.json to the kill, and then writes nothing: the article is killed."""
    ingest_one(make_item(), publisher)
    kill = {**make_document(), "pubStatus": "canceled", "version": "2"}
    publisher.bucket.put(f"{FOLDER}v2.json", to_bytes(kill), if_none_match=True,
                         metadata={"content-sha256": content_hash(kill), "version": "2", "pub-status": "canceled"})
    outcome = ingest_one(make_item(make_document(body=CHANGED)), publisher)
    assert (outcome.status, outcome.version) == (Status.KILLED, 2)
    assert keys(publisher) == ["current.json", "v1.json", "v2.json"]
    assert get_json(publisher, f"{FOLDER}current.json")["pubStatus"] == "canceled"
    assert metadata(publisher, f"{FOLDER}current.json")["pub-status"] == "canceled"


def test_a_version_todays_checks_refuse_is_still_killed_as_a_withdrawal(make_publisher, s3_server):
    """A version published under older rules (here: an apostrophe left raw in its canonical URL, which today's URL
    check refuses) cannot be re-validated as it is; its kill is published as a withdrawal notice instead of failing."""
    from ingest_plugin import parse
    from ingest_plugin.parsing.ninjs import WITHDRAWN_BODY
    from ingest_plugin.parsing.validate import validate_document
    from tests.pagebuilder import zenger_page

    (document,) = parse(zenger_page().encode())
    legacy = {**document, "altIds": [a if a["role"] != "canonical-url" else
                                     {**a, "value": "https://www.zenger.news/it's-news/"} for a in document["altIds"]]}
    older = make_publisher(s3_server.endpoint_url)  # the checks of then: no URL check
    key = legacy["uri"].rsplit(":", 1)[-1]
    assert ingest_one(make_item(legacy, article_key=key), older).status is Status.CREATED
    today = make_publisher(s3_server.endpoint_url, bucket=older.settings.bucket, validate=validate_document)
    with logging_as_it_was(), capture_logs() as logs:
        killed = ingest_one(make_item(legacy, article_key=key), today, cancel=True)
    assert (killed.status, killed.version) == (Status.CANCELED, 2)
    version = get_json(today, f"articles/zenger/{key}/v2.json")
    assert version["pubStatus"] == "canceled" and version["bodies"][0]["value"] == WITHDRAWN_BODY
    assert "associations" not in version and all(a["role"] != "canonical-url" for a in version.get("altIds", []))
    assert version["headlines"] == legacy["headlines"] and version["uri"] == legacy["uri"]
    assert [e["event"] for e in logs if e["event"] == "kill_as_withdrawal"] == ["kill_as_withdrawal"]
