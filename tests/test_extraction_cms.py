"""Article pages as common CMSs and themes print them out of the box (issue 18: pages nobody here wrote): Ghost's
Casper, WordPress's Twenty Twenty-One and the underscores-based themes, Kadence, Drupal's Olivero, Joomla's
Cassiopeia, Jekyll's minima. Each page is written for this test in the markup of the template it names (as read in
the template's source), with no SEO plugin unless it says so: the fields a newsroom needs still come out right."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import lxml.html
import pytest

from ingest_plugin.parsing.pipeline import parse_items
from tests.test_extraction_generic import STORY, _text, paragraphs

URL = "https://www.zenger.news/2025/03/12/harbor-dredging-plan/"
HEADLINE = "Port Authority Approves Harbor Dredging Plan"
CAPTION = "Dredging barges wait at the mouth of the harbor on Monday."
PHOTOGRAPHER = "Dana Whitcomb"


def page(head: str, body: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{HEADLINE} | Harbor Times</title>
{head}</head><body>{body}</body></html>""".encode()


def parsed(data: bytes, url: str = URL) -> dict:
    [result] = parse_items(data, input_name="page.html", source_url=url)
    assert result.error is None, result.error.message
    assert result.document is not None
    return result.document


def refused(data: bytes, url: str = URL) -> str:
    [result] = parse_items(data, input_name="page.html", source_url=url)
    assert result.error is not None and str(result.error.code) == "not_an_article", result.document
    return result.error.message


def body_text(document: dict) -> str:
    return _text(document["bodies"][0]["value"])


def authors(document: dict) -> list[str]:
    return [s["name"] for s in document["infoSources"] if s["role"].endswith("/author")]


def featured(document: dict) -> dict:
    [picture] = [a for a in document.get("associations", []) if a.get("rel") == "featured"]
    return picture


def caption_and_credit(picture: dict) -> tuple[str, str]:
    [caption] = [d["value"] for d in picture["descriptions"] if d["role"] == "caption"]
    return caption, picture["by"]


def assert_story(text: str) -> None:
    for sentence in STORY:
        assert sentence in text


PUBLISHED_META = '<meta property="article:published_time" content="2025-03-12T14:05:00+00:00">'


# --- pictures --------------------------------------------------------------------------------------------------------

def test_casper_hero_figure_in_the_article_header_gives_the_featured_picture_its_caption_and_credit():
    """Ghost names a 1200-px og:image; the page shows the 2000-px rendition with its caption in the article's
    <header>, which leaves the body."""
    head = (PUBLISHED_META + '<meta property="og:image" '
            'content="https://www.zenger.news/content/images/size/w1200/2025/03/barges.jpg">')
    body = f"""<main id="site-main" class="site-main"><article class="article post">
<header class="article-header gh-canvas"><h1 class="article-title">{HEADLINE}</h1>
<figure class="article-image"><img srcset="/content/images/size/w300/2025/03/barges.jpg 300w,
 /content/images/size/w2000/2025/03/barges.jpg 2000w" src="/content/images/size/w2000/2025/03/barges.jpg"
 alt="Barges in the harbor"><figcaption><span style="white-space: pre-wrap;">{CAPTION} Photo: {PHOTOGRAPHER} / Harbor
 Times</span></figcaption></figure></header>
<section class="gh-content gh-canvas">{paragraphs()}</section></article></main>"""
    document = parsed(page(head, body))
    picture = featured(document)
    assert caption_and_credit(picture) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    assert picture["renditions"][0]["href"].endswith("/size/w2000/2025/03/barges.jpg")
    assert CAPTION not in body_text(document)
    assert_story(body_text(document))


THUMBNAIL = f"""<figure class="post-thumbnail"><img width="1568" height="1045"
 src="https://www.zenger.news/wp-content/uploads/2025/03/barges-1568x1045.jpg" class="wp-post-image" alt="Barges">
<figcaption class="wp-caption-text">{CAPTION} (Photo: {PHOTOGRAPHER}/Harbor Times)</figcaption></figure>"""


@pytest.mark.parametrize("body", [
    # WordPress's Twenty Twenty-One with no SEO plugin: the post thumbnail in the entry header.
    f"""<main id="main" class="site-main"><article class="post type-post hentry">
<header class="entry-header alignwide"><h1 class="entry-title">{HEADLINE}</h1>{THUMBNAIL}</header>
<div class="entry-content">{paragraphs()}</div></article></main>""",
    # Joomla's full-text image, between the article's info block and its text, which the content root may merge.
    f"""<main><div class="com-content-article item-page"><div class="page-header"><h1>{HEADLINE}</h1></div>
<dl class="article-info text-muted"><dt class="article-info-term">Details</dt>
<dd class="createdby">Written by: Jane Doe</dd></dl>
{THUMBNAIL.replace('class="post-thumbnail"', 'class="left item-image"').replace('class="wp-caption-text"',
                                                                                'class="caption"')}
<div class="com-content-article__body">{paragraphs()}</div></div></main>""",
    # Twenty Twenty: a dek between the headline and the featured media.
    f"""<main id="site-content"><article class="post type-post"><header class="entry-header has-text-align-center">
<div class="entry-header-inner section-inner medium"><h1 class="entry-title">{HEADLINE}</h1>
<div class="intro-text section-inner max-percentage small"><p>The plan would deepen the main shipping channel by six
feet over two years, the authority said.</p></div></div></header>
{THUMBNAIL.replace('class="post-thumbnail"', 'class="featured-media"')}
<div class="post-inner thin"><div class="entry-content">{paragraphs()}</div></div></article></main>""",
])
def test_the_figure_between_headline_and_story_is_the_lead_picture_when_no_metadata_names_one(body):
    document = parsed(page(PUBLISHED_META, body))
    picture = featured(document)
    assert caption_and_credit(picture) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    assert picture["renditions"][0]["href"].endswith("barges-1568x1045.jpg")
    assert CAPTION not in body_text(document) and "Details" not in body_text(document)
    assert_story(body_text(document))


def test_a_wordpress_post_thumbnail_outside_a_figure_is_the_lead_picture():
    """Neve prints the post thumbnail as a bare <img class="wp-post-image"> in a <div>, with no caption."""
    body = f"""<main id="content" class="neve-main"><article class="nv-single-post-wrap"><div class="entry-header">
<div class="nv-title-meta-wrap"><h1 class="title entry-title">{HEADLINE}</h1></div></div>
<div class="nv-thumb-wrap"><img width="930" height="620" src="https://www.zenger.news/wp-content/uploads/barges-930x620.jpg"
 class="skip-lazy wp-post-image" alt="Barges"></div><div class="nv-content-wrap entry-content">{paragraphs()}</div>
</article></main>"""
    picture = featured(parsed(page(PUBLISHED_META, body)))
    assert picture["renditions"][0]["href"].endswith("barges-930x620.jpg")


def test_colormags_post_thumbnail_above_the_headline_is_the_lead_picture_and_its_labels_leave_the_body():
    """ColorMag prints the post thumbnail, then the category label, then the headline; a short story makes the
    whole article the content root."""
    body = f"""<article class="post type-post hentry"><div class="cm-post-content"><div class="cm-featured-image">
<img width="800" height="445" src="https://www.zenger.news/wp-content/uploads/barges-800x445.jpg"
 class="attachment-colormag size-colormag wp-post-image" alt="Barges"></div><div class="cm-entry-header-meta">
<div class="cm-post-categories"><a href="https://www.zenger.news/category/harbor/" rel="category tag">Harbor News</a>
</div></div><header
 class="cm-entry-header"><h1 class="cm-entry-title">{HEADLINE}</h1></header><div class="cm-entry-summary">
<p>{STORY[0]}</p><p>{STORY[1]}</p></div></div></article>"""
    document = parsed(page(PUBLISHED_META, body))
    assert featured(document)["renditions"][0]["href"].endswith("barges-800x445.jpg")
    assert "Harbor News" not in body_text(document)


def test_a_figure_inside_the_story_is_an_inline_picture_not_a_second_featured_one():
    body = f"""<article><h1>{HEADLINE}</h1><div class="entry-content"><p>{STORY[0]}</p>{THUMBNAIL}
{paragraphs()}</div></article>"""
    document = parsed(page(PUBLISHED_META, body))
    pictures = [a for a in document["associations"] if a["type"] == "picture"]
    assert [p["rel"] for p in pictures] == ["inline"]
    assert caption_and_credit(pictures[0]) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")


def test_kadence_featured_caption_written_after_the_thumbnail_wrapper():
    head = PUBLISHED_META + '<meta property="og:image" content="https://www.zenger.news/wp-content/uploads/barges.jpg">'
    body = f"""<article class="entry content-bg single-entry post"><div class="entry-content-wrap">
<header class="entry-header post-title"><h1 class="entry-title">{HEADLINE}</h1></header>
<div class="post-thumbnail article-post-thumbnail kadence-thumbnail-position-below"><div class="post-thumbnail-inner">
<img width="1200" height="800" src="https://www.zenger.news/wp-content/uploads/barges.jpg" class="wp-post-image"
 alt="Barges"></div></div>
<div class="article-post-thumbnail-caption content-bg">{CAPTION} (Photo: {PHOTOGRAPHER}/Harbor Times)</div>
<div class="entry-content single-content">{paragraphs()}</div></div></article>"""
    document = parsed(page(head, body))
    assert caption_and_credit(featured(document)) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    assert CAPTION not in body_text(document)


