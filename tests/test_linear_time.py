"""Inputs built to make a super-linear pattern or loop run for minutes or hours, each with the functional result it
must still give. No timing is asserted: before the fixes each of these took from seconds to (practically) for ever,
now each takes a fraction of a second, and pytest's own run time is the guard."""
import json

from lxml import html
from structlog.testing import capture_logs

from ingest_plugin import parse
from ingest_plugin.parsing.credits import _AI_DISCLOSURE, _INVESTMENT_ADVICE
from ingest_plugin.parsing.extract.body import content_root, strip_chrome
from ingest_plugin.parsing.extract.media import featured_picture, lift_pictures, same_image, split_caption_credit
from ingest_plugin.parsing.load import load, parse_html_fragment
from tests.pagebuilder import zenger_page


def test_doctype_internal_subset_does_not_backtrack_exponentially():
    # "][" pairs with no ">" after the last "[": each "]" could end the subset or be a character of the DOCTYPE,
    # 2^60 ways to split for the old pattern to try. 1 KB.
    page = "<!DOCTYPE html [" + "][" * 60 + zenger_page()[len("<!DOCTYPE html>"):][:800]
    assert load(page.encode()).kind == "html"
    feed = '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "b">]>\n<rss version="2.0"><channel/></rss>'
    assert load(feed.encode()).kind == "xml"  # a real internal subset still leads to the root element


def test_layout_fallback_with_unclosed_tags_is_not_quadratic():
    # Nesting past libxml2's limit makes load() strip layout tags and parse again; 200,000 "<div " that never
    # close each made that strip scan to the end of the page.
    page = "<html><body>" + "<div>" * 3000 + "<p>story</p>" + "<div " * 200_000
    assert load(page.encode()).kind == "html"


def test_investment_advice_disclaimer_in_a_sentence_that_never_ends():
    long_sentence = "word " * 100_000  # 500 KB without a sentence end
    assert [m.group(0) for m in _INVESTMENT_ADVICE.finditer(long_sentence)] == []
    line = "does not provide " * 20_000 + "this text any advice"  # every "does not provide" a candidate
    assert [m.group(0) for m in _INVESTMENT_ADVICE.finditer(line)] == [line]
    text = "A story. " + long_sentence + "Zenger News does not provide investment advice. More story."
    assert [m.group(0) for m in _INVESTMENT_ADVICE.finditer(text)] == [
        " " + long_sentence + "Zenger News does not provide investment advice."]


def test_ai_disclosure_in_a_sentence_that_never_ends():
    line = "produced with " * 30_000  # 420 KB: a verb and a preposition every few characters, no keyword
    assert [m.group(0) for m in _AI_DISCLOSURE.finditer(line)] == []
    disclosure = "This article was produced with the help of Benzinga Neuro."
    assert [m.group(0) for m in _AI_DISCLOSURE.finditer(line + ". " + disclosure)] == [" " + disclosure]


def test_caption_credit_after_an_unclosed_parenthesis():
    caption = "Crowds in Kyiv (" + "a/" * 100_000  # every "/" a candidate credit, the ")" never comes
    assert split_caption_credit(caption) == (caption, None)
    assert split_caption_credit("(" * 100_000 + "x") == ("(" * 100_000 + "x", None)
    assert split_caption_credit("Crowds in Kyiv (" + "a " * 50_000 + "(Photo by Jane Doe/Getty Images)") == (
        "Crowds in Kyiv (" + "a " * 49_999 + "a", "Jane Doe/Getty Images")


def test_caption_credit_after_many_short_capitalised_sentences():
    caption = "Crowds. " + "AB. " * 50_000 + "A"  # each sentence start a candidate all-capitals credit
    assert split_caption_credit(caption) == (caption, None)
    assert split_caption_credit("Crowds in January 2021. " + "Ab cd. " * 50_000 + "DARRIAN TRAYNOR") == (
        "Crowds in January 2021. " + "Ab cd. " * 49_999 + "Ab cd.", "Darrian Traynor")


def test_size_suffix_of_a_very_long_file_name():
    name = "https://www.zenger.news/wp-content/uploads/" + "-1x1" * 100_000 + "x.jpg"
    assert same_image(name, name)
    assert not same_image(name, name.replace("x.jpg", "y.jpg"))
    assert same_image("https://e.com/a/photo-1024x683.jpg", "https://e.com/b/photo-scaled.jpg")


def test_thousands_of_images_in_one_container():
    count = 10_000
    tags = [f'<img src="https://www.zenger.news/p{i}.jpg" width="800" height="600">' for i in range(count)]
    root = parse_html_fragment(f"<div>{''.join(tags)}</div><figure>{''.join(tags[:count])}"
                               "<figcaption>One</figcaption></figure>")
    pictures = lift_pictures(root, None)
    assert [p.href for p in pictures[:count]] == [f"https://www.zenger.news/p{i}.jpg" for i in range(count)]
    assert len(pictures) == count + 1 and pictures[-1].caption == "One"  # the figure's pictures are one picture
    assert len(root.findall(".//figure[@data-association]")) == count + 1


def test_thousands_of_images_beside_the_featured_one():
    count = 4000
    images = "".join(f'<img src="https://www.zenger.news/p{i}.jpg" width="800">' for i in range(count))
    doc = html.fromstring(f'<html><body><div>{images}</div><figure><img src="https://www.zenger.news/hero.jpg" '
                          f'width="800"><figcaption>Hero</figcaption></figure><div id="b"><p>x</p></div></body></html>')
    picture = featured_picture(doc, doc.get_element_by_id("b"), "https://www.zenger.news/hero-1024x683.jpg", None)
    assert (picture.href, picture.caption) == ("https://www.zenger.news/hero.jpg", "Hero")


def test_content_root_of_deeply_nested_text():
    depth, words = 1500, 100_000
    story = "<p>" + "<b>word</b> " * words + "</p>"
    body = "<blockquote>" * depth + story + "</blockquote>" * depth + "<p>Short.</p>"
    doc = load(zenger_page(body).encode()).tree
    root = content_root(doc, strip_chrome(doc))
    assert root is not None and root.get("class") == "entry-content"


def test_deeply_nested_json_ld_block_is_skipped_and_the_article_parses():
    deep = "[" * 5000 + "]" * 5000
    head = f'<script type="application/ld+json">{deep}</script>' \
           f'<script type="application/ld+json">{{"@type": "Thing", "n": {"9" * 5000}}}</script>'
    with capture_logs() as logs:
        docs = parse(zenger_page(head_extra=head).encode(), source_url="https://www.zenger.news/2024/03/12/x/")
    assert len(docs) == 1 and docs[0]["headlines"][0]["value"] == "Congress Passes Spending Bill"
    skipped = [entry for entry in logs if entry["event"] == "metadata_block_skipped"]
    assert [entry["reason"].split(":")[0] for entry in skipped] == [
        "the JSON is nested too deeply", "the JSON holds a number no metadata has"]


def test_json_ld_article_next_to_a_bad_block_still_counts():
    deep = json.dumps({"@type": "Thing", "x": "y"})[:-1] + ', "d": ' + "{\"a\": " * 5000 + "1" + "}" * 5001
    page = zenger_page(headline="Spending Bill", head_extra=f'<script type="application/ld+json">{deep}</script>')
    docs = parse(page.encode())
    assert docs[0]["headlines"][0]["value"] == "Spending Bill"
