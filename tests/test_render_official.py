"""Every rendering of every fixture document (first version, an update, a kill) against the consumers' own
definitions: IPTC's official ninjs 2.2 and 1.6 schemas, Superdesk's flavour as 1.6 plus its extension keys, and the
official NewsML-G2 2.35 XSD with ``lxml.etree.XMLSchema``, all read from ../shared/reference. Our own run-time checks
(the rendering schemas under ingest_plugin/schemas) pass them too, and every rendering is byte-identical when made
again."""
from __future__ import annotations

import json

import pytest
from lxml import etree

from ingest_plugin.parsing.render import EXTRA_PROFILES, render
from tests.rendering_fixtures import document, fixture_ids, official_json_validator, official_xsd

JSON_PROFILES = ("ninjs-2.2", "ninjs-1.6", "superdesk")


def test_the_fixture_set_is_the_whole_corpus():
    """Samples, pages, feeds, API payloads and the real Benzinga samples: each as v1, an update and a kill."""
    ids = fixture_ids()
    assert len(ids) >= 3 * 30
    assert any("-04:00" in document(name)["versionCreated"] for name in ids)
    assert any(document(name).get("associations") for name in ids)


@pytest.mark.parametrize("name", fixture_ids())
@pytest.mark.parametrize("profile", JSON_PROFILES)
def test_json_renderings_are_valid_against_the_official_schemas(name, profile):
    rendering = render(document(name), profile)
    [item] = rendering.objects
    assert item.leaf == f"{profile}.json"
    rendered = json.loads(item.body)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in official_json_validator(profile).iter_errors(rendered)]
    assert errors == []


@pytest.mark.parametrize("name", fixture_ids())
def test_newsml_g2_items_are_valid_against_the_official_xsd(name):
    doc = document(name)
    rendering = render(doc, "newsml-g2")
    pictures = [a for a in doc.get("associations", ()) if a["type"] == "picture"]
    assert len(rendering.objects) == 2 + len(pictures)  # the package, the text, one item per picture
    xsd = official_xsd()
    for item in rendering.objects:
        root = etree.fromstring(item.body)
        assert xsd.validate(root), (item.leaf, [str(e) for e in xsd.error_log][:5])


@pytest.mark.parametrize("name", fixture_ids()[::7])
@pytest.mark.parametrize("profile", EXTRA_PROFILES)
def test_a_rendering_is_byte_identical_on_every_run(name, profile):
    first = render(document(name), profile)
    again = render(document(name), profile)
    assert [(o.leaf, o.body) for o in first.objects] == [(o.leaf, o.body) for o in again.objects]


def test_our_schemas_are_stricter_than_the_official_ones():
    """A document the official schemas accept but ours refuse: our run-time gate is the narrower one."""
    from ingest_plugin.parsing.render.checks import schema_problems

    rendered = json.loads(render(document(fixture_ids()[0]), "ninjs-2.2").objects[0].body)
    rendered["pubstatus"] = "usable"
    rendered["headlines"] = [{"value": "no role"}]  # valid ninjs 2.2, but no main headline
    assert list(official_json_validator("ninjs-2.2").iter_errors(rendered)) == []
    assert schema_problems("ninjs-2.2", rendered)


def test_other_headline_and_id_roles_stay_valid_against_the_official_schemas():
    """A kicker, a headline without a role, an id role with a space and a disclaimer with a CR LF (all in the profile,
    none written by our parser) render to what IPTC's own schemas accept."""
    doc = document("tests/fixtures/pages/zenger-israel-soil-sensors.html#0@v1")
    doc["headlines"][:0] = [{"role": "kicker", "contentType": "text/plain", "value": "Farming"}]
    doc["headlines"].append({"contentType": "text/plain", "value": "Sensors in the soil"})
    doc["altIds"] = [*doc.get("altIds", ()), {"role": "CMS Id", "value": "A-17"}]
    next(d for d in doc["descriptions"] if d["role"] == "disclaimer")["value"] += "\r\nSecond line."
    xsd = official_xsd()
    for item in render(doc, "newsml-g2").objects:
        assert xsd.validate(etree.fromstring(item.body)), (item.leaf, [str(e) for e in xsd.error_log][:5])
    for profile in ("ninjs-2.2", "ninjs-1.6", "superdesk"):
        rendered = json.loads(render(doc, profile).objects[0].body)
        assert [e.message for e in official_json_validator(profile).iter_errors(rendered)] == [], profile
