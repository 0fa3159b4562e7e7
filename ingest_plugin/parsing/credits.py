"""Stage 3, credits: byline, editors, partner lines and disclaimers.

Trailer lines ("Zenger News does not provide investment advice.", "Produced in association with Benzinga",
"Edited by A and B"), a leading "By …" paragraph and disclaimer paragraphs are recognised by their *text*, in any
wrapping (own paragraph, ``<em>``, parentheses, one ``<br>``-separated block), moved into structured credits and
removed from the body. Authors come from the most trustworthy byline source that yields a valid person; anyone
named as an editor is never an author. Every document ends up with its partner's canonical disclaimer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from lxml.etree import _Element as Element

from ingest_plugin import partners
from ingest_plugin.errors import Stage
from ingest_plugin.log import get_logger
from ingest_plugin.parsing.extract.body import remove_all
from ingest_plugin.parsing.model import Credits, Draft, Person
from ingest_plugin.parsing.names import people
from ingest_plugin.parsing.text import clean

# Byline sources, most trustworthy first (the line the journalist wrote in the story beats CMS account metadata),
# each with how ``parse --explain`` names it.
BYLINE_SOURCES = {
    "by-paragraph": "a byline line opening the story (By, Written by, Story by, Special to, Reporting by)",
    "header-line": "the byline line under the page's headline",
    "json-ld": "JSON-LD: the article's author",
    "byline-markup": "byline markup (rel=\"author\", itemprop=\"author\", vcard, author classes)",
    "twitter": "the twitter:data \"Written by\" meta tag",
    "meta": "the author meta tag",
    "dc:creator": "the feed item's dc:creator",
    "atom:author": "the Atom entry's author",
    "api": "the API story's authors",
    "contributor-box": "the contributor box after the story",
}

# The disclaimer sentences below start at a sentence start ("(?<![^.!?\n])") and commit to the first occurrence of
# each keyword ("(?>…*?…)"): a sentence holding a match has one from its first occurrences, and every match starts
# at its sentence's start, so these find what the plain patterns ("[^.!?\n]*\bdoes not …") found, without trying
# every position of a long sentence (quadratic to cubic on a long paragraph with no sentence end).
_INVESTMENT_ADVICE = re.compile(r"(?<![^.!?\n])(?>[^.!?\n]*?\bdoes not (?:provide|offer|give|constitute)\b)"
                                r"(?>[^.!?\n]*?\badvice\b)[^.!?\n]*+[.!?]?", re.I)
_DISCLAIMER_LABEL = re.compile(r"^\(?\s*(?:Disclaimer|Disclosure)\s*[:：—–-]\s*(?P<text>.+?)\)?$", re.I)
# The gaps are bounded here, so the first verb need not be the one that matches: from each verb the rest costs at
# most a constant, and the sentence-start anchor keeps the search from starting again inside the sentence.
_AI_DISCLOSURE = re.compile(
    r"(?<![^.!?\n])[^.!?\n]*?\b(?:produced|generated|written|created|drafted)\b[^.!?\n]{0,60}"
    r"\b(?:with the help of|using|with|by)\b[^.!?\n]{0,40}"
    r"\b(?:Benzinga Neuro|AI|artificial intelligence|automated content engine|Neuro)\b[^.!?\n]*+[.!?]?", re.I)
_AI_KEYWORDS = ("neuro", " ai ", " ai.", "(ai)", "artificial intelligence", "automated content", "generative")
_CREATION_VERBS = ("produced", "generated", "written", "created", "drafted")
_CREATION_VERB = re.compile(rf"\b(?:{'|'.join(_CREATION_VERBS)})\b")
_EDITED_BY_IN_DISCLOSURE = re.compile(r"\b(?:edited|reviewed)\s+by\s+(?P<names>[^.()]+)", re.I)
_DISTRIBUTOR_LINE = (
    r"(?:^|(?<=[.!?]\s))\s*(?:(?:This|The) (?:story|article|report|content|piece) (?:was|is) )?"
    r"(?:(?:Produced|Created|Published|Written|Reported|Distributed|Brought to you|Made|Prepared|Syndicated)\s+"
    r"(?:in\s+(?:association|partnership|collaboration|cooperation|conjunction)\s+with|with|by|for|via|through)"
    r"|In\s+(?:association|partnership|collaboration|cooperation|conjunction)\s+with)"
    r"\s+(?P<name>{names})\b\.?")


@lru_cache(maxsize=8)
def _distributor(registry: partners.Registry) -> tuple[tuple[str, ...], re.Pattern[str]]:
    """For the installed partners (a configuration may add some): the words one of their names starts with, and the
    distributor line naming one of them; worked out once per set of partners."""
    names = [n for p in registry.profiles.values() for n in (p.name, *p.aliases)]
    words = {n.split()[0].lower() for n in names}
    # Only what is in a text's lower case when any of the words is: "benzinga", not also "www.benzinga.com".
    keywords = tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))
    alternatives = "|".join(sorted((re.escape(n) for n in names if " " in n or n[0].isupper()), key=len, reverse=True))
    return keywords, re.compile(_DISTRIBUTOR_LINE.format(names=alternatives), re.I)
_EDITED_BY = re.compile(r"^[\s(\[]*(?:Copy[- ]?)?Edited\s+by\s*:?\s+(?P<names>[^()\n]{3,120}?)\s*[)\]]?\s*\.?\s*$",
                        re.I)
# Possessive white space: "By" + a long run of spaces split between "\s*" and "\s+" every way (quadratic); the names
# start with a non-space, so no split but the whole run can lead to them. "Written by", "Story by": the same line.
_BY_LINE = re.compile(r"^\s*+(?i:(?:(?:written|story|words|text|reported)\s++)?by)(?:\s*+:)?\s++(?P<names>\S.{0,150})$")
_BY_WORDS = ("by", "written by", "story by", "words by", "text by", "reported by")
# "Jane Doe, Special to Zenger News": a contributor's byline, in the story's first blocks only.
_SPECIAL_TO = re.compile(r"^(?P<names>[^,\n]{3,60}+),\s*+Special\s++(?:to|for)\s++\S.{0,60}$", re.I)
# One part of a wire credit line, "(Reporting by A; Editing by B)": who wrote, who edited. Bounded gaps, anchored.
_CREDIT_PART = re.compile(r"^\s*+(?:(?P<author>Reporting|Writing|Written|Story|Words)\s++by"
                          r"|(?P<editor>(?:Copy[- ]?)?Edit(?:ing|ed)\s++by|Editors?\s*+:))"
                          r"\s*+:?\s*+(?P<names>[^:]{3,120})$", re.I)
_CREDIT_WORDS = ("reporting by", "writing by", "written by", "story by", "words by", "editing by", "edited by",
                 "editor")
_RESIDUE = re.compile(r"^[\s.,;:|()\-–—*]*$")


class CreditsScan:
    """Credits gathered block by block during the pipeline's one walk over the body, then decided at the end."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.found = _Found()
        self.by_paragraph: list[str] = []

    def block(self, block: Element, index: int, raw: str, text: str, lowered: str) -> None:
        """Take the credit lines out of one text block (``index``: its position, for the leading "By" line).

        ``raw`` is the block's text, ``text`` the same cleaned and ``lowered`` that in lower case: the walk already
        has all three."""
        _scan_block(block, index, raw, text, lowered, self.draft, self.found, self.by_paragraph)

    def finish(self) -> Credits:
        """Authors from the most trustworthy source, never an editor; the canonical disclaimer, fail closed."""
        draft, found = self.draft, self.found
        not_people = (*partners.all_partner_names(), *draft.site_names)
        editor_names = {e.name.lower() for e in found.editors}
        candidates = [("by-paragraph", line) for line in self.by_paragraph] + draft.byline_candidates
        sources = {name: source for name, source in found.sources.items() if name != "by-paragraph"}

        def named_by(source: str) -> list[str]:
            return list(dict.fromkeys(n for where, raw in candidates if where == source
                                      for n in people(raw, not_people=not_people) if n.lower() not in editor_names))

        names: list[str] = []
        for source, description in BYLINE_SOURCES.items():
            if names := named_by(source):
                sources["authors"] = found.sources.get(source, description)
                break
        else:
            source = ""
        if source == "json-ld" and (fuller := _naming_them_and_more(candidates, "byline-markup", names, not_people,
                                                                    editor_names)):
            # The page's metadata names its primary author only (Ghost's JSON-LD); its byline shows them all.
            names, sources["authors"] = fuller, BYLINE_SOURCES["byline-markup"] + ", naming more writers than JSON-LD"
        authors = [Person(n) for n in names]
        canonical = draft.partner.disclaimer
        disclaimers = found.disclaimers
        added = not any(canonical.lower().rstrip(".") == d.lower().rstrip(".") for d in disclaimers)
        if added:
            disclaimers = [canonical, *disclaimers]
            dropped = draft.input_format in draft.partner.disclaimer_formats  # it normally carries one
            (get_logger().warning if dropped else get_logger().info)(
                "disclaimer_added", stage=Stage.CREDITS, disclaimer=canonical, format=draft.input_format,
                reason="the source dropped the partner's canonical disclaimer" if dropped
                else "this format never carries the partner's disclaimer")
        sources["disclaimer"] = (f"{draft.partner.name}'s configuration (disclaimer): the input does not carry it"
                                 if added else "a disclaimer in the input, the partner's own")
        return Credits(authors=authors, editors=found.editors, distributor=found.distributor,
                       disclaimers=disclaimers, disclaimer_added=added, sources=sources)

    def summary(self) -> str | None:
        """The draft's summary, less the byline an RSS excerpt starts with when the body started with it too."""
        summary = self.draft.summary
        for line in self.by_paragraph:
            if summary and summary.startswith(f"By {line}"):
                summary = summary[len(line) + 3:].strip() or None
        return summary


