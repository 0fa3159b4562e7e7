"""Metadata on pages and feeds in themes and SEO plugins the fixtures do not use (issue 18, failure classes 5-11):
bylines and edit lines in every form, captions outside figcaption, datelines, page-builder decks, Atom feeds, and
pages that are no article. Every page here is written for this test, in the markup its theme or plugin emits."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from itertools import islice

import pytest

from ingest_plugin.errors import ErrorCode
from ingest_plugin.parsing.explain import explain
from ingest_plugin.parsing.extract.body import text_of
from ingest_plugin.parsing.extract.media import lift_pictures, split_caption_credit
from ingest_plugin.parsing.load import parse_html_fragment
from ingest_plugin.parsing.names import people
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.parsing.text import headline_from_text

ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
URL = "https://www.zenger.news/2024/03/12/spending-bill-passes/"
HEADLINE = "Spending Bill Passes After Weeks Of Talks"
STORY = ("<p>Lawmakers met on Tuesday to debate a spending bill that would fund the government through the end of "
         "the fiscal year, aides said, after weeks of talks that at times looked close to collapse.</p>"
         "<p>The measure now heads to the Senate, where leaders of both parties have said they expect it to pass "
         "before the deadline at midnight on Friday.</p>")
IMG = ('<img src="https://wpcdn.zenger.news/wp-content/uploads/2024/03/12/market-1024x683.jpg" width="1024" '
       'height="683" alt="Traders">')


# --- heads of three SEO plugins ------------------------------------------------------------------------------------

def yoast(author: str = "Zenger News", article: bool = True, page_type: str = "WebPage") -> str:
    graph: list[dict] = [
        {"@type": page_type, "@id": URL, "url": URL, "name": HEADLINE, "datePublished": "2024-03-12T14:05:00+00:00"},
        {"@type": "WebSite", "@id": "https://www.zenger.news/#website", "name": "Zenger News"},
        {"@type": "Organization", "@id": "https://www.zenger.news/#organization", "name": "Zenger News"},
        {"@type": "Person", "@id": "https://www.zenger.news/#/schema/person/1", "name": author}]
    if article:
        graph.insert(0, {"@type": "NewsArticle", "@id": URL + "#article", "headline": HEADLINE,
                         "datePublished": "2024-03-12T14:05:00+00:00", "isPartOf": {"@id": URL},
                         "author": {"@id": "https://www.zenger.news/#/schema/person/1", "name": author}})
    return (f'<meta property="og:type" content="{"article" if article else "website"}">'
            '<meta property="og:site_name" content="Zenger News">'
            '<script type="application/ld+json" class="yoast-schema-graph">'
            + json.dumps({"@context": "https://schema.org", "@graph": graph}) + "</script>")


def rank_math(author: str = "Zenger News", extra: list[dict] | None = None) -> str:
    graph = [{"@type": "Organization", "@id": "https://www.zenger.news/#organization", "name": "Zenger News"},
             {"@type": "WebPage", "@id": URL + "#webpage", "url": URL},
             {"@type": "Person", "@id": "https://www.zenger.news/author/x/", "name": author},
             {"@type": "BlogPosting", "headline": HEADLINE, "datePublished": "2024-03-12T14:05:00+00:00",
              "dateModified": "2024-03-12T16:40:00+00:00", "author": {"@id": "https://www.zenger.news/author/x/"},
              "@id": URL + "#richSnippet", "isPartOf": {"@id": URL + "#webpage"}}, *(extra or [])]
    return ('<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2024-03-12T14:05:00+00:00">'
            '<script type="application/ld+json" class="rank-math-schema">'
            + json.dumps({"@context": "https://schema.org", "@graph": graph}) + "</script>")


def aioseo(author: str = "Zenger News") -> str:
    graph = [{"@type": "NewsArticle", "@id": URL + "#newsarticle", "name": HEADLINE, "headline": HEADLINE,
              "author": {"@id": "https://www.zenger.news/author/a/#author"},
              "datePublished": "2024-03-12T10:05:00-04:00", "dateModified": "2024-03-12T12:40:00-04:00"},
             {"@type": "Person", "@id": "https://www.zenger.news/author/a/#author", "name": author},
             {"@type": "BreadcrumbList", "@id": URL + "#breadcrumblist", "itemListElement": []}]
    return ('<meta property="og:type" content="article">'
            '<script type="application/ld+json" class="aioseo-schema">'
            + json.dumps({"@context": "https://schema.org", "@graph": graph}) + "</script>")


def page(head: str, body: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">
<title>{HEADLINE} - Zenger News</title><link rel="canonical" href="{URL}">{head}</head>
<body class="post-template-default single single-post postid-4242">
<header class="site-header"><nav class="main-navigation"><ul><li><a href="/">Home</a></li></ul></nav></header>
{body}
<footer class="site-footer"><p>Check out our free email newsletters</p></footer></body></html>""".encode()


# --- theme bodies --------------------------------------------------------------------------------------------------

def newspack(content: str, subtitle: str = "", after: str = "") -> str:
    return f"""<main id="main" class="site-main"><article id="post-4242" class="post type-post">
<header class="entry-header"><div class="cat-links"><a href="/category/politics/">Politics</a></div>
<h1 class="entry-title">{HEADLINE}</h1>{subtitle}
<div class="entry-subhead"><div class="entry-meta"><span class="posted-on"><time class="entry-date published"
datetime="2024-03-12T14:05:00+00:00">March 12, 2024</time></span></div></div></header>
<div class="entry-content">{content}</div>{after}</article></main>"""


def jannah(content: str) -> str:
    return f"""<div id="tie-wrapper"><div class="container-wrapper"><article id="the-post" class="post-content">
<header class="entry-header-outer"><div class="entry-header"><h1 class="post-title entry-title">{HEADLINE}</h1>
<div class="post-meta clearfix"><span class="date meta-item tie-icon">March 12, 2024</span></div></div></header>
<div class="entry-content entry clearfix">{content}</div></article></div></div>"""


