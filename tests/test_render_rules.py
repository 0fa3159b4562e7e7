"""The per-profile rules of docs/renderings.md, as a consumer would notice them: where the disclaimer, the dates, the
credits, the pictures, the tweets and a kill end up in each rendering. The expected values are read from the
canonical document by the rules themselves (a UTC conversion, a role name), never from a rendering."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest
from lxml import etree

from ingest_plugin.parsing.render import EXTRA_PROFILES, LossLog, render
from ingest_plugin.parsing.render import common as render_common
from ingest_plugin.partners import by_key
from tests.conftest import logging_as_it_was
from tests.rendering_fixtures import document, fixture_ids

NAR = "{http://iptc.org/std/nar/2006-10-01/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
SOIL = "tests/fixtures/pages/zenger-israel-soil-sensors.html#0"  # featured + inline photo, author, editors
MIAMI = "tests/fixtures/pages/zenger-miami-vcard.html#0"  # two inline photos
BLINKEN = "tests/fixtures/pages/zenger-blinken.html#0"  # a photo and a tweet
JSON_PROFILES = ("ninjs-2.2", "ninjs-1.6", "superdesk")


def json_rendering(doc: dict, profile: str) -> dict:
    return json.loads(render(doc, profile).objects[0].body)


def g2_items(doc: dict) -> dict[str, etree._Element]:
    return {o.leaf: etree.fromstring(o.body) for o in render(doc, "newsml-g2").objects}


def body_of(rendered: dict, profile: str) -> str:
    return rendered["bodies"][0]["value"] if profile == "ninjs-2.2" else rendered["body_html"]


def xhtml_body(items: dict[str, etree._Element]) -> etree._Element:
    return items["newsml-g2.text.xml"].find(f"{NAR}contentSet/{NAR}inlineXML/{XHTML}html/{XHTML}body")


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.mark.parametrize("name", [n for n in fixture_ids() if n.endswith("@v1")])
def test_the_disclaimer_reaches_the_reader_in_every_profile(name):
    """Where the consumer shows no disclaimer field, the disclaimer ends the body as its own paragraph."""
    doc = document(name)
    disclaimers = [d["value"] for d in doc["descriptions"] if d["role"] == "disclaimer"]
    assert disclaimers
    for profile in JSON_PROFILES:
        body = body_of(json_rendering(doc, profile), profile)
        assert body.endswith("".join(f"<p>{d}</p>" for d in disclaimers).replace("&", "&amp;")), profile
    paragraphs = list(xhtml_body(g2_items(doc)))
    assert [p.text for p in paragraphs[-len(disclaimers):]] == disclaimers
    meta = g2_items(doc)["newsml-g2.text.xml"].find(f"{NAR}contentMeta")
    assert [d.text for d in meta.iter(f"{NAR}description") if d.get("role") == "ipdrole:disclaimer"] == disclaimers


def test_superdesk_times_are_utc_without_fractions_and_strict_dialects_keep_rfc3339():
    doc = document(f"{SOIL}@v2")
    doc["versionCreated"] = "2030-06-01T09:15:30.250-04:00"
    superdesk = json_rendering(doc, "superdesk")
    assert superdesk["versioncreated"] == "2030-06-01T13:15:30+00:00"
    assert superdesk["firstcreated"] == _utc(doc["firstCreated"])
    assert all(a["versioncreated"] == "2030-06-01T13:15:30+00:00" for a in superdesk["associations"].values())
    assert json_rendering(doc, "ninjs-2.2")["versioncreated"] == "2030-06-01T09:15:30.250-04:00"
    assert json_rendering(doc, "ninjs-1.6")["versioncreated"] == "2030-06-01T09:15:30.250-04:00"


def test_guid_is_our_uri_in_superdesk_only():
    doc = document(f"{SOIL}@v1")
    assert json_rendering(doc, "superdesk")["guid"] == doc["uri"]
    for profile in ("ninjs-2.2", "ninjs-1.6"):
        rendered = json_rendering(doc, profile)
        assert "guid" not in rendered and rendered["uri"] == doc["uri"]
        assert "guid" not in json.dumps(rendered.get("associations", {}))


def test_ednote_carries_only_our_version_note():
    doc = document(f"{SOIL}@v2")
    assert doc["edNote"].startswith("Update: version 2")
    assert json_rendering(doc, "ninjs-2.2")["ednote"] == doc["edNote"]
    assert json_rendering(doc, "ninjs-1.6")["ednote"] == doc["edNote"]
    assert json_rendering(doc, "superdesk")["ednote"] == doc["edNote"]
    assert g2_items(doc)["newsml-g2.text.xml"].findtext(f"{NAR}itemMeta/{NAR}edNote") == doc["edNote"]
    assert "ednote" not in json_rendering(document(f"{SOIL}@v1"), "ninjs-2.2")  # v1 has no note: nothing goes in


def test_authors_and_editors_keep_their_roles():
    doc = document(f"{SOIL}@v1")
    authors = [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + "author"]
    editors = [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + "editor"]
    assert authors and editors
    superdesk = json_rendering(doc, "superdesk")
    assert superdesk["authors"] == ([{"name": a, "role": "writer"} for a in authors]
                                    + [{"name": e, "role": "editor"} for e in editors])
    assert superdesk["byline"] == doc["by"]
    strict = json_rendering(doc, "ninjs-1.6")
    assert [(s["name"], s["code"]) for s in strict["infosource"] if s["code"] in ("author", "editor")] == \
        [(a, "author") for a in authors] + [(e, "editor") for e in editors]
    meta = g2_items(doc)["newsml-g2.text.xml"].find(f"{NAR}contentMeta")
    assert [(c.findtext(f"{NAR}name"), c.get("role")) for c in meta.iter(f"{NAR}creator")] == \
        [(a, "cpprole:author") for a in authors]
    assert [(c.findtext(f"{NAR}name"), c.get("role")) for c in meta.iter(f"{NAR}contributor")] == \
        [(e, "cpprole:editor") for e in editors]
    assert [(i.findtext(f"{NAR}name"), i.get("role")) for i in meta.iter(f"{NAR}infoSource")][0] == \
        ("Zenger News", "cpprole:origcont")


def test_superdesk_pictures_are_featuremedia_and_editor_n_with_a_base_image():
    doc = document(f"{SOIL}@v1")
    featured = next(a for a in doc["associations"] if a["name"] == "featured")
    inline = next(a for a in doc["associations"] if a["name"] == "photo-1")
    rendered = json_rendering(doc, "superdesk")
    assert set(rendered["associations"]) == {"featuremedia", "editor_0"}
    for key, picture in (("featuremedia", featured), ("editor_0", inline)):
        got = rendered["associations"][key]
        href = picture["renditions"][0]["href"]
        assert got["renditions"]["baseImage"]["href"] == got["renditions"]["original"]["href"] == href
        assert got["byline"] == picture["by"]
        assert got["description_text"] == next(d["value"] for d in picture["descriptions"] if d["role"] == "caption")
    body = rendered["body_html"]
    assert '<!-- EMBED START Image {id: "editor_0"} -->' in body and "data-association" not in body
    assert f'<img src="{inline["renditions"][0]["href"]}"' in body
    # strict 1.6: keyed by name, the placeholders renamed with them
    strict = json_rendering(doc, "ninjs-1.6")
    assert set(strict["associations"]) == {"featured", "photo_1"}
    assert '<figure data-association="photo_1"></figure>' in strict["body_html"]
    assert set(strict["associations"]["photo_1"]["renditions"]) == {"original", "baseImage"}
    # 2.2: an array, names and placeholders as ours, without the 3.x-only rel
    two = json_rendering(doc, "ninjs-2.2")
    assert [a["name"] for a in two["associations"]] == ["featured", "photo-1"]
    assert all("rel" not in a for a in two["associations"])
    assert '<figure data-association="photo-1"></figure>' in two["bodies"][0]["value"]


def test_tweets_are_in_the_body_and_in_the_associations_where_the_dialect_has_them():
    doc = document(f"{BLINKEN}@v1")
    tweet = next(a for a in doc["associations"] if a["name"] == "tweet-1")
    status_url = tweet["uri"]
    for profile in JSON_PROFILES:
        body = body_of(json_rendering(doc, profile), profile)
        assert 'class="twitter-tweet"' in body and status_url.split("/")[-1] in body, profile
    assert any(a["uri"] == status_url for a in json_rendering(doc, "ninjs-2.2")["associations"])
    assert json_rendering(doc, "ninjs-1.6")["associations"]["tweet_1"]["uri"] == status_url
    assert all(a["type"] == "picture" for a in json_rendering(doc, "superdesk")["associations"].values())
    quotes = [b for b in xhtml_body(g2_items(doc)).iter(f"{XHTML}blockquote") if b.get("class") == "twitter-tweet"]
    assert len(quotes) == 1


@pytest.mark.parametrize("name", [n for n in fixture_ids() if n.endswith("@kill")])
def test_a_kill_arrives_as_canceled_in_every_profile(name):
    doc = document(name)
    for profile in JSON_PROFILES:
        assert json_rendering(doc, profile)["pubstatus"] == "canceled", profile
    items = g2_items(doc)
    assert {leaf: root.find(f"{NAR}itemMeta/{NAR}pubStatus").get("qcode") for leaf, root in items.items()} == \
        {leaf: "stat:canceled" for leaf in items}
    package = items["newsml-g2.xml"]
    assert {r.find(f"{NAR}pubStatus").get("qcode") for r in package.iter(f"{NAR}itemRef")} == {"stat:canceled"}


def test_g2_package_text_and_pictures_are_items_of_their_own_with_stable_guids():
    doc = document(f"{MIAMI}@v1")
    hrefs = [a["renditions"][0]["href"] for a in doc["associations"]]
    items = g2_items(doc)
    assert set(items) == {"newsml-g2.xml", "newsml-g2.text.xml", *(
        f"newsml-g2.{render_common.picture_slug(guid)}.xml" for guid in render_common.picture_ids(doc).values())}
    package = items["newsml-g2.xml"]
    assert package.tag == f"{NAR}packageItem" and package.get("version") == "1"
    refs = [r.get("residref") for r in package.iter(f"{NAR}itemRef")]
    assert refs[0] == doc["uri"]
    by_href = {root.find(f"{NAR}contentSet/{NAR}remoteContent").get("href"): root.get("guid")
               for leaf, root in items.items() if "picture" in leaf}
    assert set(by_href) == set(hrefs) and set(refs[1:]) == set(by_href.values())
    # the partner swaps the two photos: each photo keeps its guid (it comes from the image URL, not the position)
    swapped = copy.deepcopy(doc)
    first, second = swapped["associations"]
    first["renditions"], second["renditions"] = second["renditions"], first["renditions"]
    again = {root.find(f"{NAR}contentSet/{NAR}remoteContent").get("href"): root.get("guid")
             for leaf, root in g2_items(swapped).items() if "picture" in leaf}
    assert again == by_href


def test_two_photos_of_one_image_are_two_items_with_their_own_captions_and_credits():
    """A story may show one image twice (cropped again, captioned again): each photo is an item of its own in G2 and
    Superdesk, with its own guid, caption and credit; a photo of its own image keeps the guid it had."""
    doc = document(f"{MIAMI}@v1")
    first = doc["associations"][0]
    alone = g2_items(doc)
    twice = copy.deepcopy(doc)
    again = {**copy.deepcopy(first), "name": "photo-9", "uri": first["uri"] + "-again",
             "copyrightNotice": "John Roe/AP",
             "descriptions": [{"role": "caption", "contentType": "text/plain", "value": "The same scene, later."}]}
    twice["associations"].append(again)
    twice["bodies"][0]["value"] += '<figure data-association="photo-9"></figure>'
    items = g2_items(twice)
    pictures = {root.get("guid"): root for leaf, root in items.items() if "picture" in leaf}
    assert len(pictures) == len(doc["associations"]) + 1  # one item per photo
    credits = sorted(root.find(f"{NAR}contentMeta/{NAR}creditline").text for root in pictures.values()
                     if root.find(f"{NAR}contentSet/{NAR}remoteContent").get("href") == first["renditions"][0]["href"])
    assert credits == sorted([first["copyrightNotice"], "John Roe/AP"])
    assert {root.get("guid") for leaf, root in alone.items() if "picture" in leaf} <= set(pictures)
    refs = [r.get("residref") for r in items["newsml-g2.xml"].iter(f"{NAR}itemRef")]
    assert len(refs) == len(set(refs))
    superdesk = json.loads(render(twice, "superdesk").objects[0].body)
    guids = [a["guid"] for a in superdesk["associations"].values()]
    assert len(guids) == len(set(guids)) == len(twice["associations"])


def test_g2_signals_update_from_version_2_and_correction_when_the_partner_marks_one():
    def signals(doc: dict) -> list[str]:
        return [s.get("qcode") for s in g2_items(doc)["newsml-g2.text.xml"].iter(f"{NAR}signal")]

    assert signals(document(f"{SOIL}@v1")) == []
    assert signals(document(f"{SOIL}@v2")) == ["sig:update"]
    corrected = document(f"{SOIL}@v2")
    corrected["bodies"][0]["value"] = ("<p>Correction: an earlier version misspelled the minister's name.</p>"
                                       + corrected["bodies"][0]["value"])
    assert signals(corrected) == ["sig:update", "sig:correction"]
    split = document(f"{SOIL}@v2")  # the mark split between elements, after white space: read as one text
    split["bodies"][0]["value"] = (split["bodies"][0]["value"] + f"<p>{' ' * 40}<em>Cor</em><strong>rection"
                                   "</strong> \u2014 the minister's name was misspelled.</p>")
    assert signals(split) == ["sig:update", "sig:correction"]


def test_g2_provider_comes_from_the_partner_profile():
    for ref, partner in ((f"{SOIL}@v1", "zenger"), *((r, "benzinga") for r in fixture_ids() if "benzinga" in r)):
        provider = g2_items(document(ref))["newsml-g2.text.xml"].find(f"{NAR}itemMeta/{NAR}provider")
        profile = by_key(partner)
        assert (provider.get("uri"), provider.findtext(f"{NAR}name")) == (profile.homepage, profile.name), ref


def test_what_a_strict_dialect_cannot_carry_is_logged_once_per_profile_and_run():
    from structlog.testing import capture_logs

    losses = LossLog()
    with logging_as_it_was(), capture_logs() as logs:
        for name in fixture_ids()[:30]:
            for profile in EXTRA_PROFILES:
                losses.report(render(document(name), profile))
    drops = [(e["profile"], tuple(e["fields"])) for e in logs if e["event"] == "rendering_drops"]
    fields = [(profile, field) for profile, names in drops for field in names]
    assert ("ninjs-1.6", "infoSources[].uri") in fields and ("ninjs-2.2", "associations[].rel") in fields
    assert len(fields) == len(set(fields))  # each loss once
    losses.reset()  # a new run logs again
    with logging_as_it_was(), capture_logs() as logs:
        losses.report(render(document(f"{SOIL}@v1"), "ninjs-1.6"))
    assert [e["event"] for e in logs] == ["rendering_drops"]


def test_g2_drops_from_the_body_what_xml_cannot_hold_as_it_does_elsewhere():
    """U+FFFE in a body's text (valid in ninjs and HTML, never in XML) made the G2 rendering refuse the article."""
    doc = document(f"{SOIL}@v1")
    doc["bodies"][0]["value"] = doc["bodies"][0]["value"].replace("</p>", " \ufffe\uffff</p>", 1)
    items = g2_items(doc)
    assert "\ufffe" not in etree.tostring(items["newsml-g2.text.xml"], encoding="unicode")


