"""Body extraction on pages in themes the fixtures do not use (issue 18, failure classes 1-4): the content root is
found from where the text is, furniture rules never delete the article, a page showing story teasers is still an
article, and theme chrome and promos inside the content wrapper leave the body. Every page here is written for
this test, in the markup of the theme it names."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest

from ingest_plugin.parsing import pipeline
from ingest_plugin.parsing.pipeline import parse_items

URL = "https://www.zenger.news/2024/03/12/harbor-dredging-plan/"
PUBLISHED = datetime(2024, 3, 12, 14, 5, tzinfo=timezone.utc)
HEADLINE = "Port Authority Approves Harbor Dredging Plan"

# The article: four paragraphs a reader must find in the body, whatever the markup around them.
STORY = [
    "The port authority on Tuesday approved a plan to dredge the main shipping channel, a project that officials "
    "said would allow larger container ships to dock without waiting for high tide.",
    "The work, expected to take two years, will deepen the channel by about six feet, according to documents "
    "presented at the meeting, and will be paid for partly by a federal grant.",
    "Environmental groups said they would study the plan closely, noting that earlier dredging in the harbor had "
    "disturbed oyster beds and stirred up sediment left by decades of industrial use.",
    "Shipping companies welcomed the decision, saying that the delays caused by the shallow channel had cost "
    "them millions of dollars a year in fuel, labor and missed connections.",
]
TEASER = ("City council delays vote on waterfront park after residents ask for more time to review the design, "
          "which would replace two parking lots with lawns, a playground and a kayak launch near the ferry dock.")


def paragraphs(tag: str = "p") -> str:
    return "".join(f"<{tag}>{text}</{tag}>" for text in STORY)


def page(body: str, *, head: str = "", body_class: str = "single single-post", dated: bool = True) -> bytes:
    meta = '<meta property="article:published_time" content="2024-03-12T14:05:00+00:00">' if dated else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{HEADLINE} - Harbor Times</title>
<link rel="canonical" href="{URL}"><meta property="og:title" content="{HEADLINE}">{meta}{head}</head>
<body class="{body_class}">{body}</body></html>""".encode()


def parsed(data: bytes, *, published: datetime | None = None) -> str:
    """The body's text of the one article in ``data``, which must not be refused."""
    [result] = parse_items(data, input_name="page.html", source_url=URL, published=published)
    assert result.error is None, result.error.message
    return _text(result.document["bodies"][0]["value"])


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def assert_story(text: str, *, absent: tuple[str, ...] = ()) -> None:
    for sentence in STORY:
        assert sentence in text
    for chrome in absent:
        assert chrome not in text


MENU = """<nav class="main-navigation"><ul class="menu">
<li class="menu-item"><a href="/news/">News</a><ul class="sub-menu">
<li><a href="/news/local/">Local news from around the harbor and the towns along the coast, every day</a></li>
<li><a href="/news/world/">World news, analysis, opinion and the stories everyone is talking about</a></li>
</ul></li></ul></nav>"""


# --- 1. the content root -----------------------------------------------------------------------------------------

def test_text_in_divs_spans_and_line_breaks_is_the_body():
    """No p element at all: the story is in divs, and in a span whose paragraphs are separated by <br>s."""
    body = f"""<div class="layout"><div class="topbar"><a href="/">Home</a> <a href="/about/">About</a></div>
<h1>{HEADLINE}</h1>
<div class="story"><div class="txt">{STORY[0]}</div><div class="txt">{STORY[1]}</div>
<span class="more">{STORY[2]}<br><br>{STORY[3]}</span></div>
<div class="foot"><a href="/contact/">Contact</a> <a href="/privacy/">Privacy</a></div></div>"""
    assert_story(parsed(page(body)), absent=("Contact", "Privacy"))


def test_a_menu_with_long_sub_menu_items_never_wins():
    """The menu's items are long links in nested lists: link text scores nothing, and a menu item's score is not
    its sub-menus' (no nav element or menu class here to remove it first)."""
    links = "".join(f'<li><a href="/s/{i}/">{TEASER}</a><ul><li><a href="/s/{i}/a/">{TEASER}</a></li>'
                    f'<li><a href="/s/{i}/b/">{TEASER}</a></li></ul></li>' for i in range(6))
    body = f'<div id="top"><ul>{links}</ul></div><h1>{HEADLINE}</h1><div id="story">{paragraphs()}</div>'
    text = parsed(page(body))
    assert_story(text, absent=("City council delays vote",))


def test_a_block_of_story_teasers_never_wins():
    """A teaser block of linked headlines, each with a paragraph of text, beside a shorter article."""
    teasers = "".join(f'<div class="item"><h3><a href="/s/{i}/">Council delays vote {i}</a></h3>'
                      f'<div class="dek"><a href="/s/{i}/">{TEASER}</a></div></div>' for i in range(8))
    body = f'<div class="col-a">{teasers}</div><div class="col-b"><h1>{HEADLINE}</h1>{paragraphs()}</div>'
    assert_story(parsed(page(body)), absent=("Council delays vote",))


def test_a_declared_article_body_is_trusted_with_its_paragraphs_one_level_deeper():
    """schema.org's articleBody holds wrappers, and the paragraphs are inside them."""
    parts = "".join(f'<div class="para-wrap"><p>{text}</p></div>' for text in STORY)
    body = f"""<article itemscope itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">{HEADLINE}</h1>
<div itemprop="articleBody"><div class="lede-wrap"><p>{STORY[0]}</p></div>{parts[len(STORY[0]) + 36:]}</div>
</article><div class="more"><p>{TEASER}</p><p>{TEASER}</p></div>"""
    text = parsed(page(body))
    assert_story(text, absent=("City council",))


def test_a_body_split_over_sibling_containers_keeps_all_of_them():
    """The body is in two containers of the same kind, an ad slot between them (a page template's split)."""
    body = f"""<main><h1>{HEADLINE}</h1><div class="story-part"><div class="story-text"><p>{STORY[0]}</p>
<p>{STORY[1]}</p></div></div><div class="ad-slot">Advertisement</div>
<div class="story-part"><div class="story-text"><p>{STORY[2]}</p><p>{STORY[3]}</p></div></div></main>"""
    assert_story(parsed(page(body)), absent=("Advertisement",))


# --- 2. furniture rules that deleted the article -----------------------------------------------------------------

@pytest.mark.parametrize("wrapper_class", ["adaptive-layout", "modal-open", "paywall-content", "hidden-xs",
                                           "sidebar-right", "menu-open"])
def test_layout_classes_that_begin_like_furniture_keep_the_article(wrapper_class: str) -> None:
    body = f'<div class="{wrapper_class}"><h1>{HEADLINE}</h1><div class="text">{paragraphs()}</div></div>'
    assert_story(parsed(page(body)))


def test_an_aspnet_page_wrapped_in_one_form_keeps_its_article():
    """ASP.NET Web Forms put the whole page in one form; the story is a label's text, in <br>-separated runs."""
    story = "<br><br>".join(STORY)
    body = f"""<form method="post" action="./Article.aspx?id=4242" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="dDwtMTA4MzE0MjEwNTs7Pg=="></div>
<div id="header"><a href="/Default.aspx">Harbor Times</a></div>
<div id="ctl00_MainContent_pnlArticle"><h1 id="ctl00_MainContent_lblTitle">{HEADLINE}</h1>
<span id="ctl00_MainContent_lblBody">{story}</span></div>
<div id="footer">Copyright 2024 Harbor Times</div></form>"""
    assert_story(parsed(page(body)), absent=("__VIEWSTATE",))


def test_bloggers_widget_blog_is_the_article():
    body = f"""<div class="main-outer"><div class="section" id="main"><div class="widget Blog" id="Blog1">
<div class="blog-posts hfeed"><div class="post hentry"><h3 class="post-title entry-title">{HEADLINE}</h3>
<div class="post-body entry-content" id="post-body-4242">{"<br><br>".join(STORY)}</div>
<div class="post-footer">Posted by Harbor Desk at 9:12 AM</div></div></div></div></div>
<div class="sidebar section" id="sidebar"><div class="widget HTML" id="HTML1"><h2>Blogroll</h2>
<p>{TEASER}</p></div></div></div>"""
    assert_story(parsed(page(body, body_class="version-1-3-3 variant-simple")), absent=("Blogroll", "City council"))