def divi(content: str, excerpt: str = "") -> str:
    return f"""<div id="et-main-area"><div id="main-content"><div class="et-l et-l--body">
<div class="et_builder_inner_content"><div class="et_pb_section et_pb_section_0_tb_body">
<div class="et_pb_row et_pb_row_0_tb_body">
<div class="et_pb_module et_pb_post_title et_pb_post_title_0_tb_body"><div class="et_pb_title_container">
<h1 class="entry-title">{HEADLINE}</h1><p class="et_pb_title_meta_container"> by <span class="author vcard">
<a href="/author/zenger/">Zenger News</a></span> | <span class="published">Mar 12, 2024</span></p></div></div>
{excerpt}
<div class="et_pb_module et_pb_post_content et_pb_post_content_0_tb_body">{content}</div>
</div></div></div></div></div></div>"""


def elementor(content: str, excerpt: str = "") -> str:
    return f"""<div data-elementor-type="single-post" class="elementor elementor-1234 elementor-location-single">
<section class="elementor-section elementor-top-section"><div class="elementor-container">
<div class="elementor-column"><div class="elementor-widget-wrap">
<div class="elementor-element elementor-widget elementor-widget-theme-post-title elementor-page-title">
<div class="elementor-widget-container"><h1 class="elementor-heading-title">{HEADLINE}</h1></div></div>
{excerpt}
<div class="elementor-element elementor-widget elementor-widget-theme-post-content">
<div class="elementor-widget-container">{content}</div></div></div></div></div></section></div>"""


def jnews(content: str) -> str:
    return f"""<div class="jeg_main"><div class="jeg_container"><div class="jeg_inner_content">
<div class="entry-header"><h1 class="jeg_post_title">{HEADLINE}</h1>
<div class="jeg_meta_container"><div class="jeg_post_meta"><div class="jeg_meta_date">
<a href="{URL}">March 12, 2024</a></div></div></div></div>
<div class="jeg_content"><div class="entry-content"><div class="content-inner">{content}</div></div></div>
</div></div></div>"""


def soledad(content: str, below_title: str = "") -> str:
    return f"""<div class="container penci_sidebar"><div id="main"><article id="post-4242" class="post type-post">
<div class="header-standard header-classic single-header"><h1 class="post-title single-post-title entry-title">
{HEADLINE}</h1>{below_title}<div class="post-box-meta-single"><span><time class="entry-date published"
datetime="2024-03-12T14:05:00+00:00">March 12, 2024</time></span></div></div>
<div class="post-entry blockquote-style-1"><div class="inner-post-entry entry-content" id="penci-post-entry-inner">
{content}</div></div></article></div></div>"""


def smartmag(content: str, after: str = "") -> str:
    return f"""<div class="main ts-contain cf"><div class="the-post s-post-modern"><article id="post-4242" class="post">
<div class="post-top"><h1 class="is-title post-title">{HEADLINE}</h1><div class="post-meta">
<span class="meta-item date"><time class="post-date" datetime="2024-03-12T14:05:00+00:00">Mar 12, 2024</time>
</span></div></div><div class="post-content cf entry-content content-spacious">{content}</div>{after}
</article></div></div>"""


def block_theme(content: str) -> str:
    return f"""<div class="wp-site-blocks"><main class="wp-block-group"><div class="wp-block-group">
<h1 class="wp-block-post-title">{HEADLINE}</h1><div class="wp-block-post-date"><time
datetime="2024-03-12T14:05:00+00:00">March 12, 2024</time></div></div>
<div class="entry-content wp-block-post-content is-layout-constrained">{content}</div></main></div>"""


def parse_one(data: bytes, **options):
    [result] = list(parse_items(data, input_name="page.html", **options))
    return result


def article(data: bytes, **options) -> tuple[dict, dict[str, list[str]], str]:
    result = parse_one(data, **options)
    assert result.error is None, result.error
    doc = result.document
    credits = {role: [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + role]
               for role in ("author", "editor")}
    return doc, credits, doc["bodies"][0]["value"]


# --- titles --------------------------------------------------------------------------------------------------------

def _plain_page(title: str, h1: str, head: str = "") -> bytes:
    return (f'<html><head><title>{title}</title><meta property="article:published_time" '
            f'content="2024-03-12T14:05:00+00:00">{head}</head><body><div class="site-branding"><h1>{h1}</h1></div>'
            f'<article><div class="entry-content">{STORY}</div></article></body></html>').encode()


@pytest.mark.parametrize("title, h1, head, headline", [
    (f"{HEADLINE} | Capitol Desk", HEADLINE, "", HEADLINE),  # the h1 is the title's main part
    (HEADLINE, "Capitol Desk", "", HEADLINE),  # the h1 names the site or a section
    (f"{HEADLINE} · V8", "V8", "", f"{HEADLINE} · V8"),
    ("Home", HEADLINE, "", HEADLINE),  # a title of one word says less than a headline-long h1
    ("x", "y", '<meta name="parsely-title" content="Parse.ly Headline Wins">', "Parse.ly Headline Wins"),
    ("x", "y", '<meta property="og:title twitter:title" content="Both Properties At Once">',
     "Both Properties At Once"),
])
def test_headline_without_a_metadata_headline(title, h1, head, headline):
    doc, _, _ = article(_plain_page(title, h1, head), source_url=URL)
    assert doc["headlines"][0]["value"] == headline


# --- 5. bylines ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, author, line", [
    (page(yoast(), newspack("<p>Written by Jane Doe</p>" + STORY)), "Jane Doe", "Written by"),
    (page(aioseo(), jannah("<p><strong>Story by Maria de la Cruz</strong></p>" + STORY)), "Maria de la Cruz",
     "Story by"),
    (page(rank_math(), divi("<p><em>Ahmad bin Salleh, Special to Zenger News</em></p>" + STORY)),
     "Ahmad bin Salleh", "Special to"),
    (page(yoast(), jnews(STORY + "<p>(Reporting by Martin Luther King Jr.; Editing by Jan van der Berg)</p>")),
     "Martin Luther King Jr.", "Reporting by"),
    (page(yoast(), elementor("<p>BY JOHN SMITH III</p>" + STORY)), "John Smith III", "SMITH"),
])
def test_byline_forms_name_the_writer_and_leave_the_body(data, author, line):
    doc, credits, body = article(data)
    assert credits["author"] == [author]
    assert doc["by"] == f"By {author}"
    assert line not in body and "Lawmakers met on Tuesday" in body


