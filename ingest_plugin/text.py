"""Small text helpers shared by every stage: entity decoding, whitespace, URL clean-up, dates."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import nh3

_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]+);", re.I)
_MARKUP = re.compile(r"<[A-Za-z/!]")
_VISIBLE_DATE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (\d{1,2}), (\d{4})"
                           r"(?:,? (?:at )?(\d{1,2}):(\d{2}) ?([AaPp][Mm])?)?")
_TRACKING_PARAM = re.compile(r"^(?:utm_\w+|itm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|src|trk|cmpid)$", re.I)


def clean(text: object) -> str:
    """Plain text as a reader sees it: entities decoded (twice-encoded ones too), NBSP and runs of space collapsed.

    Accepts anything a JSON payload may hold: numbers become text, other non-strings become empty.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    if not text or not isinstance(text, str):
        return ""
    for _ in range(2):  # feeds double-encode: "&amp;#8217;"
        if "&" not in text or not _ENTITY.search(text):
            break
        text = html.unescape(text)
    if "<" in text and _MARKUP.search(text):  # a title or tag that arrived as HTML: keep its text only
        text = html.unescape(nh3.clean(text, tags=set()))
    # str.split() splits on every Unicode space, NBSP included, and is much faster than a regex.
    return " ".join(text.replace("\u200b", "").split())


def is_web_url(value: str | None) -> bool:
    """An http(s) URL with a real host name, or a mailto: with an address: what we may publish as a link."""
    parts = urlsplit((value or "").strip())
    if parts.scheme == "mailto":
        return bool(parts.path)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters or fragment, usable as a dedupe key."""
    if not url:
        return None
    url = clean(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAM.match(k)])
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, query, ""))


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
    """The first "Month D, YYYY[ H:MM AM]" in a line of page text."""
    match = _VISIBLE_DATE.search(text or "")
    return match.group(0) if match else None


def _js_date(value: str) -> datetime | None:
    match = re.match(r"\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})", value)
    return datetime.strptime(" ".join(match.groups()), "%b %d %Y %H:%M:%S %z") if match else None


def _visible_date(value: str) -> datetime | None:
    match = _VISIBLE_DATE.fullmatch(value.strip())
    if not match:
        return None
    month, day, year, hour, minute, half = match.groups()
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