def test_a_related_storys_thumbnail_after_the_article_is_no_lead_picture():
    """No og:image; every story paragraph opens with a link (its own text before it is short); teasers with figures
    follow the article."""
    story = "".join(f'<p><a href="/topic/{n}/">Harbor</a> news: {text}</p>' for n, text in enumerate(STORY))
    teasers = "".join(f'<div><figure><img src="https://www.zenger.news/wp-content/uploads/teaser-{n}.jpg" alt="">'
                      f'</figure><a href="/s/{n}/">Teaser {n}</a></div>' for n in range(2))
    body = f"<main><article><h1>{HEADLINE}</h1><div>{story}</div></article><div>{teasers}</div></main>"
    document = parsed(page(PUBLISHED_META, body))
    assert not [a for a in document.get("associations", []) if a.get("rel") == "featured"]


def test_a_markdown_sites_italic_caption_after_the_picture_is_its_caption():
    """Jekyll's kramdown: the picture in a paragraph of its own, then an italic paragraph ending with the credit.
    An italic note without a credit after a picture is story text, and stays."""
    body = f"""<article class="post h-entry"><header class="post-header"><h1 class="post-title">{HEADLINE}</h1>
</header><div class="post-content e-content" itemprop="articleBody"><p>{STORY[0]}</p>
<p><img src="/assets/images/barges.jpg" alt="Barges"></p>
<p><em>{CAPTION} Photo: {PHOTOGRAPHER}/Harbor Times</em></p>
<p>{STORY[1]}</p><p><img src="/assets/images/dock.jpg" alt="The dock"></p>
<p><em>This story was updated on Tuesday with the vote count.</em></p><p>{STORY[2]}</p></div></article>"""
    document = parsed(page(PUBLISHED_META, body))
    first = next(a for a in document["associations"] if a["renditions"][0]["href"].endswith("barges.jpg"))
    assert caption_and_credit(first) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    text = body_text(document)
    assert CAPTION not in text and "This story was updated on Tuesday" in text


def test_a_picture_elements_image_after_its_source_keeps_its_figure_caption_and_credit():
    """Wagtail's {% picture %}: <source> before <img>, which libxml2 nests inside the unclosed <source>. Its
    caption ends with the credit after a dash."""
    body = f"""<main><div class="container"><h1 class="index-header__title">{HEADLINE}</h1>
<div class="block-paragraph_block"><p>{STORY[0]}</p><p>{STORY[1]}</p></div><div class="block-image_block"><figure>
<picture><source srcset="/media/images/barges.fill-600x338.format-webp.webp 600w" type="image/webp"><img alt="Barges"
 src="/media/images/barges.fill-400x220.format-jpeg.jpg" width="400" height="220"></picture>
<figcaption>{CAPTION} - {PHOTOGRAPHER}/Harbor Times</figcaption></figure></div>
<div class="block-paragraph_block"><p>{STORY[2]}</p><p>{STORY[3]}</p></div></div></main>"""
    document = parsed(page(PUBLISHED_META, body))
    [picture] = document["associations"]
    assert caption_and_credit(picture) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    assert CAPTION not in body_text(document)


def test_hexo_fancybox_caption_beside_the_image_in_its_paragraph():
    body = f"""<article class="h-entry article"><header class="article-header"><h1 class="article-title">{HEADLINE}</h1>
</header><div class="e-content article-entry"><p><a data-fancybox="gallery" href="/images/barges.jpg"
 data-caption="{CAPTION}"><img src="/images/barges.jpg" alt="Barges"></a>
<span class="caption">{CAPTION} ({PHOTOGRAPHER}/Harbor Times)</span></p>{paragraphs()}</div></article>"""
    document = parsed(page(PUBLISHED_META, body))
    [picture] = document["associations"]
    assert caption_and_credit(picture) == (CAPTION, f"{PHOTOGRAPHER}/Harbor Times")
    assert CAPTION not in body_text(document)


def test_a_drupal_media_credit_beside_the_image_is_the_pictures_credit():
    """Thunder's media display: the image field, then the copyright field, in the media wrapper."""
    body = f"""<main><h1>{HEADLINE}</h1><div class="node__content"><p>{STORY[0]}</p>
<div class="media media--type-image media--view-mode-default"><div class="field field--name-field-image
 field--type-image field--label-hidden field__item"><img alt="Barges" src="/sites/default/files/2025-03/barges.jpg"
 width="1024" height="683"></div><div class="field field--name-field-copyright field--type-string
 field--label-hidden field__item">{PHOTOGRAPHER}</div></div>{paragraphs()}</div></main>"""
    document = parsed(page(PUBLISHED_META, body))
    [picture] = document["associations"]
    assert picture["by"] == PHOTOGRAPHER and PHOTOGRAPHER not in body_text(document)


@pytest.mark.parametrize("caption_cell", [
    '<td class="tr-caption" style="text-align: center;">',  # Blogger's post editor, "Add caption"
    '<td class="caption">',  # an older CMS's table
])
def test_a_pictures_table_with_its_caption_in_the_row_below_gives_its_caption_and_credit(caption_cell):
    """Blogger writes a captioned picture as a table: the linked image in the first row, the caption in the second.
    Its caption and credit were lost, the caption taken out of the body as one left without its picture."""
    src = "https://www.zenger.news/img/b/R29vZ2xl/AVvXsEiBarges"  # Blogger's path, on the partner's own host
    table = f"""<table align="center" cellpadding="0" cellspacing="0" class="tr-caption-container"
 style="margin-left: auto; margin-right: auto;"><tbody><tr><td style="text-align: center;">
<a href="{src}/s1600/barges.jpg" style="margin-left: auto; margin-right: auto;"><img border="0"
 data-original-height="1067" data-original-width="1600" height="426" src="{src}/w640-h426/barges.jpg" width="640" />
</a></td></tr><tr>{caption_cell}{CAPTION} (Photo: {PHOTOGRAPHER})</td></tr></tbody></table>"""
    body = f"""<div class="post-outer"><article class="post hentry"><h3 class="post-title entry-title">{HEADLINE}</h3>
<div class="post-body-container"><div class="post-body entry-content float-container" id="post-body-4455667788">
<p>{STORY[0]}</p>{table}{paragraphs()}</div></div></article></div>"""
    document = parsed(page(PUBLISHED_META, body))
    [picture] = document["associations"]
    assert caption_and_credit(picture) == (CAPTION, PHOTOGRAPHER)
    assert picture["renditions"][0]["href"] == f"{src}/w640-h426/barges.jpg"
    assert CAPTION not in body_text(document)
    assert_story(body_text(document))


@pytest.mark.parametrize("line", ["Correction: an earlier version misstated the vote.", "<b>Lakeport 3, Nice 1</b>"])
def test_a_line_under_an_icon_or_a_logo_in_a_table_is_the_storys(line):
    """Review: any short line under a picture in a two-row table was taken for its caption, so a correction under
    an info icon or a score under a club's logo left the body (with the picture, when the picture was not kept)."""
    table = f"<table><tr><td><img src='/img/icons/info.png' width='24' height='24'></td></tr><tr><td>{line}</td></tr>"
    body = f"<main><article><h1>{HEADLINE}</h1><div class='story'><p>{STORY[0]}</p>{table}</table>{paragraphs()}"
    document = _document(body + "</div></article></main>", PUBLISHED_META)
    assert lxml.html.fromstring(line).text_content() in body_text(document)


def test_a_tables_cells_under_a_picture_are_no_caption():
    """A table of data with a picture in a cell: the rows under it are the table's, and stay."""
    rows = "<tr><td>Lakeport landing</td></tr><tr><td>Twelve crossings a day until March.</td></tr>"
    for table in (f"<table><tr><td><img src='/img/barges.jpg' width='640' height='426'></td></tr>{rows}</table>",
                  "<table><tr><td><img src='/img/barges.jpg' width='640' height='426'></td><td>Ferry</td></tr>"
                  "<tr><td>Lakeport landing</td><td>Twelve crossings a day until March.</td></tr></table>"):
        body = f"<main><article><h1>{HEADLINE}</h1><div class='story'><p>{STORY[0]}</p>{table}{paragraphs()}</div>"
        document = _document(body + "</article></main>", PUBLISHED_META)
        [picture] = document["associations"]
        assert "descriptions" not in picture
        assert "Twelve crossings a day until March." in body_text(document)


