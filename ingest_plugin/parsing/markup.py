"""Markup as an HTML tokenizer reads it, for what must not hand nh3 a text it is slow on.

nh3 (html5ever) takes time quadratic in the ampersands of one text node; :func:`short_texts` splits such texts with
empty comments, which every policy strips, so nh3 gives what it gives for the markup as it was, in linear time. The
body and embed sanitisers and the plain-text cleaner of raw fields all call it before nh3.
"""
from __future__ import annotations

import re

_AMPERSANDS_PER_TEXT = 200  # see short_texts
# How HTML (html5ever, in nh3) reads a tag: its name, then attributes, whose value only when it follows "=" may be
# quoted (a quote elsewhere is part of a name or an unquoted value), up to the ">" outside a quoted value.
_TAG = re.compile(r"""</?([A-Za-z][^\t\n\f\r />]*+)(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"""
                  r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?+)*+>""")
_COMMENT_END = re.compile(r"--!?>")
# Text up to its closing tag (RCDATA and RAWTEXT); where markup is read otherwise: nothing after it is split.
_TEXT_ELEMENTS = frozenset({"title", "textarea", "style", "xmp", "iframe", "noembed", "noframes"})
_OTHER_RULES = frozenset({"script", "noscript", "plaintext", "svg", "math", "select", "template", "frameset"})


def short_texts(markup: str) -> str:
    """``markup`` with an empty comment before every 200th "&" of a text: nh3 (html5ever) takes time quadratic in
    the ampersands of one text node (seconds for a paragraph of 100,000). The policy strips comments and the texts
    on either side come out as one, so nh3 makes of it what it makes of ``markup``.

    Only text is split, never where it starts (a line break that starts a ``<pre>`` stays the first), and as HTML
    reads it: tags and comments as its tokenizer does, a title, textarea or style to its closing tag. Past markup
    read by other rules (a script, svg, a select, a CDATA section or declaration) or that does not end, nothing is
    split. The sanitized bodies and the markup lxml writes hold none of those."""
    if markup.count("&") <= _AMPERSANDS_PER_TEXT:
        return markup
    out, at, start = [], 0, 0  # text since ``at``; the next "<" at or after ``start``
    while (start := markup.find("<", start)) >= 0:
        after = markup[start + 1:start + 2]
        if not (after in ("!", "?", "/") or after.isascii() and after.isalpha()):
            start += 1  # a "<" that opens nothing is text
            continue
        out.append(_split_at_ampersands(markup[at:start]))
        end = _end_of_markup(markup, start)
        if end < 0:
            out.append(markup[start:])
            return "".join(out)
        out.append(markup[start:end])
        at = start = end
    out.append(_split_at_ampersands(markup[at:]))
    return "".join(out)


def _end_of_markup(markup: str, start: int) -> int:
    """Where the comment or tag at ``start`` ends (a title, textarea or style: with its text), or -1 for markup
    read by other rules or that does not end."""
    if markup.startswith("<!--", start):  # "<!-->" and "<!--->" end at once
        for short in ("<!-->", "<!--->"):
            if markup.startswith(short, start):
                return start + len(short)
        end = _COMMENT_END.search(markup, start + 4)
        return end.end() if end else -1
    tag = _TAG.match(markup, start)
    if tag is None:
        return -1
    name = tag.group(1).lower()
    if markup[start + 1] == "/" or name not in _TEXT_ELEMENTS | _OTHER_RULES:
        return tag.end()
    if name in _OTHER_RULES:
        return -1
    closing = re.compile(rf"</{name}[\t\n\f\r />]", re.I).search(markup, tag.end())
    return closing.start() if closing else -1


def _split_at_ampersands(text: str) -> str:
    if text.count("&") < _AMPERSANDS_PER_TEXT:
        return text
    first, *rest = text.split("&")
    return first + "".join(("<!---->&" if number % _AMPERSANDS_PER_TEXT == 0 else "&") + part
                           for number, part in enumerate(rest, start=1))
