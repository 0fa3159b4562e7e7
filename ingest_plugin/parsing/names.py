"""Person-name validation and casing, shared by bylines, editor lines and photo credits.

"Better fewer authors than bad authors": a string is a person only when it looks like a human name and is not an
organisation, desk, role, address, URL or date.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ingest_plugin.parsing.text import clean

_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin", "ibn", "al",
              "el", "dos", "das", "ten", "ter", "y", "e", "zu", "st."}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
# Words that never occur in a person's name but do in desks, roles, outlets and page furniture. Partners' names,
# aliases and desks are configuration: callers pass them as ``not_people``.
_NOT_A_NAME = {
    "staff", "writer", "writers", "reporter", "reporters", "correspondent", "correspondents", "editor", "editors",
    "editorial", "contributor", "contributors", "contributing", "newsdesk", "desk", "news", "newsroom", "insights",
    "team", "media", "press", "agency", "wire", "service", "services", "inc", "inc.", "llc", "ltd", "ltd.", "corp",
    "corp.", "group", "associated", "reuters", "bloomberg", "afp", "bureau", "admin", "administrator", "guest",
    "author", "authors", "manager", "partner", "partners", "sponsored", "network", "magazine", "daily", "online",
    "ai", "bot", "automated", "analyst", "analysts", "research", "markets", "market",
    "ago", "hours", "hour", "minutes", "minute", "min", "email", "e-mail", "share", "follow", "view",
    "profile", "posts", "more", "updated", "published", "posted", "the", "of", "for", "on", "at", "in", "with",
    "from", "and", "or", "by", "about", "contact", "photo", "photos", "image", "images", "getty", "shutterstock",
    "unsplash", "courtesy", "credit", "copyright", "rights", "reserved", "all", "freelance", "special", "office",
    "department", "ministry", "university", "institute", "foundation", "council", "committee", "company",
    "corporation", "broadcasting", "association", "society", "radio", "television", "tv", "studio", "studios",
    "holdings", "ventures", "channel", "newswire", "prnewswire", "businesswire", "globenewswire", "accesswire",
    "desks", "webmaster", "moderator",
}
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’.-]*[^\W\d_.'’-])?\.?|(?:[^\W\d_]\.)+", re.UNICODE)
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_TRAILING_NOISE = re.compile(
    r"\s*(?:[,|]\s*)?(?:\b(?:with|additional)\s+reporting\b.*|\b(?:updated|published|posted|last updated)\b.*"
    rf"|\b{_MONTHS}\s+\d.*|\d.*)$", re.I)
# "By", and the French, Spanish and Portuguese for it ("Par Juliette Deborde", "Por Ana Ruiz").
_LEADING_BY = re.compile(r"^(?:(?:written|posted|reported|story|words)\s+)?(?:by|par|por)\b\s*:?\s*", re.I)
# Every branch of _TRAILING_NOISE needs one of these: checking for them first is much cheaper than the search.
_TRAILING_NOISE_HINT = re.compile(r"\d|reporting|updated|published|posted", re.I)
_SEPARATORS = re.compile(r"\s*(?:;|\||,|\s&\s|\band\b|\s[-–—]\s)\s*", re.I)
# "Martin Untersinger (avec Damien Leloup)", "Richard (R.J.) Eskow": a remark in parentheses is no part of a name.
_PARENTHESES = re.compile(r"\([^()]{0,80}\)")
# "Adrian Malloch (photography)": a credit for another role than writing, whose name is no byline's.
_OTHER_ROLE = re.compile(r"photo|video|graphic|illustrat|camera|design|edit", re.I)
_DROPPED = "\ue000"  # marks, through the split, a name a remark took out of the byline
# "Martin Luther King, Jr.": the comma before a suffix separates no names.
_COMMA_SUFFIX = re.compile(r",\s*+(?=(?:Jr|Sr|II|III|IV)\b)")
_ADDRESS = re.compile(r"@|://|\bwww\.|\.(?:com|news|org|net|io|co|uk|gov|edu)\b", re.I)


def people(text: str | None, *, not_people: tuple[str, ...] = ()) -> list[str]:
    """A byline or credit line -> validated, name-cased person names, in order, without duplicates.

    ``not_people`` holds organisation names (site, publisher, partners) that must never come out as a person.
    """
    return list(_people(clean(text), tuple(not_people)))


@lru_cache(maxsize=4096)
def _people(text: str, not_people: tuple[str, ...]) -> tuple[str, ...]:
    """Cached: a partner's bylines, editor lines and photo credits name the same people article after article."""
    text = _LEADING_BY.sub("", text)
    if _TRAILING_NOISE_HINT.search(text):
        text = _TRAILING_NOISE.sub("", text)
    names: dict[str, str] = {}  # lower case -> as written, the first of each (a list was searched for each name)
    blocked = frozenset(n.lower() for n in not_people)
    if "(" in text:
        text = _PARENTHESES.sub(_remark, text)
    if "," in text:
        text = _COMMA_SUFFIX.sub(" ", text)
    for part in _SEPARATORS.split(text):
        name = person_name(part, blocked) if _DROPPED not in part else None
        if name:
            names.setdefault(name.lower(), name)
    return tuple(names.values())