def test_amp_pages_pictures_are_read_from_amp_img():
    """The AMP plugin for WordPress: amp-img with AMP's sizer (a spacer image) and a noscript fallback inside, in
    a block figure; AMP Start's figure with a "Taken by" credit."""
    sizer = ('<i-amphtml-sizer slot="i-amphtml-svc" class="i-amphtml-sizer"><img alt="" aria-hidden="true" '
             'class="i-amphtml-intrinsic-sizer" role="presentation" src="data:image/svg+xml;base64,PHN2Zz4=">'
             '</i-amphtml-sizer>')
    figures = [f"""<figure class="wp-block-image size-large"><amp-img width="800" height="533"
 src="https://www.zenger.news/wp-content/uploads/barges-800x533.jpg" alt="Barges" layout="intrinsic">{sizer}
<noscript><img src="https://www.zenger.news/wp-content/uploads/barges-800x533.jpg" alt="Barges"></noscript></amp-img>
<figcaption>{CAPTION} Photo: {PHOTOGRAPHER}/Harbor Times</figcaption></figure>""",
               f"""<figure class="ampstart-image-with-caption m0 relative mb4"><amp-img src="/img/barges.jpg"
 width="1280" height="853" layout="responsive" alt="Barges"></amp-img><figcaption class="h5 mt1 px3">{CAPTION} <span
 class="ampstart-image-credit">Taken by {PHOTOGRAPHER}</span></figcaption></figure>"""]
    for figure in figures:
        body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'><p>{STORY[0]}</p>{figure}{paragraphs()}"
        document = parsed(page(PUBLISHED_META, body + "</div></article></main>"))
        [picture] = [a for a in document["associations"] if a["type"] == "picture"]
        assert caption_and_credit(picture) == (CAPTION, PHOTOGRAPHER if "Taken" in figure
                                               else f"{PHOTOGRAPHER}/Harbor Times")
        assert CAPTION not in body_text(document)


# --- bylines and dates -----------------------------------------------------------------------------------------------

def _ghost_page(visible_names: list[str]) -> bytes:
    ld = {"@context": "https://schema.org", "@type": "Article", "headline": HEADLINE,
          "datePublished": "2025-03-12T14:05:00.000Z",
          "author": {"@type": "Person", "name": "Tomás Reyes", "url": "https://www.zenger.news/author/tomas/"}}
    links = ", ".join(f'<a href="/author/{n.split()[0].lower()}/">{n}</a>' for n in visible_names)
    body = f"""<main id="site-main"><article class="article post"><header class="article-header gh-canvas">
<h1 class="article-title">{HEADLINE}</h1><div class="article-byline"><section class="article-byline-content">
<div class="article-byline-meta"><h4 class="author-name">{links}</h4><div class="byline-meta-content">
<time class="byline-meta-date" datetime="2025-03-12">12 Mar 2025</time></div></div></section></div></header>
<section class="gh-content gh-canvas">{paragraphs()}</section></article></main>"""
    return page(f'<script type="application/ld+json">{json.dumps(ld)}</script>', body)


def test_a_visible_byline_naming_more_writers_than_json_ld_credits_them_all():
    """Ghost's JSON-LD names a post's primary author only; its byline shows every author."""
    assert authors(parsed(_ghost_page(["Tomás Reyes", "Priya Natarajan"]))) == ["Tomás Reyes", "Priya Natarajan"]


def test_related_stories_bylines_are_no_fuller_credit_than_json_ld():
    """The header's byline names the JSON-LD author; the cards of a "More from the desk" section (a class no
    furniture rule knows) sign other stories: together they name more people, none of them this story's writers."""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE,
          "datePublished": "2025-03-12T14:05:00Z", "author": {"@type": "Person", "name": "Helen Cho"}}
    cards = "".join(f'<div class="card"><h3><a href="/s/{n}/">Story {n}</a></h3><span class="vcard"><span class="fn">'
                    f"{name}</span></span></div>" for n, name in enumerate(["Marco Reyes", "Anita Patel"]))
    body = f"""<main><article><h1>{HEADLINE}</h1><span class="vcard"><span class="fn">Helen Cho</span></span>
<div class="entry-content">{paragraphs()}</div></article><section class="more-from-the-desk">{cards}</section></main>"""
    document = parsed(page(f'<script type="application/ld+json">{json.dumps(ld)}</script>', body))
    assert authors(document) == ["Helen Cho"]


@pytest.mark.parametrize("row_class", ["article-byline-share", "meta-share", "author-rating", "c-share-bar"])
def test_a_byline_in_the_row_it_shares_with_buttons_is_read(row_class):
    """Share and rating buttons leave the body whatever plugin prefixes their class, but a theme may put the byline
    in their row (named for both, or for the buttons alone): the byline is read from it first."""
    body = (f'<article><h1>{HEADLINE}</h1><div class="{row_class}"><span class="byline">By Dana Whitcomb</span>'
            f'<a class="share-link" href="#">Share</a></div>{paragraphs()}</article>')
    document = parsed(page(PUBLISHED_META, body))
    assert authors(document) == ["Dana Whitcomb"]
    assert "Share" not in body_text(document).split()


def test_a_byline_listing_its_authors_credits_each_of_them():
    """A theme listing its authors' links, one list item each and no space between, names two people, not one
    "Dana WhitcombLee Park"."""
    body = (f'<article><h1>{HEADLINE}</h1><div class="byline"><ul><li><a href="/author/dana/">Dana Whitcomb</a></li>'
            f'<li><a href="/author/lee/">Lee Park</a></li></ul></div>{paragraphs()}</article>')
    assert authors(parsed(page(PUBLISHED_META, body))) == ["Dana Whitcomb", "Lee Park"]


def test_json_ld_still_outranks_a_byline_that_names_someone_else():
    """Byline markup naming another person (a theme's author box of the account that posted) is no fuller credit."""
    assert authors(parsed(_ghost_page(["Priya Natarajan"]))) == ["Tomás Reyes"]


def test_the_articles_own_footer_gives_its_date_and_byline_and_leaves_the_body():
    """Twenty Twenty-One (and the underscores-based themes) print the date and byline in the article's
    <footer class="entry-footer">, after the story; with no SEO plugin, nothing else dates the page."""
    body = f"""<main id="main" class="site-main"><article id="post-1234" class="post type-post hentry">
<header class="entry-header alignwide"><h1 class="entry-title">{HEADLINE}</h1></header>
<div class="entry-content">{paragraphs()}</div>
<footer class="entry-footer default-max-width"><div class="posted-by"><span class="posted-on">Published
<time class="entry-date published updated" datetime="2025-03-12T09:20:00-05:00">March 12, 2025</time></span>
<span class="byline">By <a href="https://www.zenger.news/author/hcho/" rel="author">Helen Cho</a></span></div>
<div class="post-taxonomies"><span class="cat-links">Categorized as <a href="/category/harbor/" rel="category tag">
Harbor</a></span></div></footer></article></main>
<footer id="colophon" class="site-footer"><p>Proudly powered by WordPress. Harbor Times, 1 Dock Street.</p></footer>"""
    document = parsed(page("", body))
    assert document["firstCreated"] == "2025-03-12T09:20:00-05:00"
    assert authors(document) == ["Helen Cho"]
    text = body_text(document)
    assert_story(text)
    for chrome in ("Published", "Helen Cho", "Categorized", "Proudly powered"):
        assert chrome not in text


def test_an_article_footer_moved_with_the_story_still_leaves_the_body():
    """A plain <article> whose text and footer (a donation appeal, long enough to score) are siblings the content
    root merges into one new element: the footer is the article's own, and still no story text."""
    body = f"""<main><article><header><h1>{HEADLINE}</h1><p class="byline">By Helen Cho</p></header>
<div class="prose">{paragraphs()}</div><footer><p>Harbor Times is a nonprofit newsroom. Our reporters cover city hall,
the port and the islands every day, and readers like you pay for that work.</p><p>Give today and your gift will be
matched dollar for dollar until the end of March by the Harbor Community Foundation.</p><p>Questions, tips or
corrections? Write to the newsroom, call the tip line, or stop by the office on Dock Street.</p></footer>
</article></main>"""
    text = body_text(parsed(page(PUBLISHED_META, body)))
    assert_story(text)
    assert "Give today" not in text


@pytest.mark.parametrize("line, day", [
    ("Updated 14 Mar 2025 · First published March 12, 2025", "2025-03-12"),
    ("March 12, 2025 | Last updated: March 14, 2025", "2025-03-12"),
])
def test_the_date_an_update_label_marks_is_not_the_publication_date(line, day):
    body = f"""<main><article><h1>{HEADLINE}</h1><div class="post-meta">{line}</div>
<div class="entry-content">{paragraphs()}</div></article></main>"""
    assert parsed(page("", body), "https://www.zenger.news/harbor-dredging-plan/")["firstCreated"].startswith(day)


@pytest.mark.parametrize("line", [
    '<span class="ampstart-image-credit">By <a role="author" href="/a/">Jane Doe</a>,<br> March 12th, 2025</span>',
    "<p>12th Mar 2025</p>",
])
def test_a_date_with_an_ordinal_on_its_own_line_under_the_headline_dates_the_page(line):
    """AMP Start's hero credit line ("By …, June 3rd, 2025") and Grav's "12th Mar 2025"."""
    body = (f"<main><article><header><h1>{HEADLINE}</h1>{line}</header><div class='story'>{paragraphs()}</div>"
            "</article></main>")
    assert parsed(page("", body), "https://www.zenger.news/harbor-dredging-plan/")["firstCreated"].startswith(
        "2025-03-12")