def _naming_them_and_more(candidates: list[tuple[str, str]], source: str, them: list[str],
                          not_people: tuple[str, ...], editors: set[str]) -> list[str] | None:
    """The names (editors left out) of the first of ``source``'s bylines, each read from one element, that names
    all of ``them`` and more: a single byline, not the writers of several (related stories' bylines name others)."""
    wanted = {n.lower() for n in them}
    for where, raw in candidates:
        named = [n for n in people(raw, not_people=not_people) if n.lower() not in editors] if where == source else []
        if len(named) > len(them) and wanted <= {n.lower() for n in named}:
            return named
    return None


@dataclass
class _Found:
    """What the block scan found so far; :meth:`CreditsScan.finish` makes the :class:`Credits` of it."""

    editors: list[Person] = field(default_factory=list)
    disclaimers: list[str] = field(default_factory=list)
    distributor: str | None = None  # partner profile key of the distributing partner
    # The lists' entries in lower case, to find a repeated one without reading the list (quadratic in the count).
    editor_keys: set[str] = field(default_factory=set)
    disclaimer_keys: set[str] = field(default_factory=set)
    sources: dict[str, str] = field(default_factory=dict)  # see Credits.sources


def _scan_block(block: Element, index: int, raw: str, text: str, lowered: str, draft: Draft, credits: _Found,
                by_paragraph: list[str]) -> None:
    # Lines split by <br> (or the source's line breaks); a block whose only breaks open or close it is one line.
    lines = ([(line, line.lower()) for line in (clean(part, markup=False) for part in raw.split("\n"))]
             if "\n" in raw and "\n" in raw.strip() else [(text, lowered)])
    rests = [_take_credit_line(line, lowered_line, index, draft, credits, by_paragraph) for line, lowered_line in lines]
    if rests == [line for line, _ in lines]:
        return  # no credit in the block (most blocks)
    kept = [rest for rest in rests if rest and not _RESIDUE.match(rest)]
    if not kept:
        remove_all([block])
    elif len(kept) < len([line for line, _ in lines if line]) or any(
            rest and rest != line and rest != clean(line, markup=False)
            for rest, (line, _) in zip(rests, lines, strict=True)):
        _replace_text(block, kept)  # a line gone, or a credit cut out of one (not one only cleaned again)