def test_an_element_holding_most_of_the_text_is_never_furniture():
    """A wrapper carrying a furniture-like name ("promo") that holds the whole article stays."""
    body = f'<div class="promo"><h1>{HEADLINE}</h1>{paragraphs()}</div><div class="promo"><p>Subscribe</p></div>'
    assert_story(parsed(page(body)))


# Sidebars holding more text than the story together (<aside>s: furniture whatever they say): no wrapper of the story
# holds most of the page's text, so only its names decide whether it stays.
WORDY_SIDEBAR = 2 * ('<aside class="widget-area">' + "".join(f"<p>{TEASER}</p>" for _ in range(3)) + "</aside>")


@pytest.mark.parametrize("section_class", [
    "has_ae_slider elementor-section elementor-top-section",  # Elementor with a slider add-on
    "o-section o-section-intro o-section--has-ads js-section--has-ads",  # a BEM modifier: the section has ads
])
def test_a_class_saying_what_a_section_has_is_no_furniture(section_class: str) -> None:
    body = f"""<h1>{HEADLINE}</h1><section class="{section_class}"><div class="elementor-widget-container">
{paragraphs()}</div></section><div class="hero-slider"><p>Slide one of four</p></div>
<div class="c-ads">Advertisement</div>{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("Slide one", "Advertisement", "City council"))


@pytest.mark.parametrize("wrapper", [
    '<div class="print-only" itemscope itemtype="http://schema.org/NewsArticle">',  # shown on screen too
    '<div id="content" class="carousel content no_js" itemprop="articleBody">',
])
def test_an_element_whose_microdata_is_the_article_is_no_furniture(wrapper: str) -> None:
    body = f"""<div class="print-only"><p>Printed from harbortimes.example</p></div>
<main><h1>{HEADLINE}</h1>{wrapper}{paragraphs()}</div></main>{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("Printed from", "City council"))


@pytest.mark.parametrize("wrapper_class", [
    "article__content js-truncate-related-to-my-size",  # the BEM spelling of "article-content"
    "entry themeform share",  # Hueman's entry, with room for its share bar
])
def test_a_content_token_outranks_a_furniture_token_beside_it(wrapper_class: str) -> None:
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="{wrapper_class}">{paragraphs()}</div>
<div class="related-posts"><p>Related: the harbor ferry timetable</p></div></article>{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("ferry timetable", "City council"))


def test_a_story_the_page_shows_only_without_scripts_is_read_from_its_noscript():
    """A page built by script (Blogger's dynamic views) has the story as a template and, for readers without
    scripts, in a <noscript>: that copy is the body. A notice asking for JavaScript is still none."""
    body = f"""<div class="post"><h3 class="post-title">{HEADLINE}</h3><div class="post-body">
<script type="text/template"><div class="post-content">{{{{ body }}}}</div></script>
<noscript>{paragraphs()}</noscript></div><noscript><p>Please enable JavaScript to read the comments.</p></noscript>
</div>{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("enable JavaScript", "City council"))


def test_a_story_nested_in_an_unclosed_menu_item_is_kept():
    """A mega-menu's sub-menu left open: libxml2 nests the rest of the page, its <main> too, in the menu's list
    and item, which stay for holding it."""
    body = f"""<nav class="navigation"><ul class="menu"><li class="menu-item"><a href="/tickets/">Tickets</a>
<div class="sub-menu"><ul class="sub-menu-nav"><li class="menu-item"><a href="/tickets/day/">Day tickets</a></li>
</ul>
<main><article class="post"><h1>{HEADLINE}</h1><div class="text">{paragraphs()}</div></article></main>
{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("Day tickets", "City council"))


def test_a_story_nested_in_an_unclosed_sidebar_widget_is_kept_and_a_menu_of_links_is_not():
    """A sidebar widget's item left open holds the story that follows it (an old page, no <main>): it stays for
    holding most of the page's text outside links. A menu whose long links are most of the page's text goes."""
    links = "".join(f'<li><a href="/s/{i}/">{TEASER}</a></li>' for i in range(8))
    body = f"""<div id="left"><ul><li class="widget widget_text"><h3>Friends</h3>
<a href="https://example.org/">Harbor rowing club</a>
<div id="content"><div class="post"><h2>{HEADLINE}</h2><div class="entry">{paragraphs()}</div></div></div>
{WORDY_SIDEBAR}"""
    assert_story(parsed(page(body)), absent=("City council",))
    menu = f'<div class="menu-wrap"><ul class="menu">{links}</ul></div><h1>{HEADLINE}</h1><div>{paragraphs()}</div>'
    assert_story(parsed(page(menu)), absent=("City council",))


def test_json_ld_left_in_the_page_is_no_text_of_it():
    """The JSON-LD the chrome walk leaves in the page (its articleBody a long copy of the story, beside a block of
    a region at the foot of the page) neither wins the content root nor passes for a body: a page showing its
    story only there is refused, not given an empty body."""
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": '
          f'"{" ".join(STORY * 20)}"}}</script>')
    body = f"""<div id="page"><div class="column"><div id="main"><h1>{HEADLINE}</h1>
<div class="pane-description">{paragraphs()}</div></div></div></div>
<div class="region region-bottom"><div class="block"></div>{ld}</div>"""
    assert_story(parsed(page(body)))
    [result] = parse_items(page(f'<h1>{HEADLINE}</h1><div id="app">{ld}</div>'), input_name="app.html",
                           source_url=URL, published=PUBLISHED)
    assert result.error is not None and "no article body" in result.error.message


# --- 3. listing detection ----------------------------------------------------------------------------------------

def test_an_article_with_story_teasers_and_no_metadata_is_not_a_listing():
    """No date or author metadata (the job supplies the date), and six <article> teasers under a short story,
    holding more text than it."""
    teasers = "".join(f'<article class="teaser"><h3><a href="/s/{i}/">Council delays vote {i}</a></h3>'
                      f"<p>{TEASER}</p></article>" for i in range(6))
    body = f"""<main><article class="post"><h1>{HEADLINE}</h1><div class="text">{paragraphs()}</div></article>
<section class="more-from-harbor-times"><h2>More from Harbor Times</h2>{teasers}</section></main>"""
    assert_story(parsed(page(body, dated=False), published=PUBLISHED), absent=("Council delays vote",))


def test_a_page_of_teasers_is_still_a_listing():
    teasers = "".join(f'<article class="teaser"><h2><a href="/s/{i}/">Council delays vote {i}</a></h2>'
                      f"<p>{TEASER}</p></article>" for i in range(6))
    [result] = parse_items(page(f"<main><h1>Harbor Times</h1>{teasers}</main>", dated=False),
                           input_name="home.html", source_url=URL, published=PUBLISHED)
    assert result.error is not None and str(result.error.code) == "not_an_article"


TAG_PAGE_LINKS = "".join(
    f'<li><a href="/2024/03/{day:02d}/council-story-{day}/">Council story {day}: the budget, the bridge and the '
    f'ferry schedule</a> <span class="posted">March {day}, 2024</span></li>' for day in range(1, 13))


@pytest.mark.parametrize("body", [
    f'<main><h1>Harbor</h1><ul class="post-list">{TAG_PAGE_LINKS}</ul></main>',  # a tag page, each item dated
    f'<div id="page"><h1>Site map</h1><div class="columns">{TAG_PAGE_LINKS.replace("<li>", "<p>")}</div></div>',
])
def test_a_page_that_is_a_list_of_links_is_no_article(body):
    """A tag page or a site map fetched on its own (a webhook naming the wrong URL) shows dates, so the date rule
    does not stop it: its body would be the link texts. Refused, saying why."""
    [result] = parse_items(page(body, dated=False), input_name="tag.html", source_url=URL)
    assert result.error is not None and str(result.error.code) == "not_an_article"
    assert "list of links" in result.error.message and "12 links" in result.error.message


def test_a_story_citing_its_sources_and_a_dated_briefing_of_links_are_articles():
    """Links in prose, however many, hold little of its text; and a page whose metadata dates it is an article
    even when it is mostly links (a morning briefing)."""
    cited = "".join(f'<p>{text} <a href="https://www.example.org/report-{n}">(report)</a></p>'
                    for n, text in enumerate(STORY * 2))
    assert_story(parsed(page(f"<main><h1>{HEADLINE}</h1>{cited}</main>", dated=False), published=PUBLISHED))
    briefing = parsed(page(f'<main><h1>{HEADLINE}</h1><p>{STORY[0]}</p><ul>{TAG_PAGE_LINKS}</ul></main>'))
    assert STORY[0] in briefing and "Council story 12: the budget" in briefing