def test_a_day_first_visible_date_dates_the_page():
    """Drupal's Olivero prints "By Jane Doe, 12 March 2025" and no <time> element; Ghost shows "12 Mar 2025"."""
    body = f"""<main><h1 class="title page-title"><span>{HEADLINE}</span></h1><article class="node node--type-article">
<div class="node__meta"><span class="node__author">By <span>Jane Doe</span></span>, 12 March 2025</div>
<div class="node__content"><div class="text-content field field--name-body field__item">{paragraphs()}</div></div>
</article></main>"""
    document = parsed(page("", body), "https://www.zenger.news/harbor-dredging-plan/")  # no date in the URL
    assert document["firstCreated"].startswith("2025-03-12T00:00:00")
    assert authors(document) == ["Jane Doe"]


def test_categories_that_name_no_topic_are_no_subjects():
    """Hugo's section of posts ("posts") and WordPress's default category say nothing of the story."""
    head = (PUBLISHED_META + '<meta property="article:section" content="posts">'
            '<meta property="article:tag" content="Harbor"><meta property="article:tag" content="Uncategorized">')
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert [s["name"] for s in parsed(page(head, body))["subjects"]] == ["Harbor"]


def test_wagtail_bem_author_blocks_and_published_date_give_byline_and_date():
    """Wagtail's demo blog page: the date in <div class="blog__published"> is its only date, the writers in
    <div class="blog__author"> blocks above the text, which opens with a dateline."""
    body = f"""<main id="main-content"><div class="container"><div class="row"><div class="col-md-9">
<h1 class="index-header__title">{HEADLINE}</h1></div><div class="col-md-7"><div class="blog__published">
March 12, 2025</div></div></div></div><div class="container"><div class="row"><div class="col-md-8">
<div class="blog__meta"><div class="blog__avatars"><div class="blog__author"><picture><img alt="jane doe"
 class="blog__avatar" height="50" src="/media/images/jane.fill-50x50.jpg" width="50"></picture> Jane Doe</div>
<div class="blog__author"><picture><img alt="john roe" class="blog__avatar" height="50"
 src="/media/images/john.fill-50x50.jpg" width="50"></picture> John Roe</div></div></div>
<div class="block-paragraph_block"><p>BALTIMORE — {STORY[0]}</p>{paragraphs()}</div></div></div></div></main>"""
    document = parsed(page("", body), "https://www.zenger.news/harbor-dredging-plan/")
    assert document["firstCreated"].startswith("2025-03-12")
    assert authors(document) == ["Jane Doe", "John Roe"]
    assert document["located"] == "Baltimore"
    assert "Jane Doe" not in body_text(document)


def test_french_and_spanish_bylines_credit_the_names_without_par_or_por():
    for by in ("Par", "Por"):
        body = f"""<article><h1>{HEADLINE}</h1><div class="article-author"><span class="author">{by} Juliette Deborde
</span>, <span class="author">{by} Pierre Alonso</span></div>
<div class="entry-content">{paragraphs()}</div></article>"""
        assert authors(parsed(page(PUBLISHED_META, body))) == ["Juliette Deborde", "Pierre Alonso"]


def test_a_site_subtitle_before_the_headline_is_no_dek_and_sidebar_tags_are_no_subjects():
    """Hexo's landscape theme prints the site's name in an h1 and its subtitle in an h2 above the article, and a
    tag cloud (rel="tag" links) in its sidebar."""
    body = f"""<header id="header"><div id="header-title" class="inner"><h1 id="logo-wrap"><a href="/" id="logo">Harbor
 Times</a></h1><h2 id="subtitle-wrap"><a href="/" id="subtitle">News from the docks and the bay</a></h2></div></header>
<div class="outer"><section id="main"><article class="h-entry article"><header class="article-header"><h1
 class="p-name article-title">{HEADLINE}</h1></header><div class="e-content article-entry">{paragraphs()}</div>
<footer class="article-footer"><ul class="article-tag-list"><li class="article-tag-list-item"><a
 class="article-tag-list-link" href="/tags/harbor/" rel="tag">harbor</a></li></ul></footer></article></section>
<aside id="sidebar"><div class="widget-wrap"><h3 class="widget-title">Tags</h3><div class="widget"><ul class="tag-list">
<li class="tag-list-item"><a class="tag-list-link" href="/tags/taxes/" rel="tag">taxes</a></li></ul></div></div>
</aside></div>"""
    document = parsed(page(PUBLISHED_META, body))
    assert [h["role"] for h in document["headlines"]] == ["main"]
    assert document["headlines"][0]["value"] == HEADLINE
    assert [s["name"] for s in document["subjects"]] == ["harbor"]


def test_gatsby_date_under_the_headline_and_bio_give_date_and_byline():
    """Gatsby's starter blog: the date alone in a <p> under the h1, the writer only in the bio after the story;
    no date metadata, no byline markup. The title's site suffix is longer than the headline."""
    body = f"""<main><article class="blog-post" itemscope itemType="http://schema.org/Article"><header>
<h1 itemProp="headline">{HEADLINE}</h1><p>March 12, 2025</p></header><section itemProp="articleBody">{paragraphs()}
</section><hr/><footer><div class="bio"><p>Written by <strong>Daniel Okafor</strong> who covers the port for the
Harbor Times. <a href="https://twitter.com/dokafor">You should follow them on Twitter</a></p></div></footer>
</article></main>"""
    data = page("", body).replace(b"| Harbor Times</title>", b"| Harbor Times Community Blog</title>")
    document = parsed(data, "https://www.zenger.news/harbor-dredging-plan/")
    assert document["firstCreated"].startswith("2025-03-12")
    assert authors(document) == ["Daniel Okafor"]
    assert document["headlines"][0]["value"] == HEADLINE
    assert "You should follow" not in body_text(document)


def test_docusaurus_date_line_is_no_dek_and_its_joined_tags_are_split():
    head = (PUBLISHED_META + '<meta property="article:tag" content="harbor,dredging,Port Authority">')
    body = f"""<main class="col col--7"><article><header><h1 class="title_f1Hy">{HEADLINE}</h1>
<div class="container_mt6G margin-vert--md"><time datetime="2025-03-12T14:30:00.000Z">March 12, 2025</time> · 4 min
 read</div></header><div class="markdown">{paragraphs()}</div></article></main>"""
    document = parsed(page(head, body))
    assert [h["role"] for h in document["headlines"]] == ["main"]
    assert [s["name"] for s in document["subjects"]] == ["harbor", "dredging", "Port Authority"]


@pytest.mark.parametrize("heading", ["h2", "h3"])
def test_a_headline_shown_in_an_h2_leaves_the_body_with_its_dek(heading):
    """Grav's Quark and django CMS's blog show the headline in an h2 (here linked to the page itself) and the dek
    in the heading after it; the page has no h1."""
    body = f"""<section id="start"><div class="content-item h-entry"><div class="content-title text-center">
<{heading} class="p-name mt-1"><a href="{URL}" class="u-url">{HEADLINE}</a></{heading}>
<h4>The plan would deepen the main shipping channel by six feet over two years.</h4>
<span class="blog-date"><time class="dt-published" datetime="2025-03-12T09:30:00+00:00">12th Mar 2025</time></span>
</div><div class="e-content">{paragraphs()}</div></div></section>"""
    document = parsed(page("", body))
    assert [h["value"] for h in document["headlines"]] == [
        HEADLINE, "The plan would deepen the main shipping channel by six feet over two years."]
    text = body_text(document)
    assert HEADLINE not in text and "six feet over two years" not in text
    assert_story(text)


def test_two_tags_joined_by_a_bare_comma_are_two():
    """django-meta joins a post's tags in one article:tag with bare commas."""
    head = PUBLISHED_META + '<meta property="article:tag" content="Ports,Harbor Authority">'
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert [s["name"] for s in parsed(page(head, body))["subjects"]] == ["Ports", "Harbor Authority"]


def test_tags_holding_commas_one_per_article_tag_stay_whole():
    head = (PUBLISHED_META + '<meta property="article:tag" content="Mergers, Acquisitions and Divestitures">'
            '<meta property="article:tag" content="Trump, Donald J">')
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert [s["name"] for s in parsed(page(head, body))["subjects"]] == ["Mergers, Acquisitions and Divestitures",
                                                                          "Trump, Donald J"]


# --- chrome that named the article -----------------------------------------------------------------------------------

