"""Photos and tweets lifted from bodies: real image behind lazy-loading, caption/credit split, embed variants."""
import pytest

from ingest_plugin.extract.media import lift_pictures, lift_tweets, normalise_credit, split_caption_credit
from ingest_plugin.load import parse_html_fragment


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
])
def test_caption_and_credit_split(caption, expected):
    assert split_caption_credit(caption) == expected


@pytest.mark.parametrize("raw, credit", [
    ("Photo by Jaime Spaniol on Unsplash", "Jaime Spaniol/Unsplash"), ("Photo courtesy: Shutterstock", "Shutterstock"),
    ("© DARRIAN TRAYNOR", "Darrian Traynor"), ("Byron Smith/AP", "Byron Smith/AP"),
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