@pytest.mark.parametrize("enlargement", [
    # (<article>s that link nowhere at all are still counted as teasers: a listing's cards may navigate by script.)
    '<figure><a href="/files/harbor-{n}.jpg"><img src="/files/harbor-{n}-small.jpg" alt=""></a></figure>',
    '<figure><a href="/files/harbor-{n}.png"><img src="/files/harbor-{n}-small.png" alt=""></a><figcaption>The harbor '
    'at dawn.</figcaption></figure>',
])
def test_a_story_whose_sections_are_article_elements_is_no_listing(enlargement):
    """A CMS printing each content element of the story as an <article> (TYPO3's content elements), with a picture
    linked to its enlargement: no section links to another page, as a teaser does, so they are no teasers."""
    sections = "".join(f'<article class="content-element"><h2>Part {n}</h2>{enlargement.format(n=n)}<p>{text}</p>'
                       f"</article>" for n, text in enumerate(STORY))
    title = f'<article class="page-title"><h1>{HEADLINE}</h1></article>'
    body = f'<main><div class="content">{title}{sections}</div></main>'
    assert_story(parsed(page(body, dated=False), published=PUBLISHED))


@pytest.mark.parametrize("card", [
    '<article class="post-entry"><h2>Council delays vote {n}</h2><p>{text}</p>'
    '<a class="entry-link" aria-label="post link" href="/s/{n}/"></a></article>',  # a link over the card, no text
    '<a class="card" href="/s/{n}/"><article><h2>Council delays vote {n}</h2><p>{text}</p></article></a>',
])
def test_teaser_articles_linked_only_by_a_card_link_still_make_a_listing(card):
    """The teasers that lead away by a link laid over the card (Hugo PaperMod) or around it are teasers still."""
    cards = "".join(card.format(n=n, text=TEASER) for n in range(6))
    [result] = parse_items(page(f"<main><h1>Harbor Times</h1>{cards}</main>", dated=False),
                           input_name="home.html", source_url=URL, published=PUBLISHED)
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_a_story_beside_a_news_ticker_and_a_table_marked_up_as_articles_is_no_listing():
    """Beside the story's <article>, a news ticker <article> (a link per item, longer than the story) and a
    standings table <article> whose markup's line breaks and indentation outweigh the story: neither is a story the
    page could be about (a block of links is none; layout whitespace is no text)."""
    ticker = "".join(f'<li><time>1{n % 10}:0{n % 6}</time> <a href="/news/{n}/">Council story {n}: the budget, the '
                     f"bridge and the ferry schedule</a></li>" for n in range(14))
    rows = "".join(f"\n        <tr>\n          <td>{n}</td>\n          <td>Harbor {n}</td>\n          <td>{30 - n}</td>"
                   f"\n        </tr>" for n in range(1, 21))
    body = f"""<div class="columns"><div class="col-main"><article class="story"><h1>{HEADLINE}</h1>
<div class="story-text">{paragraphs()}</div></article>
<article class="also"><h3>Read also</h3><ul><li><a href="/a/1/">Council delays vote</a></li>
<li><a href="/a/2/">Ferry fares rise</a></li><li><a href="/a/3/">Bridge repairs start</a></li></ul></article></div>
<div class="col-side"><article class="ticker"><h3>Latest</h3><ul>{ticker}</ul></article>
<article class="standings"><h3>Table</h3><table>{rows}
      </table></article></div></div>"""
    assert_story(parsed(page(body, dated=False), published=PUBLISHED))


def test_a_stray_angle_bracket_in_a_list_of_links_leaves_the_story_an_article():
    """A theme prints a stray "<" before a link ("<b><<a ..."): the parsed text holds a "<" that is no tag, and
    reading it as one dropped the story after it, leaving the links most of what the body seemed to say."""
    shops = "".join(f'<li><a href="/shops/{n}/">Harbor Outfitters {n}</a></li>' for n in range(12))
    body = (f'<main><h1>{HEADLINE}</h1><ul class="shops">{shops}</ul>'
            f'<p><b><<a href="/shops/">All shops in the harbor</a></b></p>{paragraphs()}</main>')
    assert_story(parsed(page(body, dated=False), published=PUBLISHED))


@pytest.mark.parametrize("stub", [
    "Loading…",
    "This article is for subscribers only. Subscribe now to continue reading.",
    "Sorry, the page you are looking for could not be found.",
    "This article is no longer available on our website.",
    "EXCLUSIVE - Subscribe to read the full story.",  # an all-caps word and a dash: no dateline for all that
    "Sorry — This page is gone.",
])
def test_a_page_whose_body_is_a_stub_is_refused(stub):
    """A paywall, a soft 404 or a page taken down answers with a title and a line: no article, even when a feed
    item or a re-fetch gives the date (a taken-down page must not become a new version of the story)."""
    [result] = parse_items(page(f"<main><article><h1>{HEADLINE}</h1><p>{stub}</p></article></main>"),
                           input_name="stub.html", source_url=URL, published=PUBLISHED)
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_escaped_markup_in_a_short_story_counts_as_its_text():
    """A 120-character brief quoting an address in angle brackets is an article: "&lt;…&gt;" in the page is text,
    not a tag to strip before the body is measured."""
    brief = ("Residents may send written comments on the dredging plan until March 30 to the planning office at "
             "&lt;planning@harbor.gov&gt;.")
    [result] = parse_items(page(f"<main><article><h1>{HEADLINE}</h1><p>{brief}</p></article></main>"),
                           input_name="brief.html", source_url=URL, published=PUBLISHED)
    assert result.error is None and "&lt;planning@harbor.gov&gt;" in result.document["bodies"][0]["value"]


def test_a_stub_padded_with_entities_to_look_long_is_refused():
    """Second review: a body measured by its first 500 characters only read "&nbsp&nbsp…" as long text, where
    the whole text, decoded as it is published, is a 22-character stub."""
    [result] = parse_items(page(f"<main><article><h1>{HEADLINE}</h1><p>{'&amp;nbsp' * 100} Harbor closed &amp;lt;3 "
                                "days.</p></article></main>"), input_name="padded.html", source_url=URL,
                           published=PUBLISHED)
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_a_page_naming_no_title_anywhere_is_published_under_its_first_sentence():
    """No <title>, title metadata, h1 or heading: the story was refused ("names no title") and never reached the
    CMS. It is published under its first sentence, cut at a word, and ``parse --explain`` says so; a page without
    a title and without text is still refused."""
    untitled = f"<!DOCTYPE html><html><head></head><body><div>{paragraphs()}</div></body></html>".encode()
    [result] = parse_items(untitled, input_name="untitled.html", source_url=URL, published=PUBLISHED)
    assert result.error is None, result.error.message
    assert result.document["headlines"][0]["value"] == ("The port authority on Tuesday approved a plan to dredge "
                                                        "the main shipping channel, a project that officials…")
    assert STORY[0] in _text(result.document["bodies"][0]["value"])
    assert result.sources["headline"] == "the first sentence of the body: the input names no title"
    # The editors who receive it are told, in the note for staff every CMS shows them (edNote).
    assert result.document["edNote"] == ("Ingest note: the headline is the story's first sentence, as the source "
                                         "names no title; write one before publishing.")


def test_a_failure_while_the_body_gives_up_its_pictures_is_kept_under_the_article(monkeypatch):
    """Review: lifting pictures, tweets and credit lines moved before the article's identity (an untitled input's
    is its headline's); a titled article that fails there is still kept under its own key, for its replay."""
    data = page(f"<article><h1>{HEADLINE}</h1>{paragraphs()}</article>")
    [good] = parse_items(data, input_name="page.html", source_url=URL, published=PUBLISHED)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in picture lifting")

    monkeypatch.setattr(pipeline, "lift_pictures", broken)
    [failed] = parse_items(data, input_name="page.html", source_url=URL, published=PUBLISHED)
    assert failed.error is not None and "RuntimeError" in failed.error.message
    assert (failed.partner, failed.article_key) == ("zenger", good.article_key)


def _titled(body: str, title: str, og_title: str = "") -> bytes:
    og = f'<meta property="og:title" content="{og_title}">' if og_title else ""
    return page(body).replace(f"<title>{HEADLINE} - Harbor Times</title>".encode(), f"<title>{title}</title>".encode()
                              ).replace(f'<meta property="og:title" content="{HEADLINE}">'.encode(), og.encode())