def test_a_layout_wrapper_named_like_a_sidebar_around_main_keeps_the_article():
    """Olivero wraps <main> and the sidebar in <div class="sidebar-grid">: a furniture name on the page's layout.
    With a long site footer it is not the element holding most of the text, and the footer was published."""
    footer = "".join(f"<p>About the Harbor Times, part {n}: contact us, subscribe, advertise with us, careers, privacy "
                     "policy, terms of use, corrections policy, ethics policy, newsletters and public notices.</p>"
                     for n in range(8))
    body = f"""<div class="sidebar-grid grid-full"><main class="site-main"><h1 class="title page-title">{HEADLINE}</h1>
<article class="node node--type-article"><div class="node__content"><div class="text-content clearfix field
 field--name-body field__item">{paragraphs()}</div></div></article></main>
<aside class="region region--sidebar"><h2>Recent content</h2><ul><li><a href="/n/1">River levels crest</a></li></ul>
</aside></div><footer class="site-footer"><div class="region region--footer-bottom">{footer}</div></footer>"""
    text = body_text(parsed(page(PUBLISHED_META, body)))
    assert_story(text)
    assert "About the Harbor Times" not in text and "River levels" not in text


JOOMLA_INFO_BLOCK = """
            <dl class="article-info text-muted">

            <dt class="article-info-term">
                        Details                    </dt>

                    <dd class="createdby">
    <span class="icon-user icon-fw" aria-hidden="true"></span>
                    Written by: Jane Doe            </dd>


                    <dd class="category-name">
    <span class="icon-folder-open icon-fw" aria-hidden="true"></span>
                        Category: <a href="/harbor">Harbor</a>    </dd>


                    <dd class="published">
    <span class="icon-calendar icon-fw" aria-hidden="true"></span>
    <time datetime="2025-03-12T14:30:00-05:00">
        Published: 12 March 2025    </time>
</dd>



                    <dd class="hits">
    <span class="icon-eye icon-fw" aria-hidden="true"></span>
    Hits: 412</dd>
            </dl>


                            <ul class="tags list-inline">
                                                        <li class="list-inline-item tag-4 tag-list0">
                    <a href="/component/tags/tag/ports" class="btn btn-sm btn-info">
                        Ports                    </a>
                </li>
                        </ul>
"""


def test_cms_info_blocks_and_tag_fields_leave_the_body():
    """Joomla's info block (as its template indents it) and tag list before the text; Drupal's tags field after
    it. The byline and date the info block shows are read before it goes."""
    two = "".join(f"<p>{text}</p>" for text in STORY[:2])
    joomla = f"""<main><div class="com-content-article item-page"><div class="page-header"><h1>{HEADLINE}</h1></div>
{JOOMLA_INFO_BLOCK}<div class="com-content-article__body">{two}</div></div></main>"""
    drupal = f"""<main><h1 class="title page-title">{HEADLINE}</h1><article class="node node--type-article">
<div class="node__content layout--content-narrow">
<div class="text-content field field--name-body field__item">{two}</div>
<div class="field field--name-field-tags field--type-entity-reference field--label-above field--tags">
<h3 class="field__label field--tags__label">Tags</h3><ul class="links field__items field--tags__items">
<li class="field--tags__item"><a href="/taxonomy/term/3" hreflang="en">Local Government</a></li>
<li class="field--tags__item"><a href="/taxonomy/term/9" hreflang="en">Transportation</a></li></ul></div></div>
</article></main>"""
    # The tags field inside the body field itself (a theme's field template), where the content root holds it.
    tags_at = drupal.index('<div class="field field--name-field-tags')
    drupal_inside = drupal[:tags_at].rstrip().removesuffix("</div>") + drupal[tags_at:].replace(
        "</ul></div></div>", "</ul></div></div></div>", 1)
    assert drupal_inside != drupal
    for body in (joomla, drupal, drupal_inside):
        text = body_text(parsed(page(PUBLISHED_META, body)))
        assert STORY[0] in text and STORY[1] in text
        for chrome in ("Details", "Hits", "Category", "Tags", "Ports", "Transportation"):
            assert chrome not in text


def test_hugo_tag_pills_and_disqus_link_leave_the_body_and_a_quotations_footer_stays():
    """Hugo's Ananke prints the tags as a plain list of links to /tags/ pages inside the content, then Disqus's
    "comments powered by" link; a quotation's <footer> is its attribution, story text."""
    body = f"""<main class="pb7" role="main"><article class="flex-l mw7 center"><header class="mt4 w-100"><h1
 class="f1 athelas">{HEADLINE}</h1></header><div class="nested-copy-line-height lh-copy serif f4">{paragraphs()}
<blockquote><p>We have waited twenty years for this channel.</p><footer><strong>Maria Lopez</strong>,
<cite>Harbor Pilots Association</cite></footer></blockquote>
<ul class="pa0"><li class="list di"><a href="/tags/ports/" class="link f5 grow br-pill ba">Ports</a></li>
<li class="list di"><a href="/tags/dredging/" class="link f5 grow br-pill ba">Dredging</a></li></ul>
<div class="mt6 instapaper_ignoref"><div id="disqus_thread"></div>
<a href="https://disqus.com" class="dsq-brlink">comments powered by <span class="logo-disqus">Disqus</span></a>
</div></div></article></main>"""
    text = body_text(parsed(page(PUBLISHED_META, body)))
    assert_story(text)
    assert "Maria Lopez" in text and "Harbor Pilots Association" in text
    for chrome in ("Ports", "Dredging", "Disqus"):
        assert chrome not in text


def test_eleventy_tag_line_and_previous_next_links_leave_the_body():
    body = f"""<main id="main"><heading-anchors><h1 id="harbor">{HEADLINE}</h1><ul class="post-metadata">
<li><time datetime="2025-03-12">12 March 2025</time></li><li><a href="/tags/ports/" class="post-tag">ports</a>, </li>
<li><a href="/tags/dredging/" class="post-tag">dredging</a></li></ul>{paragraphs()}
<ul class="links-nextprev"><li class="links-nextprev-prev">← Previous<br> <a href="/blog/ferry-fares/">Ferry fares rise
 for the summer</a></li><li class="links-nextprev-next">Next →<br><a href="/blog/bridge/">Bridge repairs start next
 week</a></li></ul></heading-anchors></main>"""
    document = parsed(page("", body), "https://www.zenger.news/blog/harbor-dredging-plan/")
    assert document["firstCreated"].startswith("2025-03-12")
    text = body_text(document)
    assert_story(text)
    for chrome in ("ports", "dredging,", "Previous", "Ferry fares", "Next"):
        assert chrome not in text


# --- what is no article ----------------------------------------------------------------------------------------------

def test_a_signed_page_whose_json_ld_calls_every_page_a_web_page_is_an_article():
    """Joomla's schema.org plugin, until an editor fills in an article's schema, describes it as a WebPage; the
    page still names its author (Joomla's author meta tag) and shows its byline and date."""
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "@id": "https://www.zenger.news/#/schema/Organization/base", "name": "Harbor Times"},
        {"@type": "WebSite", "@id": "https://www.zenger.news/#/schema/WebSite/base", "name": "Harbor Times"},
        {"@type": "WebPage", "@id": "https://www.zenger.news/#/schema/WebPage/base", "url": URL}]}
    head = f'<meta name="author" content="Jane Doe"><script type="application/ld+json">{json.dumps(ld)}</script>'
    body = f"""<main><div class="com-content-article item-page"><div class="page-header"><h1>{HEADLINE}</h1></div>
<dl class="article-info text-muted"><dd class="createdby">Written by: Jane Doe</dd><dd class="published">
<time datetime="2025-03-12T14:30:00-05:00">Published: 12 March 2025</time></dd></dl>
<div class="com-content-article__body">{paragraphs()}</div></div></main>"""
    document = parsed(page(head, body))
    assert authors(document) == ["Jane Doe"] and document["firstCreated"] == "2025-03-12T14:30:00-05:00"


def test_an_articles_faq_block_does_not_refuse_it():
    """Yoast's FAQ block makes the page's WebPage node an FAQPage too, on a dated, signed post (og:type article)."""
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": ["WebPage", "FAQPage"], "@id": URL, "url": URL, "mainEntity": []}]}
    head = (f'<meta property="og:type" content="article">{PUBLISHED_META}<meta name="author" content="Jane Doe">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert_story(body_text(parsed(page(head, body))))


def test_a_collection_page_is_refused_even_when_og_type_says_article():
    """Yoast prints og:type article on category archives; its JSON-LD says CollectionPage. A category holding one
    post shows one dated, signed excerpt."""
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "CollectionPage", "@id": "https://www.zenger.news/category/harbor/", "name": "Harbor Archives"}]}
    head = f'<meta property="og:type" content="article"><script type="application/ld+json">{json.dumps(ld)}</script>'
    body = f"""<main><h1 class="page-title">Harbor</h1><article class="post"><h2 class="entry-title"><a
 href="{URL}">{HEADLINE}</a></h2><div class="entry-meta">By Jane Doe / March 12, 2025</div>
<div class="entry-content">{paragraphs()}</div></article></main>"""
    assert "CollectionPage" in refused(page(head, body), "https://www.zenger.news/category/harbor/")