def test_a_valid_document_with_other_headline_and_id_roles_renders_in_every_profile():
    """The profile lets a hand-made document hold a kicker, a headline without a role and an id role of its own
    ("CMS Id"): G2 refused each of them (its codes were ours only, a role-less headline got role "iphlrole:None")
    and ninjs 2.2 refused a kicker, so `publish` of such a document failed in every extra profile."""
    from ingest_plugin.parsing.validate import problems

    doc = document(f"{SOIL}@v1")
    main = doc["headlines"][0]["value"]
    doc["headlines"][:0] = [{"role": "kicker", "contentType": "text/plain", "value": "Farming"}]
    doc["headlines"].append({"contentType": "text/plain", "value": "Sensors in the soil"})
    doc["headlines"].append({"role": "", "contentType": "text/plain", "value": "An empty role"})
    doc["altIds"] = [*doc.get("altIds", ()), {"role": "CMS Id", "value": "A-17"}]
    assert problems(doc) == []
    assert {h.get("role") for h in json_rendering(doc, "ninjs-2.2")["headlines"]} >= {"kicker", "main", None}
    meta = g2_items(doc)["newsml-g2.text.xml"].find(f"{NAR}contentMeta")
    headlines = [(h.get("role"), h.text) for h in meta.iter(f"{NAR}headline")]
    assert headlines[0] == (None, main)  # the main headline first, where a receiver looks for it
    assert ("iphlrole:kicker", "Farming") in headlines and (None, "Sensors in the soil") in headlines
    assert (None, "An empty role") in headlines  # "iphlrole:" would be no QCode
    assert ("ipidtype:CMS%20Id", "A-17") in [(a.get("type"), a.text) for a in meta.iter(f"{NAR}altId")]
    for profile in JSON_PROFILES:
        assert json_rendering(doc, profile)


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\ufffe"])
def test_a_disclaimer_holding_a_line_break_ends_the_g2_body_as_it_stands(line_end):
    """An HTML parser reads CR LF as LF: the disclaimer paragraph G2 built through one no longer equalled the
    document's, so G2 refused a valid document whose disclaimer holds a CR."""
    doc = document(f"{SOIL}@v1")
    disclaimer = next(d for d in doc["descriptions"] if d["role"] == "disclaimer")
    disclaimer["value"] += f"{line_end}Second line."
    paragraphs = list(xhtml_body(g2_items(doc)))
    assert paragraphs[-1].text == disclaimer["value"].replace("\ufffe", "")