@pytest.mark.parametrize("data", [
    _titled(f"<h1>{HEADLINE}</h1><div>{paragraphs()}</div>", " | Zenger News"),
    # Yoast's template printed with an empty post title, in og:title too.
    _titled(f"<h1>{HEADLINE}</h1><div>{paragraphs()}</div>", " | Zenger News", og_title=" | Zenger News"),
    # A logo or section h1 above the story's own heading (second review: the section's name became the headline).
    _titled(f'<header><h1 class="site-title">Zenger News</h1></header><article><h2 class="entry-title">{HEADLINE}'
            f'</h2><div class="entry-content">{paragraphs()}</div></article>', " | Zenger News"),
    _titled(f'<div class="category-header"><h1>Politics</h1></div><article><h2 class="entry-title">{HEADLINE}'
            f'</h2><div class="entry-content">{paragraphs()}</div></article>', " | Zenger News"),
])
def test_a_page_titled_by_its_site_name_alone_is_headed_by_its_own_heading(data):
    """A title of " | Site" leaves no headline once the site's name goes: the story's own heading says what the
    story is (the first review: the body's first sentence was taken, over the h1)."""
    [result] = parse_items(data, input_name="page.html", source_url=URL)
    assert result.error is None, result.error.message
    assert result.document["headlines"][0]["value"] == HEADLINE


def test_a_page_titled_by_its_site_name_alone_without_a_heading_is_a_home_page():
    [result] = parse_items(_titled(f"<div>{paragraphs()}</div>", " | Zenger News"), input_name="page.html",
                           source_url=URL)
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_plain_prose_is_no_page():
    """A text file holding no tag is refused as such, not read as a page headed by its first sentence."""
    [result] = parse_items(" ".join(STORY).encode(), input_name="story.txt", source_url=URL, published=PUBLISHED)
    assert result.error is not None and "plain text" in result.error.message


def test_a_refused_page_says_why():
    """An editor reading failed/ learns what the page lacks."""
    frames = page("").replace(b'<body class="single single-post"></body>',
                              b'<frameset cols="50%,50%"><frame src="/a.html"><frame src="/b.html"></frameset>')
    [no_body] = parse_items(frames, input_name="frames.html", source_url=URL)
    assert no_body.error is not None and "has no <body>" in no_body.error.message


# --- 4. chrome and promos left in the body -----------------------------------------------------------------------

def test_divi_meta_line_inside_the_builders_content_wrapper_leaves_the_body():
    body = f"""<div id="et-main-area"><div id="main-content"><article id="post-4242" class="et_pb_post post-4242 post">
<div class="entry-content"><div class="et-l et-l--post"><div class="et_builder_inner_content et_pb_gutters3">
<div class="et_pb_section et_pb_section_0"><div class="et_pb_row"><div class="et_pb_column">
<div class="et_pb_module et_pb_post_title et_pb_post_title_0"><div class="et_pb_title_container">
<h1 class="entry-title">{HEADLINE}</h1></div></div><div class="et_pb_module et_pb_text et_pb_text_0">
<div class="et_pb_text_inner"><p class="et_pb_title_meta_container"> by <span class="author vcard">
<a href="https://www.zenger.news/author/mara-quill/" title="Posts by Mara Quill" rel="author">Mara Quill</a></span>
 | <span class="published">Mar 12, 2024</span> | <a href="/category/business/" rel="category tag">Business</a></p>
{paragraphs()}</div>
</div></div></div></div></div></div></div></article></div></div>"""
    assert_story(parsed(page(body)), absent=("Mara Quill", "Mar 12, 2024", "Business"))


def test_elementor_post_info_inside_the_content_wrapper_leaves_the_body():
    body = f"""<div data-elementor-type="single-post" class="elementor elementor-4242 elementor-location-single">
<div class="elementor-element elementor-widget elementor-widget-theme-post-title"><h1 class="elementor-heading-title">
{HEADLINE}</h1></div><div class="elementor-element elementor-widget elementor-widget-post-info">
<div class="elementor-widget-container">
<ul class="elementor-inline-items elementor-icon-list-items elementor-post-info">
<li class="elementor-icon-list-item" itemprop="author"><a href="https://www.zenger.news/author/mara-quill/">
<span class="elementor-post-info__item elementor-post-info__item--type-author">By Mara Quill</span></a></li>
<li class="elementor-icon-list-item" itemprop="datePublished"><span class="elementor-post-info__item--type-date">
March 12, 2024</span></li></ul></div></div>
<div class="elementor-element elementor-widget elementor-widget-theme-post-content">
<div class="elementor-widget-container">{paragraphs()}</div></div></div>"""
    assert_story(parsed(page(body)), absent=("By Mara Quill", "March 12, 2024"))


def test_jnews_related_posts_with_full_teasers_leave_the_body():
    teasers = "".join(f'<article class="jeg_post jeg_pl_md_box"><div class="jeg_postblock_content">'
                      f'<h3 class="jeg_post_title"><a href="/s/{i}/">Council delays vote {i}</a></h3>'
                      f'<div class="jeg_post_excerpt"><p>{TEASER}</p></div></div></article>' for i in range(3))
    body = f"""<div class="jeg_main_content"><h1 class="jeg_post_title">{HEADLINE}</h1>
<div class="entry-content no-share"><div class="content-inner">{paragraphs()}</div></div>
<div class="jnews_related_post_container"><div class="jeg_postblock_22 jeg_postblock">
<div class="jeg_block_heading"><h3 class="jeg_block_title"><span>Related Posts</span></h3></div>
<div class="jeg_posts_wrap"><div class="jeg_posts">{teasers}</div></div></div></div></div>"""
    assert_story(parsed(page(body)), absent=("Council delays vote", "City council", "Related Posts"))


def test_teaser_articles_inside_the_content_wrapper_leave_the_body():
    """A Newspack "homepage articles" block put inside the post's content: full teaser paragraphs, no class the
    furniture rules know."""
    teasers = "".join(f'<article class="post-has-image"><div class="entry-wrapper"><h3 class="entry-title">'
                      f'<a href="/s/{i}/">Council delays vote {i}</a></h3><div class="excerpt"><p>{TEASER}</p></div>'
                      f"</div></article>" for i in range(2))
    body = f"""<article id="post-4242" class="post-4242 post type-post entry"><header class="entry-header">
<h1 class="entry-title">{HEADLINE}</h1></header><div class="entry-content">{paragraphs()}
<div class="wp-block-newspack-blocks-homepage-articles is-grid columns-2">{teasers}</div></div></article>"""
    assert_story(parsed(page(body)), absent=("Council delays vote", "City council"))


def test_soledad_and_smartmag_related_modules_and_calls_to_action_leave_the_body():
    body = f"""<div class="penci-single-wrapper"><h1 class="post-title single-post-title">{HEADLINE}</h1>
<div class="post-entry blockquote-style-2"><div class="inner-post-entry entry-content" id="penci-post-entry-inner">
{paragraphs()}<p><strong>You may also like…</strong></p><p>GET THE HARBOR TIMES APP ON THE GO</p></div></div>
<div class="post-related"><div class="post-title-box"><h4 class="post-box-title">You may also like</h4></div>
<div class="item-related"><h3><a href="/s/1/">Council delays vote</a></h3><p>{TEASER}</p></div></div>
<section class="related-posts"><article class="l-post grid-post"><h2 class="post-title"><a href="/s/2/">
Ferry fares rise</a></h2><p>{TEASER}</p></article></section></div>"""
    assert_story(parsed(page(body)), absent=("You may also like", "ON THE GO", "Council delays vote", "Ferry fares"))


@pytest.mark.parametrize("heading", [
    "Lesen Sie auch", "Mehr zum Thema:", "Das könnte Sie auch interessieren!", "Meistgelesene Artikel", "Lire aussi :",
    "À lire aussi", "Temas relacionados", "Veja também:", "Leggi anche", "Lees ook", "Zobacz także", "Explore further",
    "More on this story"])
