"""Small text helpers shared by every stage: entity decoding, whitespace, URL clean-up, dates."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import TypeGuard
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

import nh3

from ingest_plugin.parsing.markup import short_texts

_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]+);", re.I)
# What a browser reads as the start of a tag, comment, declaration or processing instruction.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_TAG_OPENERS = re.compile(r"(?<!<)<+(?=[A-Za-z/!?])")  # from a run's start only: linear on a run of "<"
_MAX_MARKUP_PASSES = 4
# Unicode's control (Cc) and format (Cf) characters but the two joiners: bidi overrides, isolates and marks, soft
# hyphen, zero-width space, BOM, tag characters... As of Unicode 15 (U+13439-1343F are unassigned in Python 3.11's
# Unicode 14); tests/test_plain_text.py checks the classes against the running Python's unicodedata. Those beyond
# U+FFFF are a class apart: in one class with them, the others are no longer looked up in a bitmap (3.5x slower).
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
                        r"\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_INVISIBLE_ASTRAL = re.compile(r"[\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
                               r"\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ: Persian, Indic scripts and emoji sequences need them between characters
# Characters RFC 3986 allows in a path, query or fragment, less the quote (it could end an HTML attribute), and a
# "%" that starts no escape: each is percent-encoded as UTF-8.
_NOT_IN_URL = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&()*+,;=:@/?%]")
_TAB_AND_NEWLINE = {9: None, 10: None, 13: None}
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_PLAIN_WEB_ORIGIN = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?=[/?]|$)")
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
# "March 12, 2025" and, day first, "12 March 2025" (Drupal's and Ghost's default formats), ordinals too ("June 3rd,
# 2025", Grav's "12th Mar 2025"), with a time after it.
_VISIBLE_DATE = re.compile(rf"\b(?:(?P<month>{_MONTH}) (?P<day>\d{{1,2}})(?:st|nd|rd|th)?,|(?P<day_first>\d{{1,2}})"
                           rf"(?:st|nd|rd|th)? (?P<month_after>{_MONTH})) (?P<year>\d{{4}})\b"
                           r"(?:,? (?:at )?(?P<hour>\d{1,2}):(?P<minute>\d{2}) ?(?P<half>[AaPp][Mm])?)?")
# A label saying the date after it is a later one, within a few characters before it ("Updated: ", "Last edited on").
_UPDATE_LABEL = re.compile(r"(?:updated|modified|edited|revised)\W{0,3}(?:on|at)?\W{0,3}$", re.I)
_UPDATE_LABEL_REACH = 24
_TRACKING_PARAM = re.compile(r"^(?:utm_\w+|itm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|src|trk|cmpid)$", re.I)


def clean(text: object, *, markup: bool = True) -> str:
    """Plain text as a reader sees it: entities decoded (twice-encoded ones too), invisible characters removed,
    NBSP and runs of space collapsed: the one normalisation of every plain-text field.

    Removed are the control and format characters (Unicode Cc, Cf) but ZWNJ and ZWJ: bidi overrides and isolates
    (U+202E, U+2066...) reorder what a reader sees, and marks and zero-width characters hide in it, which allows
    spoofed names and headlines. The joiners stay inside words (Persian, Indic scripts, emoji sequences); a word
    made of joiners only goes. A soft hyphen (U+00AD) is removed, not made a hyphen: it only says where a word may
    break, and without it the word reads, searches and dedupes as the same word. A zero-width space (U+200B) is
    removed, not made a space: Thai and Khmer use it between words that show no space. The controls Unicode counts
    as white space (tab, line breaks, NEL, U+001C-001F) separate words, as any space does.

    ``markup=False`` is for text read from a parsed document (an element's text): any "<" in it was escaped in the
    source, so text that looks like a tag ("<Title>") is kept as text. A raw field (a JSON or RSS title, a meta
    tag) may carry real markup, which is stripped (see :func:`_text_of_markup`).

    Accepts anything a JSON payload may hold: numbers become text, other non-strings become empty.
    """
    if _is_plain(text):
        return text.strip()
    return " ".join(clean_words(text, markup=markup))


def holds_markup(text: str) -> bool:
    """Whether a text holds a tag: a page, where plain prose holds none."""
    return _MARKUP.search(text) is not None


def _is_plain(text: object) -> TypeGuard[str]:
    """True when ``clean(text)`` is just ``text.strip()`` (most text is), decided without splitting it into words.

    Every character ``str.split()`` splits on, but the space, is unprintable, and so is every invisible character
    :func:`clean` removes: a printable text without two spaces in a row has single spaces between its words
    already, and nothing to remove."""
    return (type(text) is str and "<" not in text and "  " not in text and text.isprintable()
            and ("&" not in text or not _ENTITY.search(text)))


def clean_words(text: object, *, markup: bool = True) -> list[str]:
    """The space-separated words of ``clean(text)``, for a caller that counts them: no second split of the text
    (unless it holds invisible characters)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    if not text or not isinstance(text, str):
        return []
    for _ in range(2):  # feeds double-encode: "&amp;#8217;"
        if "&" not in text or not _ENTITY.search(text):
            break
        text = html.unescape(text)
    if markup and "<" in text and _MARKUP.search(text):  # a title or tag that arrived as HTML: keep its text only
        text = _text_of_markup(text)
    # str.split() splits on every Unicode space, NBSP included, and is much faster than a regex. What it leaves
    # is printable unless an invisible character is in it: one check of the joined words spares most texts the
    # regex.
    words = text.split()
    return words if "".join(words).isprintable() else _visible_words(words)


def _visible_words(words: list[str]) -> list[str]:
    """``words`` without invisible characters, and without words made of joiners only (they join nothing)."""
    text = _INVISIBLE.sub("", " ".join(words))
    if text.isprintable():
        return text.split()
    text = _INVISIBLE_ASTRAL.sub("", text)  # joiners, or characters beyond U+FFFF: rare, and a slower class
    return [word for word in text.split() if word.strip(_JOINERS)]


def _text_of_markup(markup: str) -> str:
    """The text a reader sees in ``markup``, with nothing left that a browser would read as a tag.

    That text can itself look like markup: the content of raw-text elements (``<xmp>``, ``<title>``, ``<textarea>``)
    and tags split by an inner tag (``<<b></b>script>``) show as "<script>". Such text is stripped again, keeping its
    words (it was text, not a script to drop), a few times at most (each pass peels one layer, so the number of
    passes is bounded rather than the input's to choose); a "<" that would still open a tag is then dropped.
    """
    text = html.unescape(nh3.clean(short_texts(markup), tags=set()))
    for _ in range(_MAX_MARKUP_PASSES):
        if not _MARKUP.search(text):
            return text
        text = html.unescape(nh3.clean(short_texts(text), tags=set(), clean_content_tags=set()))
    return _TAG_OPENERS.sub("", text)


def web_url(value: str, base: str | None = None) -> str | None:
    """``value`` (resolved against ``base``) as the absolute http(s) URL a browser would request, or None when it
    names no web host.

    As the WHATWG URL parser does, tabs and line breaks are dropped, backslashes are read as slashes, an international
    host name is written in ASCII (percent-escaped or not), and spaces, quotes and non-ASCII characters are
    percent-encoded: the result is a valid URI that cannot break out of an HTML attribute, so a picture or link with a
    sloppy URL is kept rather than failing its article.
    """
    try:
        value = value.strip()
        if "\n" in value or "\t" in value or "\r" in value:  # rare; a translation reads every character
            value = value.translate(_TAB_AND_NEWLINE)
        url = value if not base or value.startswith(("http://", "https://")) else urljoin(base, value)
        origin = _PLAIN_WEB_ORIGIN.match(url)
        if origin and not _NOT_IN_URL.search(url, origin.end()):
            return url  # the common case, decided by two regular expressions: nothing to encode
        parts = urlsplit(url.replace("\\", "/"))
        netloc = parts.netloc if _PLAIN_HOST.fullmatch(parts.netloc) else _ascii_netloc(
            unquote(parts.hostname or ""), parts.port)
    except (ValueError, UnicodeError):  # an unclosed "[" IPv6 literal, a bad port, a host IDNA refuses
        return None
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or "") or netloc is None:
        return None
    path, query, fragment = (_NOT_IN_URL.sub(_percent_encoded, part) for part in (parts.path, parts.query,
                                                                                    parts.fragment))
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _ascii_netloc(host: str | None, port: int | None) -> str | None:
    """Host (IDNA, lower case) and port only: user information has no place in a published URL."""
    host = host.encode("idna").decode("ascii") if host else ""
    if not _PLAIN_HOST.fullmatch(host):
        return None
    return host if port is None else f"{host}:{port}"


