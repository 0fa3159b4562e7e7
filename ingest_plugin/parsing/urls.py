"""The one URL policy for what we publish. Every URL of a document passes :func:`url_problem`; a canonical URL
must also be on its partner's hosts, a picture on its hosts or media hosts, an embed on its hosts or embed hosts
(``PartnerProfile``). The pipeline applies the policy to what an input offers (a picture off those hosts is
dropped), and validation enforces it again on every document, whoever built it.

A publishable URL is one :func:`~ingest_plugin.parsing.text.web_url` leaves as it is: absolute http(s), a plain
host name, no user information, and every character outside RFC 3986's unreserved and sub-delimiter sets (the
apostrophe and quotes included) percent-encoded, so that it cannot break out of an HTML attribute. Normalising
and checking share that one definition: whatever ``web_url`` returns passes.
"""
from __future__ import annotations

from enum import Enum

from ingest_plugin.parsing.text import web_url
from ingest_plugin.partners import PartnerProfile


class Use(Enum):
    """What a URL is for, which decides the partner's hosts it must be on."""

    LINK = "any hosts"  # a credit's homepage, a code list's URI
    PAGE = "hosts"  # the canonical URL, a URL altId, the origin's homepage
    MEDIA = "hosts or media hosts"  # a picture and its renditions
    EMBED = "hosts or embed hosts"  # a tweet


def url_problem(url: object, partner: PartnerProfile | None = None, use: Use = Use.LINK) -> str | None:
    """Why ``url`` may not be published as a URL of ``partner``'s document used as ``use``; None when it may."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return f"{_shown(url)} is not an http(s) URL"
    if web_url(url) != url:
        return (f"{_shown(url)} is not a plain web URL (user information, an odd host, or a space, quote or other "
                "character that is not percent-encoded)")
    if partner is None or use is Use.LINK:
        return None
    if use is Use.PAGE:
        allowed = partner.owns_url(url)
    elif use is Use.MEDIA:
        allowed = partner.serves_media(url)
    else:
        allowed = partner.serves_embed(url)
    return None if allowed else f"{_shown(url)} is not on {partner.name}'s {use.value}"


def _shown(value: object) -> str:
    """A value as an error message quotes it: hostile URLs can be long."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