def test_related_story_headings_in_other_languages_leave_the_body_with_their_links(heading: str) -> None:
    """A newsroom's partner may write in German, French, Spanish, Portuguese, Italian, Dutch or Polish: its "read
    also" heading and the list of links under it are no story, as "Related Stories" is not."""
    related = f'<h3>{heading}</h3><ul><li><a href="/s/1/">Council delays vote</a></li><li><a href="/s/2/">Ferry ' \
              'fares rise</a></li></ul>'
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">
{paragraphs()[:-len(STORY[3]) - 7]}{related}<p>{STORY[3]}</p></div></article>"""
    assert_story(parsed(page(body)), absent=(heading, "Council delays vote", "Ferry fares"))


@pytest.mark.parametrize("line", ["4 min read", "5 Min Read", "Reading time: 3 minutes", "Lesezeit: 4 Min.",
                                  "Comments are closed.", "Kommentare geschlossen"])
def test_reading_time_and_comment_status_lines_leave_the_body(line: str) -> None:
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content"><p>{line}</p>
{paragraphs()}<p>{line}</p></div></article>"""
    assert_story(parsed(page(body)), absent=(line,))


def test_a_read_also_phrase_before_the_link_it_offers_leaves_the_body():
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}
<p>Lire aussi : <a href="/s/1/">Les critiques de la CNIL contre le projet de loi</a></p>
<p>Leia também — <a href="/s/2/">Prefeitura anuncia nova linha de ônibus</a></p></div></article>"""
    assert_story(parsed(page(body)), absent=("Lire aussi", "critiques de la CNIL", "Leia também", "Prefeitura"))


def test_a_read_also_phrase_before_words_of_the_story_stays():
    """Second review: before a colon, a dash or "!", the phrase opens a sentence of the story (a quote, an
    attribution) unless a link to another story is what follows."""
    sentences = (
        "Mehr zum Thema – und zu den Folgen für die Mieter – will die Verwaltung im Mai vorlegen, sagte der "
        "Bürgermeister.",
        "Voir aussi : le rapport de la Cour des comptes sur la rénovation des écoles, a rappelé l'opposition.",
        "Explore further: the museum's new wing lets visitors climb inside a replica of the 1912 lighthouse lens.",
        "Check it out! The mayor's post on social media drew 40,000 replies within an hour, aides said.",
        "Weiterlesen! Irgendwann kommt das Buch, das einen packt, sagte die Bibliothekarin.")
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}
{"".join(f"<p>{sentence}</p>" for sentence in sentences)}</div></article>"""
    text = parsed(page(body))
    for sentence in sentences:
        assert sentence in text


def test_a_list_of_the_story_under_a_read_also_heading_stays():
    """Only a list of links leaves with a "read also" heading: the story's own list under a heading of the same
    words (council decisions, a ranking) is story."""
    decisions = ("Die Grundsteuer steigt 2025 um 40 Prozentpunkte.", "Die Stadtbibliothek öffnet auch sonntags.")
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}
<h3>Mehr zum Thema</h3><ul>{"".join(f"<li>{decision}</li>" for decision in decisions)}</ul></div></article>"""
    text = parsed(page(body))
    assert_story(text)
    for decision in decisions:
        assert decision in text


def test_a_sentence_opening_with_the_words_of_a_promo_heading_stays():
    """Only a heading that is the phrase (and what a colon or dash introduces) is a promo: story sentences that
    begin with the same words are the story."""
    sentences = ("Lesen Sie auch den Bericht des Hafenamts, sagte der Sprecher am Dienstag.",
                 "Most read the report before the vote, the spokesman said on Tuesday.",
                 "Explore further the plans for the northern quay, the council urged residents.")
    body = f"""<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}
{"".join(f"<p>{sentence}</p>" for sentence in sentences)}</div></article>"""
    text = parsed(page(body))
    assert_story(text)
    for sentence in sentences:
        assert sentence in text


def test_embed_fallback_text_and_slideshow_controls_leave_the_body():
    instagram = """<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/C4x/">
<div><a href="https://www.instagram.com/p/C4x/"><div>View this post on Instagram</div></a>
<p><a href="https://www.instagram.com/p/C4x/">A post shared by Harbor Times (@harbortimes)</a></p></div></blockquote>"""
    slideshow = """<div class="slideshow"><div class="slides"><figure><img src="https://www.zenger.news/wp-content/uploads/
2024/03/dredge.jpg" width="800" height="600" alt="A dredge"><figcaption>A dredge at work in the channel.</figcaption>
</figure></div><div class="slideshow-controls"><a class="prev" href="#">Previous</a><span>1 of 5</span>
<a class="next" href="#">Next</a></div><p>Next</p><p>2 of 5</p></div>"""
    body = f"""<article class="wp-block-post"><h1 class="wp-block-post-title">{HEADLINE}</h1>
<div class="entry-content wp-block-post-content is-layout-constrained">{paragraphs()[:-len(STORY[3]) - 7]}
{instagram}{slideshow}<p>{STORY[3]}</p></div></article>"""
    text = parsed(page(body))
    assert_story(text, absent=("View this post on Instagram", "A post shared by", "Previous", "1 of 5", "2 of 5",
                               "Next"))


@pytest.mark.parametrize("wrapper", ["text teads-target", "story-text js-teads", "text ai2html-story", "ai2html"])
def test_a_story_marked_for_teads_or_ai2html_is_no_chrome(wrapper: str) -> None:
    """Teads plays its in-read ad in the element a page marks for it, and a chart tool's name may mark a story's
    wrapper: the story stays (a brief of two paragraphs here, beside a long most-read list, so that no rule for
    stories rescues it). A rule naming any "teads" or "ai2html" token chrome refused it."""
    most_read = "".join(f'<li><a href="/2024/03/0{n}/story-{n}/">{TEASER[:90]} {n}</a></li>' for n in range(1, 10))
    body = f"""<div class="article-wrap"><h1>{HEADLINE}</h1><div class="{wrapper}"><p>{STORY[0]}</p>
<div class="teads-inread"><div class="teads-ui-components-label">ADVERTISING</div></div><p>{STORY[1]}</p></div></div>
<div class="most-read"><h2>Most read</h2><ol>{most_read}</ol></div>"""
    text = parsed(page(body))
    assert STORY[0] in text and STORY[1] in text


def test_jannah_and_block_theme_pages_keep_the_body_and_drop_the_chrome():
    jannah = f"""<div id="tie-container" class="site tie-container"><div id="tie-wrapper">
<div class="main-content tie-col-md-8 tie-col-xs-12" role="main">
<article id="the-post" class="container-wrapper post-content">
<header class="entry-header-outer"><h1 class="post-title entry-title">{HEADLINE}</h1></header>
<div class="entry-content entry clearfix">{paragraphs()}</div>
<div id="share-buttons-bottom" class="share-buttons share-buttons-bottom"><a href="#">Facebook</a></div></article>
<div id="related-posts" class="container-wrapper has-extra-post"><div class="mag-box-title"><h3>Related Articles</h3>
</div><div class="related-item"><h3 class="post-title"><a href="/s/1/">Council delays vote</a></h3></div></div></div>
<aside class="sidebar tie-col-md-4" role="complementary"><div class="widget"><p>{TEASER}</p></div></aside>
</div></div>"""
    assert_story(parsed(page(jannah)), absent=("Facebook", "Related Articles", "Council delays vote", "City council"))
    block_theme = f"""<div class="wp-site-blocks"><header class="wp-block-template-part"><p class="wp-block-site-title">