def test_reporting_and_editing_line_splits_writer_and_editor():
    _, credits, body = article(page(yoast(), jnews(
        STORY + "<p>(Reporting by Martin Luther King Jr.; Editing by Jan van der Berg)</p>")))
    assert credits == {"author": ["Martin Luther King Jr."], "editor": ["Jan van der Berg"]}
    assert "Editing" not in body


def test_all_caps_byline_outside_the_content_container():
    """Soledad: the byline under the title, in no byline markup, outside ``.entry-content``."""
    doc, credits, body = article(page(yoast(), soledad(STORY, below_title="<div class='penci-standard-cat'>"
                                                                          "BY JANE VAN DER BERG JR.</div>")))
    assert credits["author"] == ["Jane van der Berg Jr."]
    assert "BY JANE" not in body


def test_a_byline_under_the_title_leaves_the_body_wherever_the_content_root_is():
    """Block theme: the post-author block's "By" line sits in the same group as the story, below a kicker list."""
    story = ('<ul class="wp-block-post-terms"><li><a href="/category/politics/">Politics</a></li></ul>'
             '<figure class="wp-block-image">' + IMG + '</figure><div class="wp-block-post-author__name">By '
             '<a href="/author/kofi/">Kofi Boateng</a></div>' + STORY)
    doc, credits, body = article(page(yoast(), block_theme(story)))
    assert credits["author"] == ["Kofi Boateng"] and "Kofi" not in body


def test_byline_markup_inside_the_content_leaves_it_with_its_meta_line():
    meta_line = ('<div class="story-meta"><div class="author-name">NATALIYA VAN DER BERG</div><span class="provider">'
                 'Associated Press</span> <span class="date">March 12, 2024</span></div>')
    doc, credits, body = article(page(yoast(), jnews(meta_line + STORY)))
    assert credits["author"] == ["Nataliya van der Berg"]
    assert "NATALIYA" not in body and "Associated Press" not in body and "Lawmakers" in body


def test_contributor_box_at_the_end_names_the_writer():
    box = ("<div class='author-box'><div class='author-avatar'><img src='/a.jpg' width='80' height='80'></div>"
           "<h4>About the author</h4><h3 class='author-name'><a href='/author/jd/'>Kwame Mensah-Bonsu</a></h3>"
           "<p>Kwame Mensah-Bonsu reports on West Africa for Zenger News.</p></div>")
    doc, credits, body = article(page(aioseo(), smartmag(STORY, after=box)))
    assert credits["author"] == ["Kwame Mensah-Bonsu"]
    assert "About the author" not in body and "reports on West Africa" not in body


def test_contributor_box_inside_the_content_leaves_the_body():
    box = ("<div class='contributor-card'><span class='label'>Written by</span>"
           "<strong>Amina Yusuf</strong><p>Amina Yusuf is a freelance journalist based in Abuja.</p></div>")
    doc, credits, body = article(page(yoast(), block_theme(STORY + box)))
    assert credits["author"] == ["Amina Yusuf"]
    assert "freelance journalist" not in body and "Lawmakers" in body


def test_a_visible_byline_beats_the_site_name_in_metadata_but_metadata_person_stays_without_one():
    _, credits, _ = article(page(rank_math(author="Nadia Al-Masri"), smartmag(STORY)))
    assert credits["author"] == ["Nadia Al-Masri"]
    _, credits, _ = article(page(rank_math(author="Nadia Al-Masri"), smartmag("<p>By Omar bin Khalid</p>" + STORY)))
    assert credits["author"] == ["Omar bin Khalid"]


def test_a_personal_site_named_after_its_author_keeps_the_author():
    """Rank Math on a one-person blog: og:site_name is the author, whose JSON-LD node is a Person."""
    head = rank_math(author="Haki Benita") + '<meta property="og:site_name" content="Haki Benita">'
    _, credits, _ = article(page(head, smartmag(STORY)))
    assert credits["author"] == ["Haki Benita"]
    head = yoast(author="Zenger News")  # a partner's CMS account is never a person, Person node or not
    _, credits, _ = article(page(head, newspack(STORY)))
    assert credits["author"] == []


@pytest.mark.parametrize("text, names", [
    ("Martin Luther King, Jr.", ["Martin Luther King Jr."]),
    ("JOHN SMITH JR. and MARIA DE LA CRUZ", ["John Smith Jr.", "Maria de la Cruz"]),
    ("Ludwig van der Rohe, Ahmad bin Salleh III", ["Ludwig van der Rohe", "Ahmad bin Salleh III"]),
    ("Jane Doe.", ["Jane Doe"]),
    ("Eleanor Ainge Roy (reporting) and Adrian Malloch (photography)", ["Eleanor Ainge Roy"]),
    ("Martin Untersinger (avec Damien Leloup et Morgane Tual)", ["Martin Untersinger"]),
])
def test_suffixes_and_particles_survive(text, names):
    assert people(text) == names


@pytest.mark.parametrize("line", ["Written by Shakespeare in 1600, the play was staged again this week in the capital.",
                                  "Written by hand, the letter arrived."])
def test_prose_that_starts_like_a_credit_stays_in_the_body(line):
    _, credits, body = article(page(yoast(), newspack(f"<p>{line}</p>" + STORY)))
    assert credits["author"] == [] and line in body


