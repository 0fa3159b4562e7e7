"""Photos and tweets lifted from bodies: real image behind lazy-loading, caption/credit split, embed variants."""
import pytest

from ingest_plugin.parsing.extract.body import text_of
from ingest_plugin.parsing.extract.media import (
    credit_line,
    lift_pictures,
    lift_tweets,
    normalise_credit,
    split_caption_credit,
)
from ingest_plugin.parsing.load import parse_html_fragment
from ingest_plugin.parsing.text import web_url


@pytest.mark.parametrize("caption, expected", [
    ("Blinken is the highest-ranking official since January 2021. DARRIAN TRAYNOR",
     ("Blinken is the highest-ranking official since January 2021.", "Darrian Traynor")),
    ("A man walks home. (Photo by Jane Doe/Getty Images)", ("A man walks home.", "Jane Doe/Getty Images")),
    ("People queue for water. Jane Doe/Getty Images", ("People queue for water.", "Jane Doe/Getty Images")),
    ("Market day in Lagos. Photo: Shutterstock", ("Market day in Lagos.", "Shutterstock")),
    ("Protest in Kyiv. AFP/GETTY IMAGES", ("Protest in Kyiv.", "AFP/Getty Images")),
    ("Workers on a roof. (Photo by Thandiwe Mokoena/AFP via Getty Images)",
     ("Workers on a roof.", "Thandiwe Mokoena/AFP via Getty Images")),
    ("A caption that only mentions the U.S. and NATO.", ("A caption that only mentions the U.S. and NATO.", None)),
    # A partner's product or desk in parentheses is no photographer (the partners' names come from configuration).
    ("Chart of the day. (Benzinga Pro)", ("Chart of the day. (Benzinga Pro)", None)),
    ("Shares rose on the exchange. (Benzinga Neuro)", ("Shares rose on the exchange. (Benzinga Neuro)", None)),
    # Hugo's figure shortcode writes the attribution right after the caption, with no space.
    ("Boats wait in the bay on Friday.Photo: Ana Lima/Harbor Times", ("Boats wait in the bay on Friday.",
                                                                      "Ana Lima/Harbor Times")),
    ("Crowds in the U.S.Photographers were kept back.", ("Crowds in the U.S.Photographers were kept back.", None)),
])
def test_caption_and_credit_split(caption, expected):
    assert split_caption_credit(caption) == expected


@pytest.mark.parametrize("raw, credit", [
    ("Photo by Jaime Spaniol on Unsplash", "Jaime Spaniol/Unsplash"), ("Photo courtesy: Shutterstock", "Shutterstock"),
    ("© DARRIAN TRAYNOR", "Darrian Traynor"), ("Byron Smith/AP", "Byron Smith/AP"),
    ("Photo by Celia Marsh | Ridge Courier", "Celia Marsh/Ridge Courier"),
])
def test_credit_normalised_as_a_picture_desk_writes_it(raw, credit):
    assert normalise_credit(raw) == credit


def test_largest_real_image_behind_lazy_loading():
    body = parse_html_fragment(
        '<figure class="wp-block-image"><img src="data:image/gif;base64,R0lGOD" '
        'data-src="https://wpcdn.zenger.news/u/a-1024x683.jpg" width="1024" height="683" '
        'data-srcset="https://wpcdn.zenger.news/u/a-1024x683.jpg 1024w, '
        'https://wpcdn.zenger.news/u/a-scaled.jpg 2560w">'
        '<figcaption>Caption. <span class="credit">JANE DOE</span></figcaption></figure>'
        '<p><img src="https://www.globenewswire.com/newsroom/ti?nf=abc" width="1" height="1"></p>'
        '<p><img src="https://ml.globenewswire.com/media/x/small/npl-logo.png" alt="Primary Logo"></p>'
        '<picture><source srcset="https://cdn.example.com/big.webp 2000w"><img src="https://cdn.example.com/s.jpg">'
        '</picture>')
    pictures = lift_pictures(body, None)
    assert [(p.href, p.width, p.height, p.caption, p.credit) for p in pictures] == [
        ("https://wpcdn.zenger.news/u/a-scaled.jpg", 2560, 1708, "Caption.", "Jane Doe"),
        ("https://cdn.example.com/big.webp", 2000, None, None, None)]


def test_a_cdn_url_holding_commas_in_a_srcset_is_the_picture_url():
    """Substack's image CDN (as Cloudinary's and imgix's) puts commas in its URLs ("w_1456,c_limit,f_webp"): a
    srcset candidate's URL runs to white space, and only a comma after it ends the candidate. Split at every comma,
    the URL came out as a link to nowhere on the page's own host."""
    cdn = "https://substackcdn.com/image/fetch"
    srcset = ", ".join(f"{cdn}/w_{w},c_limit,f_webp,q_auto:good/https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com"
                       f"%2Fpublic%2Fimages%2Fbarges.jpeg {w}w" for w in (424, 848, 1456))
    body = parse_html_fragment(
        '<div class="captioned-image-container"><figure><a class="image-link image2 is-viewable-img" target="_blank" '
        f'href="{cdn}/f_auto,q_auto:good/barges.jpeg"><div class="image2-inset"><picture><source type="image/webp" '
        f'srcset="{srcset}" sizes="100vw"><img src="{cdn}/w_1456,c_limit,f_auto/barges.jpeg" '
        f'srcset="{srcset.replace("f_webp", "f_auto")}" width="1456" height="971" class="sizing-normal" alt="" '
        'loading="lazy"></picture></div></a><figcaption class="image-caption">Barges wait in the bay. Photo: Ana Lima'
        '</figcaption></figure></div>')
    [picture] = lift_pictures(body, "https://harbornotes.substack.com/p/dredging-plan")
    assert (picture.href, picture.width, picture.caption, picture.credit) == (
        f"{cdn}/w_1456,c_limit,f_auto,q_auto:good/https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com%2Fpublic%2F"
        "images%2Fbarges.jpeg", 1456, "Barges wait in the bay.", "Ana Lima")