def _teaser(n: int, item: str) -> str:
    return item.format(href=f"/2025/03/{n:02d}/story-{n}/", title=f"Council story {n}: the budget and the bridge",
                       text=STORY[n % len(STORY)], n=n)


@pytest.mark.parametrize("items", [
    # Joomla's category blog: <div> items, each with its linked title, info block, intro and "Read more".
    ['<div class="com-content-category-blog__item blog-item"><div class="item-content"><div class="page-header"><h2>'
     '<a href="{href}">{title}</a></h2></div><dl class="article-info"><dd class="published"><time '
     'datetime="2025-03-12T09:00:00-05:00">Published: 12 March 2025</time></dd></dl><p>{text}</p><p class="readmore">'
     '<a class="btn" href="{href}">Read more: {title}</a></p></div></div>'] * 2,
    # Jekyll's minima home page: a list of posts, each a date, a linked title and an excerpt.
    ['<li><span class="post-meta">Mar 12, 2025</span><h3><a class="post-link" href="{href}">{title}</a></h3>'
     '<p>{text}</p></li>'] * 3,
    # Eleventy's tag page: three dated links.
    ['<li class="postlist-item"><a href="{href}" class="postlist-link">{title}</a> <time class="postlist-date" '
     'datetime="2025-03-12">March 2025</time></li>'] * 3,
    # Grav's Quark blog: cards, each a picture, a date, a linked title in an h5 and the teaser's text.
    ['<div class="card"><div class="card-image"><a href="{href}"><img alt="" src="/images/{n}.jpg"></a></div>'
     '<div class="card-header"><div class="card-subtitle"><span class="blog-date"><time class="dt-published" '
     'datetime="2025-03-12T07:15:00+00:00">12th Mar 2025</time></span></div><div class="card-title"><h5 '
     'class="p-name mt-1"><a href="{href}" class="u-url">{title}</a></h5></div></div><div class="card-body">'
     '<p>{text}</p></div></div>'] * 3,
    # Wagtail's demo blog index: cards, each one link holding the title, the introduction and "date by author".
    ['<div class="blog-listing-card"><a class="blog-listing-card__link" href="{href}"><div '
     'class="blog-listing-card__contents"><h2 class="blog-listing-card__title">{title}</h2><p '
     'class="blog-listing-card__introduction">{text}</p><p class="blog-listing-card__metadata">Mar. 12, 2025 by Jane '
     'Doe</p></div></a></div>'] * 4,
])
def test_teasers_in_lists_and_divs_make_a_listing(items):
    teasers = "".join(_teaser(n, item) for n, item in enumerate(items, start=1))
    body = f'<main><div class="blog"><h1>Harbor</h1><ul class="post-list">{teasers}</ul></div></main>'
    refused(page("", body), "https://www.zenger.news/category/harbor/")


def _undated(body: str) -> dict:
    """The document of an undated, unsigned page (the job supplies the date), which must not be refused."""
    [result] = parse_items(page("", body), input_name="page.html", source_url=URL,
                           published=datetime(2025, 3, 12, tzinfo=timezone.utc))
    assert result.error is None and result.document is not None, result.error
    return result.document


@pytest.mark.parametrize("headings", [
    # Three subheadings and one linked heading; two of three linked (short of nearly all); links in a heading's
    # words, not the heading.
    ["The vote", "The cost", "The critics", '<a href="/2025/03/01/earlier-plan/">Read the earlier plan</a>'],
    ['<a href="/2025/03/01/vote/">The vote</a>', '<a href="/2025/03/01/cost/">The cost</a>', "The critics"],
    ['The vote, as <a href="/v/">reported</a>', 'The cost, in <a href="/c/">figures</a>', "The critics"],
])
def test_an_undated_story_with_a_few_linked_headings_is_no_listing(headings):
    sections = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in zip(headings, STORY, strict=False))
    assert_story(body_text(_undated(f"<main><article><h1>{HEADLINE}</h1>{sections}<p>{STORY[-1]}</p></article>"
                                    "</main>")))


def test_a_signed_listicle_whose_headings_link_away_is_an_article():
    """A roundup's items are headed by links to what they review; the page shows its own byline and date."""
    items = "".join(f'<h2><a href="https://ferries.example/{n}/">Ferry {n}</a></h2><p>{text}</p>'
                    for n, text in enumerate(STORY))
    body = f"""<main><article><h1>{HEADLINE}</h1><div class="entry-meta"><span class="author vcard"><a class="url fn n"
 href="/author/helen/">Helen Cho</a></span> <time class="published" datetime="2025-03-12T09:20:00-05:00">March 12,
 2025</time></div><div>{items}</div></article></main>"""
    document = parsed(page("", body), "https://www.zenger.news/ferries-ranked/")
    assert authors(document) == ["Helen Cho"]
    assert_story(body_text(document))


@pytest.mark.parametrize("byline", ["<div>By Helen Cho | March 12, 2025</div>", ""])
def test_a_read_next_block_of_plain_divs_does_not_make_the_story_a_listing(byline):
    """The story's <div> beside a <div> of two linked headings: no class makes them items of one list."""
    body = f"""<main><h1>{HEADLINE}</h1>{byline}<div>{paragraphs()}</div>
<div><h3><a href="/2025/03/10/ferry-fares/">Ferry fares rise</a></h3><h3><a href="/2025/03/09/bridge/">Bridge
 repairs start</a></h3></div></main>"""
    assert_story(body_text(_undated(body)))


def test_an_undated_story_whose_headings_link_to_themselves_is_no_listing():
    """Documentation and blog themes make each heading a link to its own anchor, often with the page's full URL;
    with no date or author metadata (the job supplies the date), the story is still a story."""
    sections = "".join(f'<h2 id="part-{n}"><a href="{URL}#part-{n}">Part {n}</a></h2><p>{text}</p>'
                       for n, text in enumerate(STORY))
    [result] = parse_items(page("", f"<main><article><h1>{HEADLINE}</h1>{sections}</article></main>"),
                           input_name="page.html", source_url=URL, published=datetime(2025, 3, 12, tzinfo=timezone.utc))
    assert result.error is None and result.document is not None
    assert_story(body_text(result.document))


# --- hostile sizes ----------------------------------------------------------------------------------------------------

def test_the_cms_rules_stay_linear_on_hostile_pages():
    """20,000 teaser headings; 20,000 tag links 3,000 levels deep in a sidebar; 3,000 nested tag lists and article
    footers: each read once (no per-heading or per-link walk of the page). No timing asserted: the suite's run time
    is the guard."""
    teasers = "".join(f'<h2><a href="/s/{n}/">Story {n}</a></h2><p>Teaser {n}.</p>' for n in range(20_000))
    refused(page("", f"<main><h1>Harbor</h1>{teasers}</main>"), "https://www.zenger.news/category/harbor/")
    cloud = "".join(f'<a rel="tag" href="/tags/t{n}/">t{n}</a>' for n in range(20_000))
    nested = '<ul><li><a href="/tags/x/">x</a></li>' * 3_000 + "</ul>" * 3_000
    body = (f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}{nested}</div>"
            + "<footer>" * 3_000 + "</footer>" * 3_000 + "</article></main>"
            + "<aside>" + "<div>" * 3_000 + cloud + "</div>" * 3_000 + "</aside>")
    document = parsed(page(PUBLISHED_META, body))
    assert_story(body_text(document))
    assert "subjects" not in document


# --- what the rules above must leave alone (pages from an independent review, written to break them) -----------------

def _document(body: str, head: str = "", url: str = "https://www.zenger.news/2025/03/12/harbor-dredging-plan/") -> dict:
    """The document of a page dated by its permalink only."""
    return parsed(page(head, body), url)


def test_a_blog_name_before_the_post_title_is_no_headline():
    """Blogger's "Blog: Post" title, the blog's name in the h1: the headline is the title, never the blog."""
    body = f"""<div class="header"><h1 class="title">Harbor Notes</h1></div><div class="post"><h3 class="post-title">
{HEADLINE}</h3><div class="post-body">{paragraphs()}</div></div>"""
    data = page("", body).replace(f"<title>{HEADLINE} | Harbor Times</title>".encode(),
                                  f"<title>Harbor Notes: {HEADLINE}</title>".encode())
    assert parsed(data, "https://www.zenger.news/2025/03/12/harbor-dredging-plan/")["headlines"][0]["value"] \
        != "Harbor Notes"


@pytest.mark.parametrize("under_h1", [
    "<p>Sunday, June 1, 2025</p>",  # a masthead's date under the site's h1
    "<p>Updated June 1, 2025</p>",  # an update, alone under the headline
])
def test_dates_that_are_not_the_publication_date_are_passed_over(under_h1):
    logo = "<h1>Harbor Times</h1>" if "Sunday" in under_h1 else f"<h1>{HEADLINE}</h1>"
    body = f"<header>{logo}{under_h1}</header><main><div class='story'>{paragraphs()}</div></main>"
    assert _document(body)["firstCreated"].startswith("2025-03-12")  # the permalink's day