# --- 6. edit lines -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, editors", [
    ("<p>Editor: John Smith III</p>", ["John Smith III"]),
    ("<p><em>Editing by Jan van der Berg and Amina Yusuf</em></p>", ["Jan van der Berg", "Amina Yusuf"]),
    ("<p>(Editors: Amina Yusuf; Editing by Kofi Boateng)</p>", ["Amina Yusuf", "Kofi Boateng"]),
])
def test_edit_lines_name_editors_and_leave_the_body(line, editors):
    doc, credits, body = article(page(yoast(), newspack(STORY + line)))
    assert credits == {"author": [], "editor": editors}
    assert "Edit" not in body and "Lawmakers" in body


def test_an_editors_note_is_story_text():
    _, credits, body = article(page(yoast(), newspack(STORY + "<p>Editor: This story was updated on Wednesday to "
                                                              "add the vote count.</p>")))
    assert credits["editor"] == [] and "vote count" in body


# --- 7. pictures ---------------------------------------------------------------------------------------------------

def test_elementor_image_widget_caption_outside_figcaption():
    body = parse_html_fragment(
        '<div class="elementor-widget-image"><div class="elementor-widget-container"><div class="elementor-image">'
        f'{IMG}<p class="widget-image-caption wp-caption-text">Traders in Lagos on Tuesday. (Amina Yusuf)</p>'
        '</div></div></div><p>Story text.</p>')
    [picture] = lift_pictures(body, URL)
    assert (picture.caption, picture.credit) == ("Traders in Lagos on Tuesday.", "Amina Yusuf")
    assert "Traders in Lagos" not in text_of(body) and "Story text." in text_of(body)


def test_sibling_wp_caption_text_is_the_caption():
    data = page(yoast(), block_theme(STORY + f'<p>{IMG}</p><p class="wp-caption-text">Traders in Lagos on Tuesday. '
                                             '(Photo: Amina Yusuf/Zenger)</p><p>The vote is due on Friday.</p>'))
    doc, _, body = article(data)
    [photo] = [a for a in doc["associations"] if a["name"] == "photo-1"]
    assert [d["value"] for d in photo["descriptions"] if d["role"] == "caption"] == ["Traders in Lagos on Tuesday."]
    assert photo["by"] == "Amina Yusuf/Zenger"
    assert "Traders in Lagos" not in body and "The vote is due" in body


def test_sibling_captions_of_several_images_in_one_container():
    pictures = "".join(f'<p><img src="https://wpcdn.zenger.news/wp-content/uploads/2024/03/12/p{n}.jpg" width="800" '
                       f'height="600"></p><p class="wp-caption-text">Traders at stall {n} in the market. '
                       '(Amina Yusuf)</p>' for n in range(3))
    doc, _, body = article(page(yoast(), block_theme(STORY + f"<div>{pictures}</div>")))
    photos = [a for a in doc["associations"] if a["name"].startswith("photo-")]
    assert [[d["value"] for d in a["descriptions"] if d["role"] == "caption"] for a in photos] == [
        [f"Traders at stall {n} in the market."] for n in range(3)]
    assert body.count("data-association") == 3 and "stall" not in body
    assert [a["by"] for a in photos] == ["Amina Yusuf"] * 3


@pytest.mark.parametrize("caption, expected", [
    ("Traders in Lagos on Tuesday. (Ahmad bin Salleh)", ("Traders in Lagos on Tuesday.", "Ahmad bin Salleh")),
    ("Protesters march in Istanbul! (JANE DOE/ZENGER)", ("Protesters march in Istanbul!", "Jane Doe/Zenger")),
    ("The market (pictured) opened early.", ("The market (pictured) opened early.", None)),
    ("Officials met in Geneva. (File)", ("Officials met in Geneva. (File)", None)),
])
def test_credit_in_parentheses_after_the_caption(caption, expected):
    assert split_caption_credit(caption) == expected


