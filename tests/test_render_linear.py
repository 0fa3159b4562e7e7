"""Renderings of inputs built to make a quadratic or backtracking step run for minutes: thousands of pictures and
placeholders, a body full of half placeholders. No timing is asserted (tests/test_linear_time.py explains why);
each keeps its functional result."""
from __future__ import annotations

import json

from lxml import etree

from ingest_plugin.parsing.render import EXTRA_PROFILES, render
from ingest_plugin.parsing.render.common import is_rfc3339, replace_markers
from tests.rendering_fixtures import document

SOIL = "tests/fixtures/pages/zenger-israel-soil-sensors.html#0@v1"


def test_half_placeholders_are_left_alone_in_one_pass():
    body = '<figure data-association="photo-1' * 100_000 + '<figure data-association="photo-1"></figure>'
    pictures = [{"name": "photo-1", "type": "picture"}]
    replaced = replace_markers(body, lambda _a: "<p>PHOTO</p>", pictures)
    assert replaced.endswith("<p>PHOTO</p>") and replaced.count("PHOTO") == 1
    unknown = '<div data-association="' + "x" * 500_000
    assert replace_markers(unknown, lambda _a: "", pictures) == unknown


def test_an_article_with_two_thousand_pictures_renders_in_every_profile():
    doc = document(SOIL)
    picture = next(a for a in doc["associations"] if a["name"] == "photo-1")
    count = 2000
    pictures = []
    for n in range(1, count + 1):
        copy = json.loads(json.dumps(picture))
        copy["name"] = f"photo-{n}"
        copy["uri"] = picture["uri"].rsplit(":", 1)[0] + f":photo-{n}"
        copy["renditions"][0]["href"] = picture["renditions"][0]["href"] + f"?n={n}"
        pictures.append(copy)
    doc["associations"] = [a for a in doc["associations"] if a["name"] == "featured"] + pictures
    doc["bodies"][0]["value"] = "".join(f'<p>Paragraph {n}.</p><figure data-association="photo-{n}"></figure>'
                                        for n in range(1, count + 1))
    for profile in EXTRA_PROFILES:
        rendering = render(doc, profile)
        if profile == "newsml-g2":
            assert len(rendering.objects) == 2 + count + 1
            package = etree.fromstring(rendering.objects[-1].body)
            assert len(package.findall(".//{*}itemRef")) == 1 + count + 1
        elif profile == "superdesk":
            assert len(json.loads(rendering.objects[0].body)["associations"]) == count + 1


def test_time_check_of_a_long_almost_time():
    assert not is_rfc3339("2024-03-12T16:40:00" + "0" * 100_000)
    assert is_rfc3339("2024-03-12T16:40:00.123-04:00")


def test_a_paragraph_opening_with_white_space_is_read_once_for_a_correction_mark():
    """Each piece of a paragraph's opening white space (a line break after each) made the correction test strip all
    the text before it again: minutes for a paragraph of 200,000, hours at the input cap."""
    doc = document(SOIL.replace("@v1", "@v2"))
    doc["bodies"][0]["value"] = "<p>" + "\xa0<br>" * 200_000 + "Correction: the minister's name was misspelled.</p>"
    text = etree.fromstring(next(o.body for o in render(doc, "newsml-g2").objects if o.leaf.endswith(".text.xml")))
    assert "sig:correction" in [s.get("qcode") for s in text.iter("{*}signal")]