def _remark(match: re.Match[str]) -> str:
    return _DROPPED if _OTHER_ROLE.search(match.group()) else " "


def person_name(candidate: str, blocked: frozenset[str] | set[str] = frozenset()) -> str | None:
    """One candidate -> the name as it should be printed, or None when it is not a person."""
    candidate = clean(candidate).strip(" ,:;()[]\"'“”‘’").lstrip(".")
    if candidate.endswith(".") and candidate.rsplit(None, 1)[-1].lower() not in _SUFFIXES:
        candidate = candidate.rstrip(". ")  # a sentence's full stop, not the one of "Jr."
    candidate = _LEADING_BY.sub("", candidate)
    lowered = candidate.lower()
    if not candidate or len(candidate) > 50 or lowered in blocked or _ADDRESS.search(candidate):
        return None
    tokens = candidate.split()
    core = [t for t in tokens if t.lower() not in _PARTICLES and t.lower() not in _SUFFIXES]
    if not 2 <= len(core) <= 5 or len(tokens) > 7:
        return None
    if any(not _TOKEN.fullmatch(t) or t.lower().strip(".") in _NOT_A_NAME for t in tokens):
        return None
    if any(b in lowered for b in blocked if len(b) > 3):
        return None
    if candidate.islower():
        return None  # prose ("edited by hand over three years"), not a name
    if candidate.isupper():
        candidate = name_case(candidate)
    if not all(t[0].isupper() for t in candidate.split() if t.lower() not in _PARTICLES):
        return None
    return candidate


def name_case(name: str) -> str:
    """ALL-CAPS names as a person writes them: Mc, O', hyphens, particles, initials kept."""
    tokens = name.split()
    out = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if 0 < i < len(tokens) - 1 and low in _PARTICLES:
            out.append(low)
        elif re.fullmatch(r"(?:[^\W\d_]\.)+", token) or low in {"ii", "iii", "iv"}:
            out.append(token.upper())
        else:
            out.append("".join(_case_piece(p) for p in re.split(r"([-'’])", token)))
    return " ".join(out)


def _case_piece(piece: str) -> str:
    if not piece or piece in "-'’":
        return piece
    piece = piece[0].upper() + piece[1:].lower()
    if piece.startswith("Mc") and len(piece) > 2:
        piece = "Mc" + piece[2].upper() + piece[3:]
    return piece


def display_byline(names: list[str]) -> str:
    """House style: "By A", "By A and B", "By A, B and C"."""
    if len(names) == 1:
        return f"By {names[0]}"
    return "By " + ", ".join(names[:-1]) + " and " + names[-1]