def _rss(media: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Zenger News</title><link>https://www.zenger.news</link>
<generator>https://wordpress.org/?v=6.5.2</generator><item><title>{HEADLINE}</title><link>{URL}</link>
<guid isPermaLink="false">https://www.zenger.news/?p=4242</guid><pubDate>Tue, 12 Mar 2024 14:05:00 +0000</pubDate>
<content:encoded><![CDATA[{STORY}]]></content:encoded>{media}</item></channel></rss>""".encode()


def test_largest_of_several_media_renditions():
    media = "".join(f'<media:content url="https://wpcdn.zenger.news/wp-content/uploads/2024/03/12/m-{w}x{w}.jpg" '
                    f'medium="image" width="{w}" height="{w}"/>' for w in (300, 1600, 768))
    media += '<media:content url="https://wpcdn.zenger.news/v.mp4" medium="video" width="4000"/>'
    doc, _, _ = article(_rss(media))
    [featured] = [a for a in doc["associations"] if a["name"] == "featured"]
    assert featured["renditions"][0]["href"].endswith("m-1600x1600.jpg")
    assert (featured["renditions"][0]["width"], featured["renditions"][0]["height"]) == (1600, 1600)


# --- 8. datelines --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("opening, located", [
    ("ISTANBUL —", "Istanbul"),
    ("SÃO PAULO, Brazil —", "São Paulo, Brazil"),
    ("São Paulo, Brazil —", "São Paulo, Brazil"),
    ("Nairobi, Kenya –", "Nairobi, Kenya"),
    ("Istanbul —", "Istanbul"),
    ("DÜSSELDORF, Germany —", "Düsseldorf, Germany"),
])
def test_dateline_forms(opening, located):
    doc, _, body = article(page(yoast(), jnews(f"<p>{opening} " + STORY[3:])))
    assert doc["located"] == located and opening in body


def test_no_dateline_in_an_ordinary_opening():
    doc, _, _ = article(page(yoast(), jnews("<p>Lawmakers in Istanbul met on Tuesday — after weeks of talks — to "
                                            "debate a bill.</p>" + STORY)))
    assert "located" not in doc


# --- 9. decks ------------------------------------------------------------------------------------------------------

DEK = "The measure funds the government through September and avoids a shutdown."


@pytest.mark.parametrize("data", [
    page(yoast(), elementor(STORY, excerpt=(
        '<div class="elementor-element elementor-widget elementor-widget-theme-post-excerpt">'
        f'<div class="elementor-widget-container">{DEK}</div></div>'))),
    page(rank_math(), divi(STORY, excerpt=(
        f'<div class="et_pb_module et_pb_post_excerpt et_pb_post_excerpt_0_tb_body"><p>{DEK}</p></div>'))),
    page(aioseo(), newspack(STORY, subtitle=f'<div class="newspack-post-subtitle">{DEK}</div>')),
])
def test_deck_from_page_builder_excerpt_widgets(data):
    doc, _, body = article(data)
    assert doc["headlines"][1] == {"role": "subhead", "contentType": "text/plain", "value": DEK}
    assert DEK not in body


def test_teaser_excerpts_of_a_related_module_are_no_deck():
    related = "".join(f'<div class="post-excerpt">Another story number {n} about something else entirely.</div>'
                      for n in range(3))
    doc, _, _ = article(page(yoast(), smartmag(STORY, after=f"<section>{related}</section>")))
    assert [h["role"] for h in doc["headlines"]] == ["main"]


# --- 10. Atom feeds ------------------------------------------------------------------------------------------------

ATOM = f"""<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"
  xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="en-US" xml:base="https://www.zenger.news/wp-atom.php"
  xmlns:media="http://search.yahoo.com/mrss/">
<title type="text">Zenger News</title><updated>2024-03-12T16:40:00Z</updated>
<link rel="alternate" type="text/html" href="https://www.zenger.news" />
<id>https://www.zenger.news/feed/atom/</id>
<link rel="self" type="application/atom+xml" href="https://www.zenger.news/feed/atom/" />
<generator uri="https://wordpress.org/" version="6.5.2">WordPress</generator>
<entry>
  <author><name>Maria de la Cruz</name><uri>https://www.zenger.news/author/maria/</uri></author>
  <title type="html"><![CDATA[Spending Bill &#8220;Passes&#8221;]]></title>
  <link rel="alternate" type="text/html" href="{URL}" />
  <id>https://www.zenger.news/?p=4242</id>
  <updated>2024-03-12T16:40:00Z</updated><published>2024-03-12T14:05:00Z</published>
  <category scheme="https://www.zenger.news" term="Politics" />
  <summary type="html"><![CDATA[Lawmakers met on Tuesday. The post Spending Bill appeared first on Zenger News.]]>
  </summary>
  <content type="html" xml:base="{URL}"><![CDATA[<p>WASHINGTON — {STORY[3:]}
<p>Zenger News does not provide investment advice.</p><p>Editing by Jan van der Berg</p>
<p>The post <a href="{URL}">Spending Bill</a> appeared first on <a href="https://www.zenger.news">Zenger News</a>.</p>
]]></content>
  <media:content url="https://wpcdn.zenger.news/wp-content/uploads/2024/03/12/m-300x200.jpg" width="300"/>
  <media:content url="https://wpcdn.zenger.news/wp-content/uploads/2024/03/12/m-1600x1067.jpg" width="1600"/>
  <link rel="replies" type="text/html" href="{URL}#comments" thr:count="0" />
</entry>
<entry>
  <author><name>Zenger News</name></author>
  <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Kenya <em>Drought</em> Deepens</div></title>
  <link href="https://www.zenger.news/2024/03/11/kenya-drought/" />
  <id>https://www.zenger.news/?p=4200</id>
  <updated>2024-03-11T10:00:00+03:00</updated>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>By Thomas Wanjala</p><p>NAIROBI, Kenya —
  Herders in the arid north are selling cattle for a fraction of what they fetched two years ago, as another failed
  rainy season turns grazing land to dust.</p><p>Aid groups say many families face hunger this year.</p></div>
  </content>
</entry>
</feed>""".encode()


def test_wordpress_atom_feed_is_read_like_rss():
    first, second = parse_items(ATOM, input_name="atom.xml")
    assert first.error is None and second.error is None
    doc = first.document
    assert doc["uri"] == "urn:newsml:zenger.news:4242"
    assert doc["headlines"][0]["value"] == "Spending Bill “Passes”"
    assert doc["by"] == "By Maria de la Cruz"
    assert [s["name"] for s in doc["infoSources"] if s["role"] == ROLE + "editor"] == ["Jan van der Berg"]
    assert (doc["firstCreated"], doc["versionCreated"]) == ("2024-03-12T14:05:00+00:00", "2024-03-12T16:40:00+00:00")
    assert doc["located"] == "Washington"
    assert {"name": "Politics", "rel": "keyword"} in doc["subjects"]
    assert [d["value"] for d in doc["descriptions"] if d["role"] == "summary"] == ["Lawmakers met on Tuesday."]
    [featured] = [a for a in doc["associations"] if a["name"] == "featured"]
    assert featured["renditions"][0]["href"].endswith("m-1600x1067.jpg")
    body = doc["bodies"][0]["value"]
    assert "appeared first" not in body and "Editing" not in body and "investment advice" not in body
    kenya = second.document
    assert kenya["headlines"][0]["value"] == "Kenya Drought Deepens"
    assert kenya["by"] == "By Thomas Wanjala" and kenya["located"] == "Nairobi, Kenya"
    assert kenya["firstCreated"] == "2024-03-11T10:00:00+03:00"  # "updated", the one date the entry has
    assert "<p>Aid groups say" in kenya["bodies"][0]["value"]


def test_an_atom_entry_kept_alone_parses_the_same_again():
    """A failed entry is kept as a one-entry feed: its replay must give the same article."""
    first = next(parse_items(ATOM, input_name="atom.xml"))
    [again] = list(parse_items(first.raw, input_name="replay"))
    assert again.document == first.document


def test_a_feeds_language_is_its_articles_and_their_kept_payloads_keep_it():
    """A feed states its language (RSS <language>, Atom xml:lang, an entry's own xml:lang or dc:language first):
    the documents said "en" whatever it was, and a replayed item must say what the feed said."""
    atom = ATOM.replace(b'xml:lang="en-US"', b'xml:lang="fr-FR"').replace(b"<entry>", b'<entry xml:lang="de">', 1)
    german, french = parse_items(atom, input_name="atom.xml")
    assert (german.document["language"], french.document["language"]) == ("de", "fr-FR")
    rss = _rss("").replace(b"<channel>", b"<channel><language>es-MX</language>", 1)
    [spanish] = list(parse_items(rss, input_name="feed.rss"))
    assert spanish.document["language"] == "es-MX"
    for item in (german, french, spanish):
        [again] = list(parse_items(item.raw, input_name="replay"))
        assert again.document == item.document
    explained = explain(french.document, french.sources)
    assert explained["language"]["from"] == "the Atom feed's xml:lang"
    assert explained["bodies[main]"]["from"] == "the Atom entry's content"


def test_an_atom_entry_document_is_read_alone():
    entry = ATOM[ATOM.index(b"<entry>"):ATOM.index(b"</entry>") + len(b"</entry>")]
    entry = entry.replace(b"<entry>", b'<entry xmlns="http://www.w3.org/2005/Atom" '
                                      b'xmlns:media="http://search.yahoo.com/mrss/" '
                                      b'xmlns:thr="http://purl.org/syndication/thread/1.0">', 1)
    [result] = list(parse_items(b'<?xml version="1.0" encoding="UTF-8"?>\n' + entry, input_name="entry.xml"))
    assert result.error is None and result.document["uri"] == "urn:newsml:zenger.news:4242"


@pytest.mark.parametrize("text, headline", [
    ("Mr. Smith met U.S. officials at 3 p.m. on Monday. They agreed on a plan.",
     "Mr. Smith met U.S. officials at 3 p.m. on Monday"),
    ("Will the port reopen? Officials say it will.", "Will the port reopen?"),
    ("Fed raises rates by a quarter point.", "Fed raises rates by a quarter point"),
    # Abbreviations end no sentence: a press release's company, a governor, a month.
    ("Walmart Inc. announced a deal on Tuesday. The deal closes in May.", "Walmart Inc. announced a deal on Tuesday"),
    ("Gov. Gavin Newsom signed the bill. It takes effect on Dec. 1.", "Gov. Gavin Newsom signed the bill"),
    ("On Dec. 12 the port closed. Ships waited.", "On Dec. 12 the port closed"),
    ("The plant will move to the U.S.", "The plant will move to the U.S."),
    # Second review: an abbreviation before a capitalised word, a lower-case word that spells one, a number, an
    # ellipsis inside a sentence, a decimal point where the headline's length ends.
    ("Shares rose at Apple Inc. The company said demand was strong.", "Shares rose at Apple Inc."),
    ("Netflix shares fell after an earnings miss. Analysts cut their targets.",
     "Netflix shares fell after an earnings miss"),
    ("The storm strengthened to Category 5. Residents fled.", "The storm strengthened to Category 5"),
    ("The company said it would cut 500 jobs… and more could follow.",
     "The company said it would cut 500 jobs… and more could follow"),
    ("The company reported on Tuesday that quarterly revenue from its cloud computing division rose sharply to "
     "$5120.75 million.", "The company reported on Tuesday that quarterly revenue from its cloud computing division "
                         "rose sharply to…"),
    # Other scripts: a Cyrillic sentence, Chinese full stops without a space after them.
    ("Правительство откроет порт. Работы начнутся весной.", "Правительство откроет порт"),
    ("港口周二重新开放。官员说船只可以停靠。", "港口周二重新开放"),
    # No sentence end within a headline's length: cut at the last word, or at 110 characters in a text without spaces.
    ("word " * 40, "word " * 21 + "word…"),
    ("x" * 200, "x" * 110 + "…"),
])
def test_a_headline_taken_from_the_text_ends_where_its_first_sentence_does(text, headline):
    assert headline_from_text(text) == headline


def test_a_feed_item_without_a_title_is_published_under_its_first_sentence():
    """RSS 2.0 allows an item of only a description (a microblog's feed has no titles), and a partner's feed may
    drop one entry's title: such items were refused ("no title"). Each is published under its first sentence,
    less the dateline, cut at a word; the feed's other entries are as before."""
    feed = ATOM.replace(b'<title type="html"><![CDATA[Spending Bill &#8220;Passes&#8221;]]></title>', b"")
    first, second = parse_items(feed, input_name="atom.xml")
    assert first.error is None, first.error.message
    assert first.document["headlines"] == [{"role": "main", "contentType": "text/plain", "value":
                                            "Lawmakers met on Tuesday to debate a spending bill that would fund the "
                                            "government through the end of the…"}]
    assert second.document == next(islice(parse_items(ATOM, input_name="atom.xml"), 1, None)).document
    assert first.document["edNote"].startswith("Ingest note: the headline is the story's first sentence")
    assert "edNote" not in second.document  # a titled entry: nothing for the editors to check
    rss = _rss("").replace(f"<title>{HEADLINE}</title>".encode(), b"").replace(b"content:encoded", b"description")
    [item] = parse_items(rss, input_name="feed.rss")
    assert item.error is None, item.error.message
    assert item.document["headlines"][0]["value"] == first.document["headlines"][0]["value"]
    explained = explain(item.document, item.sources)
    assert explained["headlines[main]"]["from"] == "the first sentence of the body: the input names no title"
    assert explained["edNote"]["value"].startswith("Ingest note: the headline is the story's first sentence")
    [untitled_and_empty] = parse_items(rss.replace(STORY.encode(), IMG.encode()), input_name="feed.rss")
    assert untitled_and_empty.error is not None and untitled_and_empty.error.code == ErrorCode.NOT_AN_ARTICLE
    assert "names no title" in untitled_and_empty.error.message


def _untitled_items(*descriptions: str) -> bytes:
    """A feed of items that name neither a title nor a link: each is known by its headline and date only."""
    items = "".join(f"<item><pubDate>Tue, 12 Mar 2024 14:05:00 +0000</pubDate><description><![CDATA[{d}]]>"
                    "</description></item>" for d in descriptions)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Zenger News</title>'
            f"<link>https://www.zenger.news</link>{items}</channel></rss>").encode()


def test_untitled_items_of_one_day_are_two_articles_stored_under_their_own_uri():
    """Review: the identity of an article without an id or URL (its headline and date) was taken before the headline
    was read from the body: two untitled stories of one day were one article, the second stored as an update of the
    first, under a key their uris did not name."""
    first, second = parse_items(_untitled_items("<p>The port authority approved a plan on Tuesday. More.</p>",
                                                "<p>Farmers said the drought was the worst in decades. More.</p>"),
                                input_name="feed.rss")
    assert first.article_key != second.article_key
    for item in (first, second):
        assert item.document["uri"].endswith(":" + item.article_key)


def test_an_untitled_items_headline_is_read_from_its_first_sentence_not_its_furniture():
    """Not from a ticker link alone, a dateline alone, a list item or a label introducing a video; not holding
    markup the text quotes (plain-text fields hold none); not a block of punctuation."""
    [item] = parse_items(_untitled_items(
        '<p><a href="https://www.benzinga.com/quote/AAPL">AAPL</a></p><p>NAIROBI, Kenya —</p><p>…</p>'
        "<ul><li>Key point one</li></ul><p>Watch the video below:</p>"
        "<p>&lt;b&gt;Herders&lt;/b&gt; are selling cattle at a loss. Aid groups warn of hunger.</p>"),
        input_name="feed.rss")
    assert item.error is None, item.error.message
    assert item.document["headlines"][0]["value"] == "Herders are selling cattle at a loss"


# --- 11. non-articles and undated pages ----------------------------------------------------------------------------

LONG_TEXT = "".join(f"<p>Paragraph {n} of a long text about the company, its people and its values, written to "
                    "read like a story for anyone who lands on this page.</p>" for n in range(8))


def _refused(data: bytes, **options) -> str:
    result = parse_one(data, **options)
    assert result.error is not None and result.error.code == ErrorCode.NOT_AN_ARTICLE, result.error
    return str(result.error)


@pytest.mark.parametrize("data", [
    # Yoast on a WordPress page: og:type website, an AboutPage / WebPage node and no article node.
    page(yoast(article=False, page_type="AboutPage"), newspack(LONG_TEXT)),
    page(yoast(article=False), newspack(LONG_TEXT)),
    # Rank Math's FAQ page: an FAQPage and no article.
    page('<meta property="og:type" content="website"><script type="application/ld+json">'
         + json.dumps({"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": []}) + "</script>",
         block_theme(LONG_TEXT)),
    # A contributor's profile page.
    page('<meta property="og:type" content="profile">', jannah(LONG_TEXT)),
    # A landing page: a WebSite and a CollectionPage.
    page('<script type="application/ld+json">' + json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Zenger News"}, {"@type": "CollectionPage", "name": "Home"}]}) + "</script>",
         smartmag(LONG_TEXT)),
])
def test_pages_that_declare_themselves_no_article_are_refused(data):
    assert "no article" in _refused(data)


def test_stock_quote_page_is_refused_even_with_a_headline_and_long_text():
    quote = ("<table class='quote-table'><tr><th>Previous Close</th><td>187.44</td></tr><tr><th>Open</th>"
             "<td>188.01</td></tr><tr><th>Day's Range</th><td>186.2 - 189.9</td></tr><tr><th>Market Cap</th>"
             "<td>2.9T</td></tr><tr><th>Volume:</th><td>51,234,100</td></tr></table>")
    message = _refused(page('<meta property="og:type" content="website">'
                            '<meta property="article:modified_time" content="2024-03-12T16:40:00+00:00">',
                            jnews(quote + LONG_TEXT)))
    assert "stock quote" in message


def test_an_article_with_faq_markup_and_a_quote_box_is_an_article():
    faq = {"@type": "FAQPage", "@id": URL + "#faq", "mainEntity": []}
    quote = ("<table><tr><td>Open</td><td>1</td></tr><tr><td>Volume</td><td>2</td></tr><tr><td>Market Cap</td>"
             "<td>3</td></tr><tr><td>Beta</td><td>4</td></tr></table>")
    _, _, body = article(page(rank_math(extra=[faq]), smartmag(STORY + quote)))
    assert "Lawmakers" in body


UNDATED = f"""<!DOCTYPE html><html><head><title>{HEADLINE}</title>
<link rel="canonical" href="https://www.zenger.news/spending-bill-passes/"></head>
<body><article><h1>{HEADLINE}</h1><div class="entry-content">{STORY}</div></article></body></html>""".encode()


def test_a_page_without_any_date_is_refused_and_named():
    result = parse_one(UNDATED)
    assert result.error is not None and result.error.code == ErrorCode.NOT_AN_ARTICLE
    assert "date" in result.error.message and str(result.error).startswith("page.html:")


def test_the_date_the_job_supplies_dates_an_undated_page():
    listed = datetime(2024, 3, 12, 14, 5, tzinfo=timezone.utc)
    doc, _, _ = article(UNDATED, published=listed)
    assert doc["firstCreated"] == "2024-03-12T14:05:00+00:00"
    doc, _, _ = article(UNDATED, published=datetime(2024, 3, 12, 14, 5))  # naive: the partner's time zone
    assert doc["firstCreated"].startswith("2024-03-12T14:05:00") and datetime.fromisoformat(doc["firstCreated"]).tzinfo
    doc, _, _ = article(page(yoast(), newspack(STORY)), published=datetime(2020, 1, 1, tzinfo=timezone.utc))
    assert doc["firstCreated"] == "2024-03-12T14:05:00+00:00"  # the page's own date wins


@pytest.mark.parametrize("dated", [
    '<aside><span itemprop="author">Jane Doe</span> <time datetime="2024-03-12" itemprop="datePublished">'
    "March 12</time></aside>",
    '<footer class="entry-footer"><abbr class="published" itemprop="datePublished" '
    'title="2024-03-12T12:06:00-08:00">12:06 PM</abbr></footer>',
])
def test_microdata_date_in_page_furniture_dates_the_page(dated):
    doc, _, _ = article(UNDATED.replace(b"</article>", dated.encode() + b"</article>"))
    assert doc["firstCreated"].startswith("2024-03-12T")


def test_a_dated_permalink_dates_the_page():
    doc, _, _ = article(UNDATED.replace(b"/spending-bill-passes/", b"/2024/03/12/spending-bill-passes/"))
    assert doc["firstCreated"].startswith("2024-03-12T00:00:00")


def test_the_feed_items_exact_time_beats_the_permalinks_day():
    """A cron run passes the time of the feed item that listed the page: more exact than the day its permalink
    names, which stays the date of last resort."""
    dated_url = UNDATED.replace(b"/spending-bill-passes/", b"/2024/03/12/spending-bill-passes/")
    doc, _, _ = article(dated_url, published=datetime(2024, 3, 12, 14, 5, tzinfo=timezone.utc))
    assert doc["firstCreated"] == "2024-03-12T14:05:00+00:00"
    result = parse_one(dated_url, published=None)
    assert result.sources["published"] == "the date in the page's permalink"


def test_a_feed_items_time_on_another_day_than_the_permalinks_is_an_update_time():
    """An Atom entry without <published> gives its <updated> time: a later day than the permalink's is no
    publication date, and the permalink's day stands."""
    dated_url = UNDATED.replace(b"/spending-bill-passes/", b"/2024/03/12/spending-bill-passes/")
    doc, _, _ = article(dated_url, published=datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc))
    assert doc["firstCreated"].startswith("2024-03-12T00:00:00")


def test_a_page_stating_only_its_update_time_is_published_on_its_permalinks_day():
    modified = b'<meta property="article:modified_time" content="2024-05-01T10:00:00Z">'
    dated_url = UNDATED.replace(b"/spending-bill-passes/", b"/2024/03/12/spending-bill-passes/")
    doc, _, _ = article(dated_url.replace(b"</head>", modified + b"</head>"))
    assert doc["firstCreated"].startswith("2024-03-12T00:00:00")
    assert doc["versionCreated"] == "2024-05-01T10:00:00+00:00"


def test_a_feed_item_without_a_date_is_refused():
    feed = _rss("").replace(b"<pubDate>Tue, 12 Mar 2024 14:05:00 +0000</pubDate>", b"")
    assert "date" in _refused(feed)


# --- linear time ---------------------------------------------------------------------------------------------------

def test_new_patterns_on_hostile_lines_stay_linear():
    long_line = "Reporting by " + "Jane Doe; " * 20_000
    _, credits, _ = article(page(yoast(), newspack(STORY + f"<p>{long_line}</p>")))
    assert credits["author"] == []
    caption = "A caption. " * 20_000 + "(" + "x" * 50_000
    assert split_caption_credit(caption)[1] is None
    header = "<div>" + "<span>BY </span>" * 50_000 + "</div>"
    doc, _, _ = article(page(yoast(), soledad(STORY, below_title=header)))
    assert doc["by"] == "Zenger News"


# --- found in review: each a page a newsroom meets -----------------------------------------------------------------

UNDATED_URL = "https://www.zenger.news/spending-bill-passes/"  # no date in the permalink


def _bare(head: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><title>{HEADLINE} - Zenger News</title>'
            f'<link rel="canonical" href="{UNDATED_URL}">{head}</head><body>{body}</body></html>').encode()


def test_a_date_inside_the_byline_line_dates_the_article():
    """The header's byline line leaves the page once read; the date it holds is read before."""
    for line in ('<span>By Jane Doe</span> <time class="published" datetime="2024-03-03T10:00:00Z">March 3</time>',
                 'By <a href="/author/jane/">Jane Doe</a> | <time datetime="2024-03-03T10:00:00Z">March 3</time>'):
        doc, credits, body = article(_bare("", f'<h1>{HEADLINE}</h1><div class="post-meta">{line}</div>'
                                               f'<div class="entry-content">{STORY}</div>'))
        assert doc["firstCreated"] == "2024-03-03T10:00:00+00:00" and credits["author"] == ["Jane Doe"]


def test_a_written_by_line_at_the_end_of_a_review_is_story_text_not_the_byline():
    review = ("<p>The film runs a little long, and its middle hour sags, but the final scenes are worth the wait.</p>"
              "<p>It opens in theaters on Friday and arrives on streaming services later in the spring.</p>")
    credit = "<p>Written by Greta Gerwig and Noah Baumbach</p>"
    doc, credits, body = article(_bare('<meta name="author" content="Jane Critic">'
                                       '<meta property="article:published_time" content="2024-03-12T14:05:00Z">',
                                       f'<h1>{HEADLINE}</h1><div class="entry-content">{STORY}{review}{credit}</div>'))
    assert credits["author"] == ["Jane Critic"] and "Written by Greta Gerwig" in body


def test_a_dated_signed_market_story_with_a_quote_box_is_an_article():
    quote = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in (
        ("Open", "182.10"), ("Previous Close", "181.40"), ("Volume", "52.1M"), ("Market Cap", "2.9T")))
    doc, credits, body = article(_bare('<meta name="author" content="Jane Doe">'
                                       '<meta property="article:published_time" content="2024-03-12T14:05:00Z">',
                                       f'<h1>{HEADLINE}</h1><div class="entry-content">{STORY}'
                                       f'<table>{quote}</table></div>'))
    assert credits["author"] == ["Jane Doe"]


def test_a_name_opening_the_story_is_no_dateline():
    opening = ("<p>Elon Musk — the billionaire who owns the social network — said on Tuesday that he would step "
               "back.</p>")
    doc, _, body = article(page(yoast(), jnews(opening + STORY)))
    assert "located" not in doc and "Elon Musk —" in body