<a href="/">Harbor Times</a></p></header><main class="wp-block-group"><h1 class="wp-block-post-title">{HEADLINE}</h1>
<div class="entry-content wp-block-post-content is-layout-constrained">{paragraphs()}</div>
<div class="wp-block-query"><h2>More posts</h2><ul class="wp-block-post-template"><li class="wp-block-post">
<h2 class="wp-block-post-title"><a href="/s/1/">Council delays vote</a></h2><div class="wp-block-post-excerpt">
<p class="wp-block-post-excerpt__excerpt">{TEASER}</p></div></li></ul></div></main></div>"""
    assert_story(parsed(page(block_theme)), absent=("More posts", "Council delays vote", "City council"))


def test_nested_furniture_wrappers_around_the_text_are_read_a_few_times():
    """Each wrapper holds most of the page's text: asking each one its text would be quadratic in the nesting, so
    only the outer few are kept for it (a hostile page may lose its article, but costs little)."""
    depth = 240  # under libxml2's nesting limit, past which the page is parsed again without layout tags
    story = "".join(f"<p>{text}</p>" for text in STORY) * 2000
    body = '<div class="sidebar">' * depth + f"<h1>{HEADLINE}</h1>{story}" + "</div>" * depth
    [result] = parse_items(page(body), input_name="deep.html", source_url=URL)
    assert result.error is None or str(result.error.code) == "not_an_article"


def test_a_linked_title_of_the_article_and_a_link_to_its_author_in_the_text_stay():
    """The article is an <article> whose title links to itself (as in many themes' templates) beside two teasers,
    and a paragraph links to an author's page and names a year: only the teasers leave."""
    teasers = "".join(f'<article class="teaser"><h3><a href="/s/{i}/">Council delays vote {i}</a></h3>'
                      f"<p>{TEASER}</p></article>" for i in range(2))
    mention = ('<p>The plan follows a <a href="https://www.zenger.news/author/mara-quill/">Mara Quill</a> '
               "investigation published in 2019.</p>")
    body = f"""<main><article class="post"><h2 class="entry-title"><a href="{URL}">{HEADLINE}</a></h2>
{paragraphs()}{mention}</article>{teasers}</main>"""
    text = parsed(page(body))
    assert_story(text, absent=("Council delays vote",))
    assert "investigation published in 2019" in text


def test_a_listing_whose_best_text_is_one_of_its_teasers_is_still_a_listing():
    teasers = "".join(f'<article class="teaser"><h2><a href="/s/{i}/">Council delays vote {i}</a></h2>'
                      f"<p>{TEASER}</p></article>" for i in range(5))
    main = f'<article class="teaser"><h2><a href="/s/9/">Dredging plan</a></h2><p>{STORY[0]}</p></article>'
    [result] = parse_items(page(f"<main><h1>Harbor Times</h1>{main}{teasers}{teasers}</main>", dated=False),
                           input_name="home.html", source_url=URL, published=PUBLISHED)
    assert result.error is not None and str(result.error.code) == "not_an_article"


def test_a_page_whose_best_scoring_block_is_a_fragment_keeps_its_text():
    """A poem in short lines (none scores as a paragraph) beside one captioned box: the box is no article body,
    so the page's text is."""
    lines = [f"Tide line {i:02}, gulls cry" for i in range(60)]
    poem = "".join(f"<div class='line'>{line}</div>" for line in lines)
    box = f'<div class="content-box"><p>{TEASER}</p></div>'
    text = parsed(page(f'<div class="wrap"><h1>{HEADLINE}</h1><div class="poem">{poem}</div></div>{box}'))
    assert all(line in text for line in lines)


def test_a_jetpack_slideshow_keeps_its_pictures_and_drops_its_controls():
    """The author's slideshow block: its slides become the article's pictures, with their captions; its buttons
    and its counter leave the body."""
    slides = "".join(
        f'<li class="wp-block-jetpack-slideshow_slide swiper-slide"><figure><img alt="" src="https://wpcdn.zenger.news/'
        f'wp-content/uploads/2024/03/12091133/dredge-{i}.jpg" width="1200" height="800"><figcaption class="wp-block-'
        f'jetpack-slideshow_caption gallery-caption">Dredge number {i} at work.</figcaption></figure></li>'
        for i in range(3))
    show = f"""<div class="wp-block-jetpack-slideshow aligncenter" data-autoplay="false">
<div class="wp-block-jetpack-slideshow_container swiper-container">
<ul class="wp-block-jetpack-slideshow_swiper-wrapper swiper-wrapper">{slides}</ul>
<a class="wp-block-jetpack-slideshow_button-prev swiper-button-prev" role="button">Previous</a>
<a class="wp-block-jetpack-slideshow_button-next swiper-button-next" role="button">Next</a>
<div class="wp-block-jetpack-slideshow_pagination swiper-pagination"><span>1 of 3</span></div></div></div>"""
    body = f"""<article class="post"><h1 class="entry-title">{HEADLINE}</h1>
<div class="entry-content">{paragraphs()}{show}</div></article>"""
    [result] = parse_items(page(body), input_name="page.html", source_url=URL)
    assert result.error is None, result.error.message
    assert_story(_text(result.document["bodies"][0]["value"]), absent=("Previous", "Next", "1 of 3"))
    captions = [a["descriptions"][0]["value"] for a in result.document["associations"] if a["type"] == "picture"]
    assert captions == [f"Dredge number {i} at work." for i in range(3)]


def test_a_short_story_in_a_declared_container_is_not_replaced_by_the_page():
    """A video post: one paragraph in the theme's content container, much more text around it."""
    about = "".join(f"<div class='blurb'><p>{TEASER}</p></div>" for _ in range(8))
    body = f"""<article class="post"><h1 class="entry-title">{HEADLINE}</h1><div class="entry-content">
<p>{STORY[0]}</p></div></article><div class="site-info">{about}</div>"""
    text = parsed(page(body))
    assert STORY[0] in text and "City council" not in text


def test_nested_teasers_author_links_and_paragraphs_at_every_level_stay_linear():
    """Every level of a deep nesting holds a paragraph, a teaser article and a link to an author: the scores, the
    teaser and meta-line rules and the sibling merge each look at a level a bounded number of times."""
    depth, width = 120, 40
    level = (f'<p>{STORY[0]} <a href="/author/x/" rel="author">X</a> | 2024</p>'
             f'<article><h3><a href="/s/">Teaser</a></h3><p>{TEASER}</p></article>') * width
    body = f"<h1>{HEADLINE}</h1>" + f'<div class="entry-content">{level}' * depth + "</div>" * depth
    [result] = parse_items(page(body), input_name="deep.html", source_url=URL)
    assert result.error is None, result.error.message
    assert STORY[0] in _text(result.document["bodies"][0]["value"])


def test_a_declared_container_is_the_body_without_the_theme_header_beside_it():
    """tagDiv's post template: the category list and dek sit in a header beside ``td-post-content``, with enough
    text to count as a sibling that continues the body; the declared container alone is the body."""
    header = ('<div class="td-post-header"><ul class="td-category"><li class="entry-category"><a href="/category/'
              'africa/">Africa</a></li><li class="entry-category"><a href="/category/world/">World</a></li></ul>'
              f'<header class="td-post-title"><h1 class="entry-title">{HEADLINE}</h1><p class="td-post-sub-title">'
              "Officials said the deeper channel would let the largest container ships dock at any tide, ending "
              "years of delays</p></header></div>")
    text = parsed(page(f'<article class="post">{header}<div class="td-post-content">{paragraphs()}</div></article>'))
    assert_story(text, absent=("Africa", "World"))


def untitled(body: str) -> bytes:
    """A page that names no title anywhere: no <title>, no title metadata, no h1."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="canonical" href="{URL}">
<meta property="article:published_time" content="2024-03-12T14:05:00+00:00"></head>
<body>{body}</body></html>""".encode()


def headline_and_text(data: bytes) -> tuple[str, str]:
    [result] = parse_items(data, input_name="page.html", source_url=URL)
    assert result.error is None, result.error.message
    return result.document["headlines"][0]["value"], _text(result.document["bodies"][0]["value"])


@pytest.mark.parametrize("body", [
    # An h2 starting the content root (the site's own h2 in the header is no article's title).
    f'<header><h2 class="site-title">Harbor Times</h2></header><div class="post"><h2>{HEADLINE}</h2>'
    f'<div class="post-body">{paragraphs()}</div></div>',
    # An element named as a title, before the content root.
    f'<div class="main"><div class="story-headline">{HEADLINE}</div><div class="text">{paragraphs()}</div></div>',
    f'<div itemscope><span itemprop="headline">{HEADLINE}</span></div><div class="story">{paragraphs()}</div>',
])
def test_a_page_without_a_title_takes_the_heading_opening_the_article(body):
    """No <title>, h1 or title metadata: the heading a reader takes for the title is the headline, and leaves the
    body when it is in it."""
    headline, text = headline_and_text(untitled(body))
    assert headline == HEADLINE
    assert_story(text, absent=(HEADLINE, "Harbor Times"))


def test_a_related_posts_module_with_a_long_inline_script_still_leaves_the_body():
    """Script text is no text a reader sees: it must not make a module look like it holds most of the page."""
    slots = ", ".join(f'"slot{n}": "div-gpt-ad-{n}"' for n in range(250))
    script = f"<script>window.adConfig = {{{slots}}};</script>"
    module = f'<div class="jp-relatedposts">{script}<h3>Related</h3><p>{TEASER}</p></div>'
    text = parsed(page(f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}'
                       f'{module}</div></article>'))
    assert_story(text, absent=(TEASER,))


def test_a_sidebar_named_by_its_side_is_furniture():
    box = f'<div class="sidebar-right"><h3>Most read</h3><p>{TEASER}</p></div>'
    text = parsed(page(f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}'
                       f'{box}</div></article>'))
    assert_story(text, absent=(TEASER,))


