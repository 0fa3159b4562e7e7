"""Decoding and limits: BOM, declared charsets, detection, NFC, size cap, binary input, deep nesting."""
import unicodedata

import pytest

from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.load import load

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


def test_http_header_charset_is_honoured():
    data = _page().encode("cp1252")
    assert TEXT in load(data, content_type="text/html; charset=ISO-8859-1").text


def test_output_is_nfc():
    decomposed = unicodedata.normalize("NFD", _page())
    assert load(decomposed.encode("utf-8")).text == unicodedata.normalize("NFC", _page())


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


@pytest.mark.parametrize("depth", [300, 3000])
def test_deep_nesting_keeps_the_text(depth):
    nested = "<div>" * depth + "<p>Deep article text</p>" + "</div>" * depth
    page = f"<html><body>{nested}<p>tail</p></body></html>"
    text = load(page.encode()).tree.text_content()
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