def _take_credit_line(line: str, lowered: str, index: int, draft: Draft, credits: _Found,
                      by_paragraph: list[str]) -> str:
    """Record every credit found in one line (a ``clean()`` result, ``lowered`` in lower case); return what is left
    of the line.

    Each pattern runs only when its keyword is in the line: the sentence patterns are costly on long paragraphs.
    """
    if not line:
        return line
    original = line
    rest = _take_credits(line, lowered, index, draft, credits, by_paragraph)
    if rest != original:
        _note_sources(credits, original, by_paragraph)
    return rest


def _note_sources(credits: _Found, line: str, by_paragraph: list[str]) -> None:
    """Which body line gave the first editors, the distributor and the "By" line (``parse --explain``): called
    for a line that held a credit."""
    for name, found in (("editors", credits.editors), ("distributor", credits.distributor),
                        ("by-paragraph", by_paragraph)):
        if found and name not in credits.sources:
            credits.sources[name] = f"a credit line in the body, {line[:100]!r}"


def _take_credits(line: str, lowered: str, index: int, draft: Draft, credits: _Found,
                  by_paragraph: list[str]) -> str:
    original = line
    if index < 4 and lowered.startswith(_BY_WORDS) and len(line) < 160 and (match := _BY_LINE.match(line)):
        names = people(match.group("names"), not_people=(*partners.all_partner_names(), *draft.site_names))
        if names:
            by_paragraph.append(match.group("names"))
            return ""
        if len(line) < 80 and lowered.startswith("by") and not re.search(r"[.!?]\s", line):
            return ""  # "By Zenger News Staff": a byline naming no person is still not story text
    if index < 4 and "special" in lowered and len(line) < 130 and (match := _SPECIAL_TO.match(line)) \
            and people(match.group("names"), not_people=(*partners.all_partner_names(), *draft.site_names)):
        by_paragraph.append(match.group("names"))
        return ""
    if len(line) < 260 and any(map(lowered.__contains__, _CREDIT_WORDS)) and _take_credit_parts(
            line, draft, credits, by_paragraph, opening=index < 4):
        return ""
    if lowered.lstrip("( ").startswith(("disclaimer", "disclosure")) and (match := _DISCLAIMER_LABEL.match(line)):
        _add_disclaimer(credits, match.group("text"))
        _take_editors(match.group("text"), credits, draft, disclosure=True)
        return ""
    line = _take_own_disclaimer(line, lowered, draft, credits)
    if "advice" in lowered:
        line = _take_disclaimers(_INVESTMENT_ADVICE, line, credits, draft)
    # The creation verbs are rarer than the AI keywords, and _CREATION_VERB cannot match without one.
    if (any(map(lowered.__contains__, _CREATION_VERBS)) and any(map(lowered.__contains__, _AI_KEYWORDS))
            and _CREATION_VERB.search(lowered)):
        line = _take_disclaimers(_AI_DISCLOSURE, line, credits, draft)
    keywords, distributor = _distributor(partners.registry())
    if len(line) <= 200 and any(map(lowered.__contains__, keywords)):
        for match in list(distributor.finditer(line)):
            profile = partners.partner_named(match.group("name"))
            if profile and profile.key != draft.partner.key:
                credits.distributor = profile.key
            line = line.replace(match.group(0), " ")
    if "edited" in lowered and len(line) < 200 and (match := _EDITED_BY.match(line.strip())):
        _take_editors(match.group("names"), credits, draft)
        line = ""
    if line != original or "&" in line or "<" in line:  # otherwise clean() would give the line back unchanged
        line = clean(line, markup=False)
    return "" if _RESIDUE.match(line) else line


