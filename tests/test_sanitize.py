"""Hostile markup in a partner page never reaches a published body, caption or embed."""
import json
import re

import pytest

from ingest_plugin import parse
from tests.pagebuilder import zenger_page

VECTORS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="JaVaScRiPt:alert(1)">case</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">entities</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<svg onload=alert(1)><circle/></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<iframe src="https://evil.example/" srcdoc="<script>alert(1)</script>"></iframe>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div style="width: expression(alert(1))">expr</div>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><button formaction="javascript:alert(1)">x</button></form>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<p onclick="alert(1)" onmouseover="alert(1)">handlers</p>',
    '<scr<script>ipt>alert(1)</scr</script>ipt>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<!--[if gte IE 4]><script>alert(1)</script><![endif]-->',
    '<img src="data:image/svg+xml;base64,PHN2Zy8+" alt="svg">',
]
EXECUTABLE = re.compile(r"<script|<iframe|<svg|<math|<style|<object|<embed|<form|<base|<meta|\son\w+\s*=|"
                        r"javascript:|vbscript:|data:|srcdoc|expression\(", re.I)


def _all_html(doc: dict) -> list[str]:
    """Every HTML string a CMS would render: the body, embed bodies, captions."""
    values = [b["value"] for b in doc["bodies"]]
    for association in doc.get("associations", []):
        values += [b["value"] for b in association.get("bodies", [])]
        values += [d["value"] for d in association.get("descriptions", [])]
        values += [r.get("href", "") for r in association.get("renditions", [])]
    return values


@pytest.mark.parametrize("vector", VECTORS)
def test_no_executable_content_survives(vector):
    body = (f"<p>WASHINGTON — Officials said on Tuesday that a vote is expected soon on the measure. {vector} "
            "The proposal has drawn support from both parties in committee hearings held this month.</p>"
            f"<figure class='wp-block-image'><img src='https://wpcdn.zenger.news/a.jpg'><figcaption>Caption "
            f"{vector} here. JANE DOE</figcaption></figure>"
            "<p>A second paragraph of the story gives more background on the bill and the vote count.</p>")
    [doc] = parse(zenger_page(body).encode())
    for html in _all_html(doc):
        assert not EXECUTABLE.search(html), html
    assert "Officials said on Tuesday" in doc["bodies"][0]["value"]


def test_links_are_web_or_mail_only_and_marked_nofollow():
    body = ("<p>Read <a href='https://example.com/x'>this</a>, <a href='mailto:desk@zenger.news'>mail us</a>, "
            "<a href='ftp://example.com/f'>ftp</a>, <a href=''>empty</a> and <a href='http://'>broken</a>. "
            "More text follows here so the article is long enough to be an article.</p>" * 2)
    [doc] = parse(zenger_page(body).encode())
    hrefs = re.findall(r'href="([^"]*)"', doc["bodies"][0]["value"])
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) and len(h) > 8 for h in hrefs)
    assert 'rel="noopener noreferrer nofollow"' in doc["bodies"][0]["value"]


def test_tweet_embed_keeps_only_its_quote():
    body = ('<p>WASHINGTON — The minister posted on social media after the meeting ended late on Sunday night.</p>'
            '<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter">'
            '<div class="wp-block-embed__wrapper"><blockquote class="twitter-tweet" data-width="550" '
            'onmouseover="alert(1)"><p lang="en" dir="ltr">Hello <a href="javascript:alert(1)">x</a></p>'
            '&mdash; Someone (@someone) <a href="https://twitter.com/someone/status/123?ref_src=twsrc">June 1, '
            '2023</a></blockquote><script async src="https://platform.twitter.com/widgets.js"></script>'
            '</div></figure><p>More of the story follows the tweet and explains what it meant for the talks.</p>')
    [doc] = parse(zenger_page(body).encode())
    [tweet] = [a for a in doc["associations"] if a["name"] == "tweet-1"]
    assert tweet["uri"] == "https://twitter.com/someone/status/123"
    assert tweet["by"] == "@someone"
    embed = tweet["bodies"][0]["value"]
    assert embed.startswith('<blockquote class="twitter-tweet"') and not EXECUTABLE.search(embed)
    assert '<div data-association="tweet-1"></div>' in doc["bodies"][0]["value"]
    assert "widgets.js" not in json.dumps(doc)


def test_every_rendering_takes_what_the_sanitiser_keeps():
    """Markup real pages carry (a Wikipedia page's lang and title attributes, links with a quote, a backtick or a
    broken IPv6 literal) is published, and every rendering takes it: the canonical body holds only what the
    renderings' allow-list allows, and its links are URIs."""
    from ingest_plugin.parsing.render import PROFILES, render

    body = ('<p>WASHINGTON — <i lang="mi" title="Māori language text">Aotearoa</i> was named in the debate, '
            '<a href="https://en.wikipedia.org/wiki/People\'s_Republic_of_China">China</a> and '
            '<a href="https://example.com/a`b c">a sloppy link</a> were cited, '
            '<abbr title="Congressional Budget Office">CBO</abbr> figures too.</p>'
            '<div lang="en"><p>A dead link: <a href="http://[broken/">here</a>, in a second paragraph of the story '
            'with enough text to be one.</p></div><blockquote cite="https://example.com/it\'s"><p>A quote.</p>'
            '</blockquote><p>And <a href="https://münchen.de/bürger\'s-guide">a guide</a> and <a href="https://www.'
            'example.com/a-long-\nslug/">a wrapped link</a>.</p>')
    [doc] = parse(zenger_page(body).encode())
    value = doc["bodies"][0]["value"]
    assert "lang=" not in value and 'title="Māori' not in value
    assert '<abbr title="Congressional Budget Office">' in value  # the attributes the allow-list names stay
    assert 'href="https://en.wikipedia.org/wiki/People%27s_Republic_of_China"' in value
    assert 'href="https://example.com/a%60b%20c"' in value and 'cite="https://example.com/it%27s"' in value
    assert "A dead link: here, in a second" in value  # the link goes, its words stay
    assert 'href="https://xn--mnchen-3ya.de/b%C3%BCrger%27s-guide"' in value  # the host in ASCII, as in a cite
    assert 'href="https://www.example.com/a-long-slug/"' in value  # a line break in a URL is no character of it
    for profile in PROFILES:
        assert render(doc, profile).objects, profile