def test_a_date_in_the_storys_first_sentence_is_no_publication_date():
    body = (f"<main><h1>{HEADLINE}</h1><div><p>The festival returns on <strong>June 1, 2025</strong>, organizers said "
            f"on Tuesday.</p>{paragraphs()}</div></main>")
    assert _document(body)["firstCreated"].startswith("2025-03-12")


def test_the_bio_of_the_person_a_story_is_about_is_no_byline():
    body = (f"<main><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}<div class='bio'><h4>Maria Lopez</h4>"
            "<p>Maria Lopez ran the port of Baltimore's dredging office for a decade before joining the authority."
            "</p></div></div></main>")
    document = _document(body)
    assert authors(document) == [] and "ran the port of Baltimore" in body_text(document)


def test_a_short_story_citing_three_documents_is_no_list_of_links():
    body = (f"<main><h1>{HEADLINE}</h1><div><p>The authority released <a href='/docs/plan.pdf'>the dredging plan and "
            "its appendices</a>, <a href='/docs/survey.pdf'>the environmental survey of the channel</a> and <a "
            "href='/docs/budget.pdf'>the two-year budget for the work</a> on Tuesday.</p></div></main>")
    assert "environmental survey" in body_text(_document(body))


SEE_ALSO = ('<h5><a href="/2025/03/10/ferry-fares/">Ferry fares rise</a></h5>'
            '<h5><a href="/2025/03/09/bridge/">Bridge repairs start</a></h5>')


@pytest.mark.parametrize("story, after_story", [
    # The post's title links to the post itself, beside a preview of the previous post in the same markup.
    (paragraphs(), '<div class="post"><h2 class="post-title"><a href="/2025/03/10/ferry-fares/">Ferry fares rise</a>'
                   '</h2><div class="entry"><p>Fares rise in May.</p></div></div>'),
    # "See also" links at the end of the story, in h5s.
    (paragraphs() + SEE_ALSO, ""),
])
def test_a_story_with_a_self_linked_title_or_see_also_headings_is_no_listing(story, after_story):
    url = "https://www.zenger.news/harbor-dredging-plan/"
    body = (f'<div id="content"><div class="post"><h2 class="post-title"><a href="{url}" rel="bookmark">Dredging Plan '
            f'Approved</a></h2><div class="entry">{story}</div></div>{after_story}</div>')
    [result] = parse_items(page("", body), input_name="page.html", source_url=url,
                           published=datetime(2025, 3, 12, tzinfo=timezone.utc))
    assert result.error is None, result.error


def test_a_dek_mentioning_a_date_is_still_the_dek():
    dek = 'The board will vote on <time datetime="2025-04-02">April 2</time>, after a month of public hearings.'
    body = (f"<main><article><h1>{HEADLINE}</h1><p class='article-dek'>{dek}</p><div class='entry-content'>"
            f"{paragraphs()}</div></article></main>")
    assert _document(body, PUBLISHED_META)["headlines"][1]["value"].startswith("The board will vote on April 2")


def test_a_tag_holding_a_number_is_one_tag():
    head = PUBLISHED_META + '<meta property="article:tag" content="1,000 days of war">'
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert [s["name"] for s in _document(body, head)["subjects"]] == ["1,000 days of war"]


def test_a_sites_copyright_notice_is_no_photo_credit():
    notice = "© 2025 Harbor Times Media Group. All rights reserved."
    after_image = (f"<main><h1>{HEADLINE}</h1><div class='entry-content'><p>{STORY[0]}</p><p><img src='/a.jpg' "
                   f"alt='Barges'></p><p class='copyright-notice'>{notice}</p>{paragraphs()}</div></main>")
    # The page wrapper holds the site's content and its copyright line: no figure of the hero picture.
    wrapper = (f"<div id='page'><div class='site-content'><h1>{HEADLINE}</h1><figure><img src='/hero.jpg' alt='Hero'>"
               f"</figure><div class='entry-content'>{paragraphs()}<blockquote><p>We waited.</p><cite>Mayor Jane Roe"
               f"</cite></blockquote></div></div><div class='copyright'>{notice}</div></div>")
    for body in (after_image, wrapper):
        document = _document(body, PUBLISHED_META + '<meta property="og:image" content="https://www.zenger.news/hero.jpg">')
        assert all(a.get("by") is None and "Mayor" not in json.dumps(a) for a in document.get("associations", []))


def test_a_photo_byline_inside_a_caption_is_the_pictures_credit_and_a_nested_credit_too():
    """A newsroom template's "photo-byline" is no byline line; a credit one level inside the figure is found."""
    for credit in (f'<span class="photo-byline">{PHOTOGRAPHER}/Harbor Times</span>',
                   f'<div class="image-meta"><span class="photo-credit">{PHOTOGRAPHER}/Harbor Times</span></div>'):
        inside = f"<figcaption>{CAPTION} {credit}</figcaption>" if "byline" in credit else credit
        figure = f"<figure><img src='https://www.zenger.news/img/barges.jpg' alt='Barges'>{inside}</figure>"
        body = f"<main><article><h1>{HEADLINE}</h1><div class='story'><p>{STORY[0]}</p>{figure}{paragraphs()}</div>"
        [picture] = _document(body + "</article></main>", PUBLISHED_META)["associations"]
        assert picture["by"] == f"{PHOTOGRAPHER}/Harbor Times"


def test_another_posts_thumbnail_above_the_article_is_no_lead_picture():
    card = ('<div class="top-stories"><a href="/2025/03/10/ferry/"><img class="wp-post-image" '
            'src="https://www.zenger.news/wp-content/uploads/ferry-390x205.jpg" alt=""></a></div>')
    body = (f"<main>{card}<article class='post'><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div>"
            "</article></main>")
    assert "associations" not in _document(body)


@pytest.mark.parametrize("url, body", [
    # WordPress's plain permalinks: a category page whose links are all queries ("?p=12").
    ("https://www.zenger.news/?cat=3", "<main><h1 class='page-title'>Harbor</h1>" + "".join(
        f'<div class="teaser"><h2><a href="https://www.zenger.news/?p={n}">Story {n} about the harbor</a></h2>'
        f"<p>{STORY[n % 4]}</p></div>" for n in range(4)) + "</main>"),
    # An archive of links one per line in a single paragraph.
    ("https://www.zenger.news/harbor-archive/", "<main><h1>Harbor News Archive</h1><p>" + "<br>".join(
        f'<a href="/2025/03/{n:02d}/story-{n}/">Story {n}: the council, the budget and the new bridge</a>'
        for n in range(1, 13)) + "</p></main>"),
    # A blog's home page at the site's root: an introduction, then the list of posts.
    ("https://www.zenger.news/", f"<main class='page-content'><p>{STORY[0]} {STORY[1]}</p><p>{STORY[2]}</p>"
     "<h2 class='post-list-heading'>Posts</h2><ul class='post-list'>" + "".join(
         f'<li><span class="post-meta">Mar {n}, 2025</span><h3><a class="post-link" href="/2025/03/{n:02d}/p/">'
         f"Post {n} of the harbor blog</a></h3></li>" for n in range(1, 5)) + "</ul></main>"),
])
def test_index_pages_in_other_shapes_are_no_articles(url, body):
    [result] = parse_items(page("", body), input_name="page.html", source_url=url,
                           published=datetime(2025, 3, 12, tzinfo=timezone.utc))
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_a_page_naming_its_own_title_as_application_name_is_an_article():
    """Some portals put the story's title in application-name, where a site names itself: a headline equal to the
    site's name marks a home page, and every such story was refused."""
    data = (f'<!DOCTYPE html><html><head><title>{HEADLINE}</title><meta name="application-name" content="{HEADLINE}">'
            f"{PUBLISHED_META}</head><body><main><h1>{HEADLINE}</h1>{paragraphs()}</main></body></html>").encode()
    assert_story(body_text(parsed(data)))


def test_see_also_headings_inside_a_wrapper_do_not_make_a_listing():
    body = (f'<div id="content"><div class="post"><h1>{HEADLINE}</h1><div class="entry"><div class="wp-block-group">'
            f"{paragraphs()}</div><div class='wp-block-group'>{SEE_ALSO}</div></div></div></div>")
    [result] = parse_items(page("", body), input_name="page.html", source_url="https://www.zenger.news/harbor/",
                           published=datetime(2025, 3, 12, tzinfo=timezone.utc))
    assert result.error is None, result.error


@pytest.mark.parametrize("line", [
    "<figure><img src='/a.jpg' alt=''><figcaption><span>Feb. 3rd, 2025</span> The harbor at dawn.</figcaption>"
    "</figure>",
    '<span class="event-when">Saturday, June 21st, 2025</span>',
])
def test_a_span_date_in_a_caption_or_an_events_line_is_no_publication_date(line):
    body = (f"<main><article><header><h1>{HEADLINE}</h1>{line}</header><div class='story'>{paragraphs()}</div>"
            "</article></main>")
    assert _document(body)["firstCreated"].startswith("2025-03-12")