def _take_credit_parts(line: str, draft: Draft, credits: _Found, by_paragraph: list[str], *,
                       opening: bool) -> bool:
    """A wire credit line, "(Reporting by A; Editing by B)" or "Editor: B", taken whole when each of its parts
    names people: the writers are bylines, the others editors. A line with any other part is story text. Past the
    story's ``opening`` blocks, writers are read only from the wire's parenthesised form: a review's "Written by"
    line at the end names the film's writers, not the article's."""
    parts = [part for part in line.strip(" ()[].").split(";") if part.strip()]
    found = [match for part in parts if (match := _CREDIT_PART.match(part))
             and people(match.group("names"), not_people=(*partners.all_partner_names(), *draft.site_names))]
    if not parts or len(found) < len(parts):
        return False
    if not opening and not line.lstrip().startswith(("(", "[")) and any(match.group("author") for match in found):
        return False
    for match in found:
        if match.group("author"):
            by_paragraph.append(match.group("names"))
        else:
            _take_editors(match.group("names"), credits, draft)
    return True


# Typography a theme applies to the text it shows (WordPress's wptexturize): curly quotes, apostrophes and dashes.
_PLAIN_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                                   "\u2014": "-"})
_TYPOGRAPHIC = re.compile("['\"\u2018\u2019\u201c\u201d\u2013\u2014-]")
_SENTENCE_ENDS = ".!?"
_CLOSERS = "\"')]\u201d\u2019\u00bb"