def test_json_ld_beside_the_story_does_not_make_its_wrapper_the_article():
    """A portal theme prints the article's JSON-LD (its whole text in "articleBody", commas and all) in a wrapper
    of its own, away from the story: script text scores nothing (its commas made the script's wrapper the best
    block), and the story is the body."""
    keywords = ", ".join(f'"harbor topic {n}"' for n in range(60))
    ld = ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "%s", "keywords": [%s], '
          '"articleBody": "%s"}' % (HEADLINE, keywords, " ".join(STORY)))
    body = f"""<div class="layout"><div class="row r1"><div class="portlet"><script type="application/ld+json">{ld}
</script><div class="portlet-title">Harbor</div></div></div><div class="row r2"><div class="col-8"><div class="portlet">
<h1>{HEADLINE}</h1><div class="text">{"".join(f'<div class="paragraph"><p>{t}</p></div>' for t in STORY)}</div>
</div></div></div><div class="row r3"><div class="col-12"><p>{TEASER}</p><p>{TEASER}</p></div></div></div>"""
    assert_story(parsed(page(body)), absent=(TEASER,))


ROW = ('<div class="vc_row"><div class="wpb_column vc_col-sm-{width}"><div class="vc_column-inner">'
       '<div class="wpb_wrapper">{inner}</div></div></div></div>')


def builder_row(paragraphs_html: str, width: int = 12) -> str:
    return ROW.format(width=width, inner=f'<div class="wpb_text_column"><div class="wpb_wrapper">{paragraphs_html}'
                                        "</div></div>")


@pytest.mark.parametrize("body", [
    # A page builder's rows, one text column each, the story over two of them; then the writer's box (a column
    # of another width) and a promo row of the same markup as the story's.
    '<div class="post-text">' + builder_row(f"<p>{STORY[0]}</p>")
    + builder_row(f"<p>{STORY[1]}</p><p>{STORY[2]}</p><p>{STORY[3]}</p>")
    + ROW.format(width=9, inner='<div class="author-holder"><p>Dana Reyes covers the harbor, its ships and the '
                                "people who work the docks, for the Harbor Times since 2015.</p></div>")
    + builder_row("<h3>Support local news</h3><p>Become a member today: your contribution keeps our reporters on "
                  "the waterfront, at city hall and in the courts, every day of the year.</p>") + "</div>",
    # The story's articleBody split into sections, each in the same two wrappers, an ad slot between them.
    '<article class="article">' + '<div class="ad-slot"></div>'.join(
        f'<div class="part"><div class="part-inner"><section class="article-section" itemprop="articleBody">{p}'
        "</section></div></div>" for p in (f"<p>{STORY[0]}</p>", f"<p>{STORY[1]}</p><p>{STORY[2]}</p>",
                                           f"<p>{STORY[3]}</p>")) + "</article>",
])
def test_a_body_split_over_wrappers_of_one_class_keeps_every_part(body):
    """The body's parts sit in twin wrappers so deep that their paragraphs' scores never reach the wrappers: every
    twin next to the body is part of it, and what follows a box that is none (the writer's) is not."""
    text = parsed(page(f"<h1>{HEADLINE}</h1>{body}"))
    assert_story(text, absent=("Support local news", "Become a member"))


def test_a_story_wrapper_named_like_furniture_keeps_the_story():
    """A theme names the story's wrapper for the share bar it also holds ("entry share"; "read-more"
    elsewhere), on a page whose other text is longer than the story: the wrapper stays, its share bar goes. Readers'
    comments and a related module, paragraphs of prose too, still leave."""
    comments = '<div class="comments-area">' + "".join(
        f'<div class="comment-body"><p>{TEASER}</p><p>{TEASER}</p><p>{TEASER}</p></div>' for _ in range(2)) + "</div>"
    related = '<div class="related-posts">' + "".join(
        f'<div class="card"><h4><a href="/p/{n}/">Park vote</a></h4><p>{TEASER}</p></div>' for n in range(3)) + "</div>"
    footer = '<div class="site-info">' + f"<p>{TEASER}</p>" * 4 + "</div>"
    body = f"""<div class="main"><article class="post"><h1>{HEADLINE}</h1><div class="entry themeform share">
<div class="entry-inner">{paragraphs()}</div><div class="sharrre-container"><span>Share this</span></div></div>
</article>{related}{comments}</div>{footer}"""
    assert_story(parsed(page(body)), absent=("Share this", "Park vote", TEASER))


def test_share_and_print_buttons_named_by_a_plugin_leave_the_body():
    """Plugins prefix their class names ("essb_share", "heateor_sss_sharing", Shariff's "shariff",
    "h5ab-print-button"): the buttons leave the body whatever words they show; a class that only says how the page
    prints ("d-print-none", "print-full", "small-print") names no button, and ratings and bookmarks are no buttons
    (a review's scores, Ghost's bookmark card of a cited report)."""
    buttons = ('<div class="essb_links essb_share"><a href="#">Pinboard</a></div>'
               '<div class="heateor_sss_sharing_container">'
               '<div class="heateor_sss_sharing_title">Pass it on</div></div>'
               '<div class="shariff"><h4>Like it? Pass it on</h4></div>'
               '<a class="h5ab-print-button" href="#">Print the tide table</a>'
               '<div class="star-rating">Rated 4 of 5</div><div class="kg-bookmark-title">The harbor report</div>')
    body = (f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{buttons}'
            f'<div class="d-print-none"><p>{STORY[0]}</p></div><div class="print-full"><p>{STORY[1]}</p></div>'
            f'{paragraphs()}</div></article>')
    text = parsed(page(body))
    assert_story(text, absent=("Pinboard", "Pass it on", "Print the tide table"))
    assert "Rated 4 of 5" in text and "The harbor report" in text


def test_links_back_to_the_overview_the_previous_page_or_the_top_leave_the_body():
    """A button back to the section's listing, the site's home, the previous page or the top of the page is
    navigation, in whatever language it is labelled; a link on to another story stays."""
    body = (f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}'
            '<p><a href="https://www.zenger.news/2024/">Return to the archive</a></p>'
            '<div class="btn"><a href="javascript:history.back()">Previous screen</a></div>'
            f'<div><a href="{URL}#">Up we go</a></div><p><a href="/">Harbor Times home</a></p>'
            '<p><a href="/2024/03/11/ferry-schedule/">Ferry schedule changes for spring</a></p></div></article>')
    text = parsed(page(body))
    assert_story(text, absent=("Return to the archive", "Previous screen", "Up we go", "Harbor Times home"))
    assert "Ferry schedule changes for spring" in text


def test_a_list_of_headlines_linking_to_the_sites_other_stories_leaves_the_body():
    """A "read also" box without a furniture class: a list whose every item is one link to another story of the
    site, with its heading. A list of links to other sites (sources), a list in a table and a list of prose stay."""
    related = ('<h3>Keep reading</h3><ul><li><a href="/2024/03/10/ferry-fares/">Ferry fares rise in April</a></li>'
               '<li><strong><a href="/2024/03/09/pier-repairs/">Pier repairs start next week</a></strong></li></ul>')
    sources = ('<ul><li><a href="https://port.example/plan.pdf">The dredging plan</a></li>'
               '<li><a href="https://grants.example/award">The federal grant</a></li></ul>')
    table = ('<table><tr><td><ul><li><a href="/about/board/">Port board</a></li>'
             '<li><a href="/about/grants/">Grant office</a></li></ul></td></tr></table>')
    prose = ('<ul><li>Deeper berths, <a href="/2024/03/01/berths/">as planned</a>, for the new cranes</li>'
             '<li>A longer season for the ferries</li></ul>')
    body = (f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">{paragraphs()}{sources}{table}'
            f'{prose}{related}</div></article>')
    text = parsed(page(body))
    assert_story(text, absent=("Keep reading", "Ferry fares rise", "Pier repairs start"))
    for kept in ("The dredging plan", "The federal grant", "Port board", "Deeper berths", "A longer season"):
        assert kept in text


# --- misses on accepted articles (dev-set triage) ----------------------------------------------------------------

