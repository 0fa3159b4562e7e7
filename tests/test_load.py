"""Decoding and limits: BOM, declared charsets, detection, NFC, size cap, binary input, deep nesting."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.parsing.extract.body import text_of
from ingest_plugin.parsing.load import _usable_text, decode, load, parse_html_fragment

TEXT = "Café “Le Quai” — déjà vu"


def _page(meta: str = "") -> str:
    return f"<html><head>{meta}<title>x</title></head><body><p>{TEXT}</p></body></html>"


@pytest.mark.parametrize("data", [
    _page('<meta charset="utf-8">').encode("utf-8"),
    _page('<meta charset="iso-8859-1">').encode("cp1252"),   # iso-8859-1 means windows-1252, as in browsers
    _page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">').encode("cp1252"),
    _page().encode("cp1252"),                                 # nothing declared: detected
    _page('<meta charset="iso-8859-1">').encode("utf-8"),    # wrongly declared: valid UTF-8 wins
    b"\xef\xbb\xbf" + _page('<meta charset="iso-8859-1">').encode("utf-8"),  # the BOM wins
    _page().encode("utf-16"),                                 # UTF-16 with BOM
])
def test_text_decodes_without_mojibake(data):
    loaded = load(data)
    assert TEXT in loaded.text
    assert "â€" not in loaded.text and "Ã" not in loaded.text


_XHTML_PROLOG = ('<?xml version="1.0" encoding="{}"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                 '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n')


@pytest.mark.parametrize("encoding, codec", [("UTF-8", "utf-8"), ("iso-8859-1", "cp1252"), ("windows-1252", "cp1252")])
def test_an_xhtml_page_opening_with_an_xml_declaration_is_read(encoding, codec):
    """Older sites serve XHTML with an XML declaration naming the encoding: lxml refuses that declaration in a str,
    and every such page was refused as "no document"."""
    loaded = load((_XHTML_PROLOG.format(encoding) + _page().replace("<html>", '<html xmlns="http://www.w3.org/1999/xhtml">'))
                  .encode(codec))
    assert loaded.kind == "html"
    assert loaded.tree.findtext(".//p") == TEXT


def test_http_header_charset_is_honoured():
    data = _page().encode("cp1252")
    assert TEXT in load(data, content_type="text/html; charset=ISO-8859-1").text


def test_output_is_nfc():
    decomposed = unicodedata.normalize("NFD", _page())
    assert load(decomposed.encode("utf-8")).text == unicodedata.normalize("NFC", _page())


def test_a_control_character_between_letter_and_mark_leaves_them_composed():
    assert "<p>caf\u00e9</p>" in decode("<p>cafe\x07\u0301</p>".encode())[0]


# Characters at the edges of NFC: combining marks, letters they compose with (ASCII or not), singletons NFC
# replaces (Angstrom, Ohm), Hangul jamo, Indic and kana pairs that compose, controls and noncharacters to drop.
_NFC_EDGES = "aeAKn <>\u0301\u0300\u0323\u0327\u212b\u2126\u1100\u1161\u11a8\uac00\u0958\u0cbf\u0cd5\u0b47" \
             "\u0b3e\u304b\u3099\u00e9\u00c5\x07\x1f\x7f\ufffe\uffff\n\t"
_UNUSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_NFC_EDGES, max_size=60))
def test_decoded_utf8_text_is_nfc_without_unusable_characters(text):
    """The decoder's shortcuts (it looks only at a page's non-ASCII characters) give what the definition says."""
    page = f"<html><body><p>{'Plain words around it. ' * 20}{text}</p></body></html>"
    assert decode(page.encode())[0] == unicodedata.normalize("NFC", _UNUSABLE.sub("", page))


@pytest.mark.parametrize("data, code", [
    (b"", ErrorCode.EMPTY_INPUT),
    (b"   \n\t  ", ErrorCode.EMPTY_INPUT),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ErrorCode.UNDECODABLE),
    (b"\x00\x01\x02\x03binary\x00\x00", ErrorCode.UNDECODABLE),
])
def test_bad_bytes_get_a_code(data, code):
    with pytest.raises(IngestError) as caught:
        load(data)
    assert caught.value.code == code


def test_size_limit_is_configurable():
    data = _page().encode()
    with pytest.raises(IngestError) as caught:
        load(data, max_bytes=len(data) - 1)
    assert caught.value.code == ErrorCode.TOO_LARGE and f"{len(data) - 1:,}" in caught.value.message
    assert load(data, max_bytes=len(data)).kind == "html"


@pytest.mark.parametrize("opening", ["<!DOCTYPE html>", "<!-- x -->", '<?xml version="1.0"?>'])
def test_deep_layout_around_nothing_is_a_coded_refusal(opening):
    """Layout tags nested past libxml2's limit are dropped for a second parse; with nothing else in the page that
    parse holds no document, which was an unexpected error (an AttributeError, before: a ParserError)."""
    with pytest.raises(IngestError) as refused:
        load((opening + "<div>" * 2100).encode())
    assert refused.value.code == ErrorCode.NOT_AN_ARTICLE and "holds no document" in refused.value.message


@pytest.mark.parametrize("depth", [300, 3000])
def test_deep_nesting_keeps_the_text(depth):
    nested = "<div>" * depth + "<p>Deep article text</p>" + "</div>" * depth
    page = f"<html><body>{nested}<p>tail</p></body></html>"
    text = text_of(load(page.encode()).tree)
    assert "Deep article text" in text and "tail" in text


def test_xml_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><item><title>A &xxe; title</title></item></channel></rss>')
    loaded = load(feed.encode())
    assert loaded.kind == "xml"
    from lxml import etree
    assert "TOP-SECRET-VALUE" not in etree.tostring(loaded.tree, encoding="unicode")


def test_billion_laughs_is_refused_not_expanded():
    lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)) + \
        ']><rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>'
    try:
        loaded = load(lol.encode())
    except IngestError as error:
        assert error.code == ErrorCode.NOT_AN_ARTICLE
    else:
        from lxml import etree
        assert len(etree.tostring(loaded.tree)) < 10_000


def test_mojibake_saved_by_the_source_is_repaired():
    raw = "<html><body><p>It’s “quoted” — café</p></body></html>".encode("utf-8")
    # as a browser shows UTF-8 read as windows-1252 (its five undefined bytes become C1 controls)
    garbled = "".join(bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b) for b in raw)
    assert "â€™" in garbled
    loaded = load(garbled.encode("utf-8"))
    assert "It’s “quoted” — café" in loaded.text


def test_text_that_only_quotes_a_mojibake_sequence_is_left_alone():
    page = "<html><body><p>The sequence “â€™” is mojibake for ’ — a known trap.</p></body></html>"
    assert "“â€™”" in load(page.encode("utf-8")).text


@pytest.mark.parametrize("declaration", ['<meta charset="utf-16">', '<meta charset="UTF-16LE">',
                                         '<meta http-equiv="Content-Type" content="text/html; charset=utf-16be">'])
def test_a_utf16_declaration_readable_as_ascii_means_utf8(declaration):
    """Regression: the page was decoded as UTF-16 (garbage); WHATWG reads such a declaration as UTF-8."""
    loaded = load(_page(declaration).encode("utf-8"))
    assert TEXT in loaded.text and loaded.encoding == "utf-8"


@pytest.mark.parametrize("declaration", ['<meta charset="utf-8">', '<meta charset="iso-8859-1">', ""])
def test_one_broken_sequence_does_not_make_a_utf8_page_legacy_text(declaration):
    """Regression: one invalid byte made the whole page windows-1252 (mojibake in every accented word)."""
    data = _page(declaration).encode("utf-8") + "<p>the caf".encode() + b"\xe9 owner</p>"
    loaded = load(data)
    assert TEXT in loaded.text and "the caf\ufffd owner" in loaded.text and loaded.encoding == "utf-8"


def test_a_windows1252_page_labelled_utf8_is_still_read_as_windows1252():
    loaded = load(_page('<meta charset="utf-8">').encode("cp1252"))
    assert TEXT in loaded.text and "\ufffd" not in loaded.text


def test_overlong_utf8_never_decodes_to_a_less_than_sign():
    data = _page('<meta charset="utf-8">').encode("utf-8") + b"<p>\xc0\xbcscript\xc0\xbe</p>"
    loaded = load(data)
    assert TEXT in loaded.text and "\ufffd\ufffdscript\ufffd\ufffd" in loaded.text


@pytest.mark.parametrize("feed", [
    '<rss version="2.0"><channel><item><title>T</title><description><![CDATA[<html><body>x]]></description></item>'
    "</channel></rss>",
    '<?xml version="1.0"?>\n<!-- cached -->\n<rss version="2.0"><channel><title>Page &lt;html&gt;</title>'
    "</channel></rss>",
])
def test_the_root_element_makes_a_feed_whatever_its_items_quote(feed):
    """Regression: '<html' anywhere in the first 2 KB (an item's CDATA) made the feed an HTML page."""
    assert load(feed.encode()).kind == "xml"


def test_a_page_that_mentions_a_feed_element_is_html():
    assert load(b"<p>Subscribe: copy the <rss> address into your reader.</p>").kind == "html"


def test_entities_of_the_rss_091_dtd_become_text():
    """Regression: ``&nbsp;`` left unresolved (no DTD is loaded) cut the title short at the first one."""
    feed = ('<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><item>'
            "<title>Caf&eacute; &amp; Bar&nbsp;Prices &copy; &unknown; <b/>2024</title></item></channel></rss>")
    assert load(feed.encode()).tree.findtext("channel/item/title") == "Café & Bar\xa0Prices © &unknown; "


def test_a_json_number_too_long_to_convert_is_a_coded_error():
    """Regression: an integer over 4,300 digits raised ValueError out of load()."""
    with pytest.raises(IngestError) as caught:
        load(b'[{"id": ' + b"9" * 5000 + b"}]")
    assert caught.value.code == ErrorCode.NOT_AN_ARTICLE


def test_json_escapes_cannot_bring_back_control_characters():
    """Regression: "\\b" or "\\u000b" in a story reached lxml, which refuses them (ValueError)."""
    story = load(b'[{"title": "Ford\\b Sinks\\u000b", "body": "<p>x\\u001f y\\uffff</p>", "\\u0007id": "\\ud800"}]')
    assert story.tree == [{"title": "Ford Sinks", "body": "<p>x y</p>", "id": "\ufffd"}]


@pytest.mark.parametrize("markup", ["<!DOCTYPE html>", "<!DOCTYPE", "<html></html>", "<html><head><title>x</title>"])
def test_a_fragment_with_no_body_parses_to_an_empty_div(markup):
    """Regression: lxml's fragment parser raised ParserError('Document is empty') or an AssertionError."""
    root = parse_html_fragment(markup)
    assert root.tag == "div" and len(root) == 0 and not root.text


def test_a_fragment_keeps_what_a_whole_document_body_holds():
    root = parse_html_fragment("<!DOCTYPE html><html><head><title>t</title></head><body>Lead <p>Text</p></body>")
    assert root.text == "Lead " and [p.text for p in root] == ["Text"]


@pytest.mark.parametrize("text", ["a\x01b\x1fc\x7fd", "a\ufffeb\uffffc", "caf\u0065\u0301 \x0b\u00c3\u00a9"])
def test_unusable_characters_go_whether_found_in_the_utf8_bytes_or_the_text(text):
    expected = _usable_text(text, None)
    assert _usable_text(text, text.encode("utf-8")) == expected
    assert decode(text.encode("utf-8"))[0] == expected
    assert not any(char in expected for char in "\x01\x0b\x1f\x7f\ufffe\uffff")