def _folded(text: str, lowered: str | None = None) -> str:
    """``text`` as :func:`_take_own_disclaimer` compares it, character for character (``lowered``: its lower case,
    if known): lower case, plain quotes and dashes. A character whose lower case is longer ("İ") stays as it is."""
    lowered = text.lower() if lowered is None else lowered
    if len(lowered) != len(text):
        lowered = "".join(low if len(low := char.lower()) == 1 else char for char in text)
    return lowered.translate(_PLAIN_TYPOGRAPHY)


@lru_cache(maxsize=64)
def _folded_disclaimer(disclaimer: str) -> tuple[str, str, re.Pattern[str] | None]:
    """The disclaimer folded; its longest run free of what folding changes and of ellipses: a line without that
    run as it is holds no disclaimer, found by one substring search, where folding reads every character of every
    line; and, for a disclaimer with an ellipsis, the pattern finding it with either form of each ("…", "...")."""
    wanted = _folded(" ".join(disclaimer.split()).replace(_ELLIPSIS, "..."))
    pieces = wanted.split("...")
    probe = max((run for piece in pieces for run in _TYPOGRAPHIC.split(piece)), key=len)
    either = "(?:\\.\\.\\.|" + _ELLIPSIS + ")"
    return wanted, probe, re.compile(either.join(map(re.escape, pieces))) if len(pieces) > 1 else None


_ELLIPSIS = "\u2026"


def _take_own_disclaimer(line: str, lowered: str, draft: Draft, credits: _Found) -> str:
    """The line without the sentence holding the partner's own disclaimer (its configuration's text, in whatever
    quotes and dashes the page's typography gives it), which is then recorded as the partner's text: the generic
    patterns know only some wordings. The whole sentence goes, as with them: a cut inside one would publish half."""
    wanted, probe, with_ellipses = _folded_disclaimer(draft.partner.disclaimer)
    if not wanted or len(lowered) == len(line) and probe not in lowered:
        return line
    folded = _folded(line, lowered)
    if with_ellipses is None:
        at = folded.find(wanted)
        end = at + len(wanted)
    else:
        found = with_ellipses.search(folded)
        at, end = found.span() if found else (-1, -1)
    if at < 0 or at and folded[at - 1].isalnum() or end < len(folded) and folded[end].isalnum():
        return line  # absent, or inside a longer word
    start = max(folded.rfind(mark, 0, at) for mark in _SENTENCE_ENDS) + 1
    if folded[end - 1] not in _SENTENCE_ENDS and folded[end - 1] != _ELLIPSIS:  # part of a sentence: to its end
        end = min((i + 1 for mark in _SENTENCE_ENDS if (i := folded.find(mark, end)) >= 0), default=len(folded))
    while end < len(folded) and folded[end] in _CLOSERS:
        end += 1
    _add_disclaimer(credits, draft.partner.disclaimer)
    return f"{line[:start]} {line[end:]}"


def _take_disclaimers(pattern: re.Pattern[str], line: str, credits: _Found, draft: Draft) -> str:
    """Record each disclaimer sentence ``pattern`` finds in the line; return the line with each one cut out where
    it was found, in one pass (replacing each sentence's text all over the line read the line once per sentence)."""
    def taken(match: re.Match[str]) -> str:
        sentence = match.group(0).strip()
        _add_disclaimer(credits, sentence)
        _take_editors(sentence, credits, draft, disclosure=True)
        return " "

    return pattern.sub(taken, line)


def _take_editors(text: str, credits: _Found, draft: Draft, *, disclosure: bool = False) -> None:
    if disclosure:
        match = _EDITED_BY_IN_DISCLOSURE.search(text)
        if not match:
            return
        text = match.group("names")
    for name in people(text, not_people=(*partners.all_partner_names(), *draft.site_names)):
        if name.lower() not in credits.editor_keys:
            credits.editors.append(Person(name))
            credits.editor_keys.add(name.lower())


def _add_disclaimer(credits: _Found, text: str) -> None:
    text = clean(text).strip()
    if text and text[-1] not in ".!?":
        text += "."
    if text and text.lower() not in credits.disclaimer_keys:
        credits.disclaimers.append(text)
        credits.disclaimer_keys.add(text.lower())


def _replace_text(block: Element, kept: list[str]) -> None:
    """A block mixing story text and credit lines keeps only the story text (inline markup is lost)."""
    for child in list(block):
        block.remove(child)
    block.text = kept[0]
    for line in kept[1:]:
        br = etree.SubElement(block, "br")
        br.tail = line