def test_tweet_variants_become_placeholders():
    body = parse_html_fragment(
        '<figure class="wp-block-embed is-provider-twitter wp-block-embed-twitter">'
        '<div class="wp-block-embed__wrapper">'
        'https://twitter.com/SpokespersonCHN/status/1670334346735198208</div></figure>'
        '<blockquote><p>Hope this</p>— Hua (@Spok) <a href="https://x.com/Spok/status/99?s=20">June 1</a></blockquote>'
        '<blockquote><p>A quote from a speech, not a tweet.</p></blockquote>')
    tweets = lift_tweets(body)
    assert [(t.name, t.uri, t.handle) for t in tweets] == [
        ("tweet-1", "https://twitter.com/SpokespersonCHN/status/1670334346735198208", "@SpokespersonCHN"),
        ("tweet-2", "https://x.com/Spok/status/99", "@Spok")]
    assert len(body.xpath("//*[@data-association]")) == 2 and len(body.xpath("//blockquote")) == 1


@pytest.mark.parametrize("url, base, expected", [
    ("https://cdn.example.com/a b.jpg", None, "https://cdn.example.com/a%20b.jpg"),
    ("https://cdn.example.com/ü.jpg?w=1 2#x y", None, "https://cdn.example.com/%C3%BC.jpg?w=1%202#x%20y"),
    ('https://cdn.example.com/a.jpg" onerror="x', None, "https://cdn.example.com/a.jpg%22%20onerror=%22x"),
    ("https://cdn.example.com/it's<b>|^%zz%20.jpg", None, "https://cdn.example.com/it%27s%3Cb%3E%7C%5E%25zz%20.jpg"),
    ("https://Bücher.example:8443/a.jpg", None, "https://xn--bcher-kva.example:8443/a.jpg"),
    ("https://user:secret@cdn.example.com\\a.jpg", None, "https://cdn.example.com/a.jpg"),
    (" /u/a.jpg ", "https://www.zenger.news/2024/x/", "https://www.zenger.news/u/a.jpg"),
    ("//cdn.example.com/a.jpg", "https://www.zenger.news/", "https://cdn.example.com/a.jpg"),
    ("//cdn.example.com/a.jpg", None, None), ("/u/a.jpg", None, None), ("javascript:alert(1)", None, None),
    ("data:image/png;base64,iVBORw0KGgo=", None, None), ("mailto:a@example.com", None, None),
    ("https://localhost/a.jpg", None, None), ("http://[::1", None, None), ("https://a b.example/x.jpg", None, None),
    ("https://cdn.example.com:99x/a.jpg", None, None),
])
def test_web_url_is_what_a_browser_requests_or_none(url, base, expected):
    assert web_url(url, base) == expected


def test_a_picture_with_a_sloppy_url_is_kept_percent_encoded():
    """Regression: a space, a quote or a non-ASCII character in a picture URL failed the whole article."""
    body = parse_html_fragment(
        '<figure class="wp-block-image"><img src="https://wpcdn.zenger.news/u/Zürich 1.jpg" width="800" '
        'height="600"><figcaption>Zürich. JANE DOE</figcaption></figure>'
        '<figure class="wp-block-image"><img src="/u/Genève.jpg" srcset="/u/Genève-300.jpg 300w, '
        '/u/Genève-2048.jpg 2048w" width="800" height="600"></figure>'
        '<p><img src="https://no host/x.jpg" width="800" height="600"></p>')
    pictures = lift_pictures(body, "https://www.zenger.news/2024/06/05/story/")
    assert [(p.href, p.width, p.caption) for p in pictures] == [
        ("https://wpcdn.zenger.news/u/Z%C3%BCrich%201.jpg", 800, "Zürich."),
        ("https://www.zenger.news/u/Gen%C3%A8ve-2048.jpg", 2048, None)]
    assert len(body.xpath("//img")) == 0


def test_captions_and_credits_left_without_their_picture_leave_the_body():
    """A page that loads its pictures by script leaves their captions and credits in the markup: a figure of text
    alone, a caption-named paragraph, a credit-named line; they leave the body with the pictures that did. A figure
    holding an embed keeps its caption, and a pull quote written as a figure stays."""
    root = parse_html_fragment(
        '<div><p>The ferry left at dawn.</p>'
        '<figure class="lead"><span class="description">Ana Lima/Harbor Times</span></figure>'
        '<div class="wp-caption"><p class="wp-caption-text">The dock at low tide. Photo: Ana Lima</p></div>'
        '<p>The crossing took an hour.</p><span class="image-copyright">© Rui Sousa/Coast Agency</span>'
        '<figure><iframe src="https://video.example/1"></iframe><figcaption>The crossing, filmed</figcaption></figure>'
        '<figure><blockquote>We will sail again.</blockquote></figure></div>')
    assert lift_pictures(root, "https://news.example/") == []
    text = text_of(root)
    for gone in ("Ana Lima", "The dock at low tide", "Rui Sousa"):
        assert gone not in text
    for kept in ("The ferry left at dawn.", "The crossing took an hour.", "The crossing, filmed",
                 "We will sail again."):
        assert kept in text


@pytest.mark.parametrize("line, credit", [
    ("Foto: Ingo Brandt", "Ingo Brandt"), ("(Credit: Jane Doe / Harbor Times)", "Jane Doe/Harbor Times"),
])
def test_a_credit_line_in_other_words_or_parentheses(line, credit):
    assert credit_line(line) == credit