def test_a_lone_article_tag_listing_tags_with_spaces_is_split():
    head = PUBLISHED_META + '<meta property="article:tag" content="Harbor, Dredging, Port Authority, Environment">'
    body = f"<main><article><h1>{HEADLINE}</h1><div class='entry-content'>{paragraphs()}</div></article></main>"
    assert [s["name"] for s in _document(body, head)["subjects"]] == ["Harbor", "Dredging", "Port Authority",
                                                                      "Environment"]


@pytest.mark.parametrize("heading", ["h1", "h2"])
def test_a_short_headline_before_a_long_site_name_in_the_title_is_the_headline(heading):
    data = page("", f"<main><article><{heading}>Dredging Vote Delayed</{heading}><div class='entry-content'>"
                    f"{paragraphs()}</div></article></main>").replace(
        f"<title>{HEADLINE} | Harbor Times</title>".encode(),
        "<title>Dredging Vote Delayed | Harbor Times – News for the Bay Area's Port Communities</title>".encode())
    assert parsed(data, "https://www.zenger.news/2025/03/12/harbor-dredging-plan/")["headlines"][0]["value"] \
        == "Dredging Vote Delayed"


def test_a_date_under_an_h1_that_differs_from_the_seo_title_still_dates_the_page():
    head = '<meta property="og:title" content="Port authority approves $40 million harbor dredging plan">'
    body = (f"<main><article><header><h1>Port Authority’s Dredging Plan Wins Approval</h1><p>March 4, 2025</p>"
            f"</header><section>{paragraphs()}</section></article></main>")
    assert parsed(page(head, body), "https://www.zenger.news/harbor-dredging-plan/")["firstCreated"].startswith(
        "2025-03-04")


def test_a_blogs_description_under_its_name_is_no_dek():
    body = (f'<div class="header"><h1 class="title">Harbor Notes</h1><p class="description">A blog about our harbor'
            f' and the people who work on it</p></div><div class="post"><h3 class="post-title">{HEADLINE}</h3>'
            f'<div class="post-body">{paragraphs()}</div></div>')
    assert [h["role"] for h in _document(body, PUBLISHED_META)["headlines"]] == ["main"]


# --- the header's meta line -------------------------------------------------------------------------------------------

WRITER = "Daniel Okafor"
WRITER_META = f'<meta name="author" content="{WRITER}">'
SUBSTACK_HEADER = f"""<div class="pencraft pc-display-flex pc-flexDirection-column pc-paddingTop-16 pc-reset">
<div class="pencraft pc-display-flex pc-gap-12 pc-alignItems-center pc-reset byline-wrapper"><div class="pencraft
 pc-display-flex pc-reset"><a href="https://substack.com/@danielokafor" aria-label="View {WRITER}'s profile"
 class="pencraft pc-display-contents pc-reset"><div class="pencraft pc-display-flex pc-reset user-avatar"><picture><img
 src="https://substackcdn.com/image/fetch/w_36,h_36/okafor.jpg" alt="" width="36" height="36"></picture></div></a></div>
<div class="pencraft pc-display-flex pc-flexDirection-column pc-reset"><div class="pencraft pc-reset meta-EgzBVA"><span
 data-state="closed"><a href="https://substack.com/@danielokafor" class="pencraft pc-reset">{WRITER}</a></span></div>
<div class="pencraft pc-display-flex pc-gap-4 pc-reset"><div class="pencraft pc-reset meta-EgzBVA">Mar 12, 2025</div>
</div></div></div>
<div class="pencraft pc-display-flex pc-justifyContent-space-between pc-alignItems-center post-ufi"><a role="button"
 href="{URL}comments" class="post-ufi-button style-button post-ufi-comment-button has-label with-border"><svg
 class="lucide lucide-message-circle"></svg><div class="label">2</div></a></div></div>"""
MEDIUM_HEADER = f"""<div><div class="speechify-ignore ab cp"><div class="speechify-ignore bi l"><div class="ab"><div><p
 class="bd b le lf bi"><a class="af ag ah" data-testid="authorName" href="https://medium.com/@danielokafor?source=post_page"
 rel="noopener follow">{WRITER}</a></p></div><span class="lh li" aria-hidden="true"><span class="bd b be bf dd">·</span>
</span><p class="bd b le lf dd"><span><a class="lj lk" href="https://medium.com/m/signin?operation=register"
 rel="noopener follow">Follow</a></span></p></div><div class="l ln"><div class="bd b be bf dd ab lt"><span
 class="lu l ln">Published in</span><div><a data-testid="publicationName" href="https://medium.com/harbor-times"><p
 class="bd b be bf lv">Harbor Times</p></a></div></div><div class="ab ae"><span
 data-testid="storyReadTime">5 min read</span><span class="l" aria-hidden="true">·</span><span
 data-testid="storyPublishDate">Mar 12, 2025</span></div></div></div></div></div>"""
MEDIUM_HEAD = ("""<meta property="og:site_name" content="Medium"><script type="application/ld+json">{"@context":
"http://schema.org","@type":"NewsArticle","headline":"%s","datePublished":"2025-03-12T15:31:07.412Z","author":
{"@type":"Person","name":"%s"},"publisher":{"@type":"Organization","name":"Harbor Times"}}</script>"""
               % (HEADLINE, WRITER))


@pytest.mark.parametrize("head, body", [
    # Substack: the writer's avatar, name and date in a "byline-wrapper", the comment count beside it.
    (PUBLISHED_META + WRITER_META, f"""<article class="typography newsletter-post post"><div class="post-header">
<h1 dir="auto" class="post-title published">{HEADLINE}</h1>{SUBSTACK_HEADER}</div><div class="available-content"><div
 dir="auto" class="body markup">{paragraphs()}</div></div></article>"""),
    # The same line in a wrapper a theme names otherwise, or not at all: no dek.
    (PUBLISHED_META + WRITER_META, f"""<article class="post"><div class="post-header"><h1 class="post-title">{HEADLINE}
</h1><div><div><a href="https://substack.com/@danielokafor">{WRITER}</a></div><div>Mar 12, 2025</div></div></div>
<div class="available-content"><div class="body markup">{paragraphs()}</div></div></article>"""),
    # Medium: name, "Follow", "Published in" the publication, reading time and date in classless utility markup.
    (MEDIUM_HEAD, f"""<article><div class="l"><section><div class="gn go gp"><div><h1 id="3b0f" class="pw-post-title"
 data-testid="storyTitle">{HEADLINE}</h1></div>{MEDIUM_HEADER}{paragraphs()}</div></section></div></article>"""),
])
def test_a_header_meta_line_of_the_writer_and_the_date_is_neither_body_nor_dek(head, body):
    """Substack and Medium show the writer the metadata names, the date and a reading time under the headline in
    markup no byline rule knows: the body opens with the story, and the writer and date are the document's."""
    document = parsed(page(head, body))
    text = body_text(document)
    assert text.startswith(STORY[0])
    for shown in (WRITER, "Mar 12, 2025", "Follow", "Published in", "min read"):
        assert shown not in text
    assert [h["value"] for h in document["headlines"]] == [HEADLINE]
    assert authors(document) == [WRITER]
    assert document["firstCreated"].startswith("2025-03-12")


# --- TYPO3's news extension -------------------------------------------------------------------------------------------

TYPO3_LEAD = "The plan would deepen the main shipping channel by six feet over two years, the authority said."


def typo3_news_detail(lead_attributes: str, author: str = "") -> bytes:
    """georgringer/news's default Detail.html: the headline in an h3, a date and author line, the teaser, the text."""
    body = f"""<main class="maincontent-wrap" role="main"><div id="c45" class="frame frame-default
 frame-type-news_newsdetail"><div class="news news-single"><div class="article" itemscope="itemscope"
 itemtype="http://schema.org/Article"><div class="header"><h3 itemprop="headline">{HEADLINE}</h3></div>
<div class="footer"><p><span class="news-list-date"><time datetime="2025-03-12">12/03/2025<meta itemprop="datePublished"
 content="2025-03-12" /></time></span><span class="news-list-author" itemprop="author" itemscope="itemscope"
 itemtype="http://schema.org/Person">by <span itemprop="name">Katrin Vogel</span>{author}</span></p></div>
<div {lead_attributes}><p>{TYPO3_LEAD}</p></div>
<div class="news-text-wrap" itemprop="articleBody">{paragraphs()}</div></div></div></div></main>"""
    return page('<meta name="description" content="Dredging: what changes for the port and its ships.">', body)


@pytest.mark.parametrize("lead_attributes", ['class="teaser-text" itemprop="description"', 'class="teaser-text"',
                                             'itemprop="description"'])
def test_typo3_news_teaser_text_is_the_dek(lead_attributes):
    """The news extension's teaser, marked as the article's description, is the lead the page shows under the
    headline: the dek, whatever the page's meta description says."""
    document = parsed(typo3_news_detail(lead_attributes))
    assert [(h["role"], h["value"]) for h in document["headlines"]] == [("main", HEADLINE), ("subhead", TYPO3_LEAD)]
    assert authors(document) == ["Katrin Vogel"]
    assert body_text(document).startswith(STORY[0])
