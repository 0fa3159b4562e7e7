"""What "no executable content" means, checked on every document the hostile, fuzz and soak runs produce.

A document is safe when, in every field a CMS could render:

* HTML fields (``contentType: text/html``: the body, tweet embeds) hold only allow-listed tags and attributes,
  whichever parser reads them (the standard library's HTML tokenizer and libxml2 must agree), no comments,
  declarations or processing instructions, no ``on*`` attribute, and no attribute value that carries a
  ``javascript:``/``vbscript:``/``data:`` URL, ``srcdoc`` or a CSS ``expression()`` / binding, however encoded;
* every URL field (``href``, ``uri`` …) is an absolute http(s) URL (or a ``urn:``) with no quote, angle bracket or
  space that could break out of an attribute;
* every plain-text field (headlines, captions, alt text, credits, names) holds no markup at all.

The allow-lists restate the output contract of README.md independently of ``ingest_plugin/sanitize.py``, so a
change to the sanitizer policy that widens it shows up here.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

SAFE_TAGS = frozenset({
    "p", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "br", "blockquote", "q", "cite", "figure",
    "figcaption", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tfoot", "tr",
    "th", "td", "caption", "code", "pre", "abbr", "time", "div", "dl", "dt", "dd", "span"})
SAFE_ATTRIBUTES = frozenset({
    "href", "title", "rel", "cite", "colspan", "rowspan", "scope", "datetime", "lang", "dir", "class",
    "data-association", "data-lang", "data-dnt", "data-width"})
URL_ATTRIBUTES = frozenset({"href", "cite"})
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
URL_KEYS = frozenset({"href", "uri", "url", "schema"})
# After entity decoding and removing whatever a browser ignores inside a URL (controls, whitespace, zero-width).
_DANGER = re.compile(r"(?:java|vb|live)script:|data:|srcdoc|expression\(|-moz-binding|behaviou?r\s*:", re.I)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_MARKUP = re.compile(r"<[A-Za-z!/?]")
_URL = re.compile(r"(?:https?://[^\s\"'<>`\\]*|urn:[A-Za-z0-9:._~%/+-]+)")


def _normalized(value: str) -> str:
    return _IGNORED_IN_URLS.sub("", html.unescape(html.unescape(value or ""))).lower()


def _attribute_problems(tag: str, name: str, value: str | None, where: str) -> list[str]:
    problems = []
    name = name.lower()
    if name.startswith("on"):
        problems.append(f"{where}: event handler {name}= on <{tag}>")
    elif name not in SAFE_ATTRIBUTES:
        problems.append(f"{where}: attribute {name}= on <{tag}> is not allow-listed")
    normalized = _normalized(value or "")
    if name in URL_ATTRIBUTES:
        if urlsplit(normalized).scheme not in LINK_SCHEMES:  # how a browser resolves it: scheme after clean-up
            problems.append(f"{where}: <{tag} {name}={value!r}> is not an http(s)/mailto URL")
    elif name not in SAFE_ATTRIBUTES and _DANGER.search(normalized):
        problems.append(f"{where}: dangerous value in <{tag} {name}={value!r}>")
    # An allow-listed attribute that is not a URL (title, lang, class…) holds inert text, whatever it says.
    return problems


class _Tokens(HTMLParser):
    """The standard library's tokenizer (close to a browser's for tags and attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag not in SAFE_TAGS:
            self.tags.append((tag, []))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment <!--{data[:40]}-->")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration <!{decl[:40]}>")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction <?{data[:40]}>")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"declaration <![{data[:40]}>")


def html_problems(markup: str, where: str = "html") -> list[str]:
    """Why an HTML field is unsafe (empty list: safe)."""
    problems: list[str] = []
    tokens = _Tokens()
    tokens.feed(markup)
    tokens.close()
    problems += [f"{where}: {other}" for other in tokens.other]
    for tag, attrs in tokens.tags:
        if tag not in SAFE_TAGS:
            problems.append(f"{where}: tag <{tag}> (stdlib tokenizer)")
        for name, value in attrs:
            problems += _attribute_problems(tag, name, value, where)
    if markup.strip():
        try:
            elements = lxml_html.fragments_fromstring(markup)
        except (etree.ParserError, ValueError):
            elements = []
        for top in elements:
            if isinstance(top, str):
                continue
            for element in top.iter():
                if not isinstance(element.tag, str):
                    problems.append(f"{where}: {type(element).__name__} node (libxml2)")
                    continue
                if element.tag not in SAFE_TAGS:
                    problems.append(f"{where}: tag <{element.tag}> (libxml2)")
                for name, value in element.attrib.items():
                    problems += _attribute_problems(element.tag, name, value, where + " (libxml2)")
    return sorted(set(problems))


def url_problems(value: str, where: str) -> list[str]:
    """A URL field must be an http(s) URL or a URN, with nothing that could end an HTML attribute it is put in."""
    if not _URL.fullmatch(value):
        return [f"{where}: {value[:120]!r} is not a plain http(s) URL or URN"]
    return []


def text_problems(value: str, where: str) -> list[str]:
    return [f"{where}: markup in a plain-text field: {value[:120]!r}"] if _MARKUP.search(value) else []


def _walk(value: Any, path: str, kind: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, child in value.items():
            if name == "value" and value.get("contentType") == "text/html":
                child_kind = "html"
            elif name in URL_KEYS:
                child_kind = "url"
            else:
                child_kind = "text"
            yield from _walk(child, f"{path}.{name}", child_kind)
    elif isinstance(value, list):
        for number, child in enumerate(value):
            yield from _walk(child, f"{path}[{number}]", "text" if kind == "html" else kind)
    elif isinstance(value, str):
        check = {"html": html_problems, "url": url_problems, "text": text_problems}[kind]
        yield from ((kind, problem) for problem in check(value, path))


def categorized_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """``(kind, problem)`` for every unsafe value: kind ``html`` (an HTML field), ``url`` (a URL field) or ``text``
    (markup in a plain-text field)."""
    return list(_walk(document, "$", "text"))


def document_problems(document: dict[str, Any], kinds: tuple[str, ...] = ("html", "url", "text")) -> list[str]:
    """Every reason a ninjs document is unsafe to render (empty list: safe), limited to the given kinds."""
    return [problem for kind, problem in categorized_problems(document) if kind in kinds]