def _percent_encoded(match: re.Match) -> str:
    return quote(match.group(), safe="")


def is_web_url(value: str | None) -> bool:
    """An http(s) URL with a real host name, or a mailto: with an address: what we may publish as a link."""
    try:
        parts = urlsplit((value or "").strip())
    except ValueError:  # an unclosed "[" IPv6 literal, a bad port: a dead link, not a broken article
        return False
    if parts.scheme == "mailto":
        return bool(parts.path)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters or fragment, usable as a dedupe key, written as :func:`web_url` writes
    every URL we publish (a quote, space or apostrophe percent-encoded, no user information); None when it names no
    web host."""
    if not url:
        return None
    try:
        parts = urlsplit(clean(url))
        hostname = parts.hostname
    except ValueError:  # an unclosed "[" IPv6 literal
        return None
    if parts.scheme not in ("http", "https") or not hostname:
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAM.match(k)])
    return web_url(urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", query, "")))


def parse_datetime(value: str | None, zone: tzinfo = timezone.utc) -> datetime | None:
    """ISO 8601 / RFC 3339, RFC 2822 (Benzinga API, RSS), JavaScript ``Date.toString`` or a visible
    "April 2, 2022 9:12 AM". A time without an offset is read in ``zone`` (the partner's newsroom time)."""
    if not value:
        return None
    value = clean(value)
    parsed = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = _js_date(value) or _visible_date(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def find_visible_date(text: str) -> str | None:
    """The first "Month D, YYYY[ H:MM AM]" or "D Month YYYY[ H:MM]" in a line of page text that no "Updated" (or
    the like) just before it marks as a later time ("Updated 14 Mar 2025 · Published March 12, 2025")."""
    return next((match.group(0) for match in _VISIBLE_DATE.finditer(text or "")
                 if not _UPDATE_LABEL.search(text, max(0, match.start() - _UPDATE_LABEL_REACH), match.start())), None)


def without_visible_dates(text: str) -> tuple[str, int]:
    """``text`` with each date :func:`find_visible_date` would read in it made a space, and how many there were."""
    return _VISIBLE_DATE.subn(" ", text)


def _js_date(value: str) -> datetime | None:
    match = re.match(r"\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})", value)
    return datetime.strptime(" ".join(match.groups()), "%b %d %Y %H:%M:%S %z") if match else None


def _visible_date(value: str) -> datetime | None:
    match = _VISIBLE_DATE.fullmatch(value.strip())
    if not match:
        return None
    month, day, year, hour, minute, half = (match["month"] or match["month_after"], match["day"] or match["day_first"],
                                            *match.group("year", "hour", "minute", "half"))
    try:
        parsed = datetime.strptime(f"{month[:3]} {day} {year}", "%b %d %Y")
    except ValueError:
        return None
    if hour:
        hour_24 = int(hour) % 12 + (12 if (half or "").lower() == "pm" else 0) if half else int(hour)
        parsed = parsed.replace(hour=hour_24, minute=int(minute))
    return parsed


def rfc3339(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# What may end a sentence: a full stop (whose word decides, see _ends_sentence), "?", "!", "…" or "..." before a
# space, and the marks of other scripts that need none (Chinese and Japanese full-width ones, the Arabic question
# mark, the Devanagari danda, the Urdu full stop).
_SENTENCE_MARK = re.compile(r"(?:\.\.\.|[.!?…])(?=\s)|[。！？؟।۔]")
_FULL_STOPS_WITHOUT_SPACE = "。।۔"  # dropped, as a full stop is
# Titles a full stop follows inside a sentence ("Gov. Gavin Newsom"), and abbreviations that end one only before a
# word in capitals ("Walmart Inc. announced", "On Dec. 12", but "…at Apple Inc. The company").
_TITLES = frozenset("mr mrs ms dr prof gov sen rep gen col lt sgt capt cmdr adm maj rev hon pres st mt".split())
_ABBREVIATIONS = frozenset("""ave blvd rd jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd bros jr sr
    no vs calif ariz colo conn fla ga ill ind kan ky la md mass mich minn miss mo mont neb nev okla ore pa penn tenn
    tex va vt wash wis wyo dept univ assn""".split())
_LONGEST_DERIVED_HEADLINE = 110


def headline_from_text(text: str) -> str:
    """The headline of an item that names none (RSS 2.0 allows an item of only a description; a page may have no
    title anywhere): its text's first sentence, less a full stop, cut at the last word within the length of a long
    headline. An editor sees the story under it in the CMS until they write one. Reads a headline's length of the
    text, whatever its size."""
    head = text[:_LONGEST_DERIVED_HEADLINE + 1]
    for mark in _SENTENCE_MARK.finditer(text, 0, _LONGEST_DERIVED_HEADLINE + 2):
        start, end, found = mark.start(), mark.end(), mark.group()
        if start > _LONGEST_DERIVED_HEADLINE:
            break
        if found in _FULL_STOPS_WITHOUT_SPACE:
            return head[:start].strip()
        if found in "！？؟":
            return head[:end].strip()
        following = text[end:end + 8].lstrip()[:1]
        if following.islower():  # a sentence goes on ("cut 500 jobs… and more")
            continue
        if found != ".":
            return head[:end].strip()
        if _ends_sentence(head[:start], following):  # an abbreviation keeps its dot ("…at Apple Inc.")
            return head[:start + _abbreviation_ends(head[:start])].strip()
    if len(text) <= _LONGEST_DERIVED_HEADLINE:
        text = text.strip()
        return text[:-1] if text.endswith(".") and _ends_sentence(text[:-1], "") else text
    cut = head.rfind(" ")
    return head[:cut if cut > 0 else _LONGEST_DERIVED_HEADLINE].rstrip(" ,;:.-\u2013\u2014") + "…"


def _ends_sentence(before: str, following: str) -> bool:
    """Whether a full stop after ``before``, followed by the character ``following`` ("" at the end), ends a
    sentence: not after an initial or a word holding one ("J.", "U.S.", "p.m."), nor after a title; after an
    abbreviation only before a word (not "Dec. 12"), and never at the end of the text (its dot is part of it)."""
    word = before[before.rfind(" ") + 1:]
    if not word or "." in word or len(word) == 1 and word.isalpha():
        return False
    if word[0].isupper() and word.lower() in _TITLES:
        return False
    return not _abbreviation_ends(before) or following != "" and not following.isdigit()


def _abbreviation_ends(before: str) -> bool:
    """Whether ``before`` ends in a capitalised abbreviation of _ABBREVIATIONS ("Inc", "Pa")."""
    word = before[before.rfind(" ") + 1:]
    return word[:1].isupper() and word.lower() in _ABBREVIATIONS