def test_a_subheading_whose_id_is_a_table_of_contents_anchor_stays_in_the_body():
    # A theme's table of contents links to each subheading by an id of a "nav_" prefix and the heading's words.
    story = "".join(f"<p>{text}</p>" for text in STORY[:2]) + \
        '<h3 class="subheading" id="nav_crews_work_at__1">Crews work at night</h3>' + \
        "".join(f"<p>{text}</p>" for text in STORY[2:])
    body = page(f'<article><h1>{HEADLINE}</h1><div class="article-content">{story}</div></article>'
                '<div id="nav_links"><a href="/a/">Sections of the site and more links</a></div>')
    [result] = parse_items(body, input_name="page.html", source_url=URL)
    text = _text(result.document["bodies"][0]["value"])
    assert_story(text, absent=("Sections of the site",))
    assert "Crews work at night" in text
    assert "Crews work at night" not in str(result.document["headlines"])


def test_a_named_lead_between_the_headline_and_the_body_is_the_dek():
    # The lead sits in a wrapper of its own before the body's container ("chapo", "lead", "Vorspann"): it is the
    # dek, as a lead right under the headline is; a lead inside the body stays the body's first paragraph.
    lead = "The harbor's channel will be deepened over two years, the port authority decided on Tuesday evening."
    for name in ("chapo_block", "article-lead", "field-perex", "dig-vorspann"):
        body = page(f'<article><header><h1>{HEADLINE}</h1></header>'
                    f'<div class="paragraph paragraph--type--top"><div class="{name}"><p>{lead}</p></div></div>'
                    f'<div class="field--name-field-body"><div class="text">{paragraphs()}</div></div></article>')
        [result] = parse_items(body, input_name="page.html", source_url=URL)
        heads = {h["role"]: h["value"] for h in result.document["headlines"]}
        assert heads.get("subhead") == lead, name
        assert_story(_text(result.document["bodies"][0]["value"]))
    inside = page(f'<article><h1>{HEADLINE}</h1><div class="story"><p class="lead">{lead}</p>{paragraphs()}</div>'
                  '</article>')
    [result] = parse_items(inside, input_name="page.html", source_url=URL)
    assert lead in _text(result.document["bodies"][0]["value"])
    # A lead picture's caption is no lead.
    caption = page(f'<article><h1>{HEADLINE}</h1><div class="lead-asset"><img src="/a.jpg" alt="">'
                   f'<span class="lead-asset-caption">Dredgers at work in the harbor channel on Monday</span></div>'
                   f'<div class="field--name-field-body"><div class="text">{paragraphs()}</div></div></article>')
    [result] = parse_items(caption, input_name="page.html", source_url=URL)
    assert [h for h in result.document["headlines"] if h["role"] == "subhead"] == []


def test_a_storys_linked_subheads_inline_links_sources_and_pictures_stay():
    """What looks a little like a card in a story stays: a subhead linking to the site's topic page over the story's
    paragraphs, paragraphs whose links lead to other stories of the site, a short section under a linked subhead
    with its picture (not linked), a list of sources, and a picture linked to its enlargement with its caption."""
    sections = "".join(f'<div class="sec"><h3><a href="/topics/dredging-{i}/">Phase {i} of the work</a></h3>'
                       f'<figure><img src="/img/phase-{i}.jpg" alt=""></figure>'
                       f'<p>Phase {i} moves the dredgers to the outer berths for two months.</p></div>'
                       for i in range(1, 3))
    sources = ('<h4>Sources</h4><ul><li><a href="https://port.example/plan.pdf">The dredging plan</a></li>'
               '<li><a href="https://grants.example/award">The federal grant</a></li></ul>')
    picture = ('<div class="pic"><a href="/photos/harbor-channel/"><img src="/img/channel.jpg" alt="">'
               '<span>The main channel at low tide, seen from the pier.</span></a></div>')
    body = (f'<article class="post"><h1>{HEADLINE}</h1><div class="entry-content">'
            f'<h2><a href="/topics/harbor/">The vote</a></h2><p>{STORY[0]} It follows '
            f'<a href="/2024/02/01/first-study/">a first study</a> and <a href="/2024/02/20/hearing/">a hearing</a>.'
            f'</p><p>{STORY[1]}</p>{picture}<p>{STORY[2]}</p><p>{STORY[3]}</p>{sections}{sources}</div></article>')
    text = parsed(page(body))
    assert_story(text)
    for kept in ("The vote", "a first study", "a hearing", "Phase 1 of the work", "Phase 2 moves the dredgers",
                 "The dredging plan", "The federal grant", "The main channel at low tide"):
        assert kept in text


# --- the body's text as a reader searches it (dev-set triage) ---------------------------------------------------

def test_soft_hyphens_a_hyphenation_plugin_puts_in_every_word_leave_the_body():
    """A hyphenation plugin (wp-Typography, Hyphenator) writes a soft hyphen between the syllables of every long
    word, as a character or as "&shy;": it only says where the site's layout may break a word, and with it no word
    of the body searches as itself."""
    hyphenated = [re.sub(r"(?<=\w{3})(?=\w{3})", "\xad", text) for text in STORY[:2]]
    entities = [re.sub(r"(?<=\w{3})(?=\w{3})", "&shy;", text) for text in STORY[2:]]
    body = f'<article><h1>{HEADLINE}</h1><div class="entry-content">' + "".join(
        f"<p>{text}</p>" for text in hyphenated + entities) + "</div></article>"
    text = parsed(page(body))
    assert_story(text)
    assert "\xad" not in text


def test_ruby_annotations_leave_the_body_and_the_words_they_gloss_stay():
    """A page for learners glosses its words with ruby (furigana over kanji): the allow-list keeps no ruby markup,
    and the readings as plain text would follow each word they gloss. The words stay once, without the readings or
    the parentheses shown where ruby is not supported."""
    glossed = ("<p><ruby>港<rp>(</rp><rt>みなと</rt><rp>)</rp></ruby>の<ruby>工事<rt>こうじ</rt></ruby>が"
               "<ruby>始<rt>はじ</rt></ruby>まります。</p>")
    body = f'<article><h1>{HEADLINE}</h1><div class="entry-content">{glossed}{paragraphs()}</div></article>'
    text = parsed(page(body))
    assert_story(text)
    assert "港の工事が始まります。" in text
    assert "みなと" not in text and "こうじ" not in text


# --- refusals of real articles (dev-set triage) ----------------------------------------------------------------

def test_a_logo_heading_showing_a_long_site_name_is_no_headline():
    """A theme without an h1 shows the site's name in an h2 (its logo), and the page's <title> is "Post | Site
    Name": where the site's name is the longer part, it passed for the title's main part, the headline became the
    site's name, and the page was refused as a home page. The title names the post."""
    site = "Harbor Times of the Northern Bay Coast"
    data = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Dredging | {site}</title>
<meta property="og:site_name" content="{site}"><link rel="canonical" href="{URL}"></head>
<body><div id="header"><h2><a href="/">{site}</a></h2></div>
<div id="content"><div class="post">{paragraphs()}</div></div></body></html>""".encode()
    [result] = parse_items(data, input_name="page.html", source_url=URL)
    assert result.error is None, result.error.message
    assert result.document["headlines"][0]["value"] == "Dredging"
    assert_story(_text(result.document["bodies"][0]["value"]))
    # A home page naming only the site stays refused.
    home = data.replace(f"<title>Dredging | {site}</title>".encode(), f"<title>{site}</title>".encode())
    [result] = parse_items(home, input_name="page.html", source_url=URL)
    assert result.error is not None and str(result.error.code) == "not_an_article"


@pytest.mark.parametrize("name", ['id="mobile-nav"', 'class="main-menu"', 'class="offcanvas-navigation"'])
def test_a_menu_named_for_where_it_shows_is_furniture(name: str) -> None:
    """A theme's mobile or main menu in a <div> (not a <nav>), named for where it shows: an indented mega-menu of
    hundreds of items (the site map in the footer as long) out-scored the story, and the page was refused as a list
    of links."""
    items = "".join(f'<li class="sub">\n      <a href="/s{n}/" title="Section {n}">\n        Section {n}\n      </a>\n'
                    f'      <ul class="lvl-1">\n' + "".join(
                        f'        <li class="">\n          <a href="/s{n}/p{m}/">\n            Page {m}, part {n}\n'
                        f'          </a>\n        </li>\n' for m in range(8)) + '      </ul>\n    </li>\n'
                    for n in range(30))
    body = (f'<div class="page"><div class="head"><div {name}><div class="panel"><ul>{items}</ul></div></div></div>'
            f'<div class="row"><div class="news-single"><h1>{HEADLINE}</h1><div class="col-7"><p>'
            + "<br><br>".join(STORY) + f'</p></div></div></div></div><footer><ul>{items}</ul></footer>')
    assert_story(parsed(page(body, dated=False)), absent=("Page 3, part 4",))
