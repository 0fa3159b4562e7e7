"""Renderings: the stored ninjs 3.1 version in the dialects other consumers read (docs/renderings.md).

The canonical document stays ninjs 3.1; a rendering is a pure function of one stored version, byte-identical on
every run, checked by our own schema or rules before anyone writes it. Profiles:

=============  ==============================================  ==========================================
profile        what                                            objects beside ``v{N}.json``
=============  ==============================================  ==========================================
``ninjs-3.1``  the version itself (canonical)                  none: it is ``v{N}.json``
``ninjs-2.2``  strict ninjs 2.2                                ``v{N}.ninjs-2.2.json``
``ninjs-1.6``  strict ninjs 1.6                                ``v{N}.ninjs-1.6.json``
``superdesk``  the 1.x flavour Superdesk's NINJSFeedParser     ``v{N}.superdesk.json``
               reads
``newsml-g2``  NewsML-G2 2.35: package, text and picture       ``v{N}.newsml-g2.xml`` (the package),
               items                                           ``v{N}.newsml-g2.text.xml``,
                                                               ``v{N}.newsml-g2.picture-<hex>.xml`` each
=============  ==============================================  ==========================================

Pure: no I/O; the caller writes the objects and logs the losses (:class:`LossLog`).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ingest_plugin import log
from ingest_plugin.errors import IngestError
from ingest_plugin.parsing import RENDERING_PROFILES
from ingest_plugin.parsing.render import checks, g2, ninjs
from ingest_plugin.parsing.render.common import invalid

CANONICAL = "ninjs-3.1"
PROFILES = RENDERING_PROFILES
EXTRA_PROFILES = PROFILES[1:]  # the renderings written beside the version


@dataclass(frozen=True)
class RenderedObject:
    """One object of a rendering: written as ``v{N}.{leaf}`` beside the version."""

    profile: str
    leaf: str  # "superdesk.json", "newsml-g2.xml", "newsml-g2.text.xml", …
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Rendering:
    profile: str
    objects: tuple[RenderedObject, ...]
    dropped: tuple[str, ...]  # canonical fields this profile cannot carry (logged once per profile and run)


def _json_bytes(rendered: dict[str, Any]) -> bytes:
    return json.dumps(rendered, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def completion_leaf(profile: str) -> str:
    """The leaf whose presence says a version's rendering in ``profile`` is complete: the rendering's only object,
    or, for NewsML-G2, the package, which is written after every item it names."""
    if profile == CANONICAL:
        return "json"
    return "newsml-g2.xml" if profile == "newsml-g2" else f"{profile}.json"


def check_profiles(names: Iterable[str]) -> tuple[str, ...]:
    """The profile names, each known, in order, once; ``ValueError`` naming an unknown one."""
    out: list[str] = []
    for name in names:
        if name not in PROFILES:
            raise ValueError(f"unknown rendering profile {name!r} (known: {', '.join(PROFILES)})")
        if name not in out:
            out.append(name)
    return tuple(out)


def render(document: dict[str, Any], profile: str) -> Rendering:
    """``document`` (a stored ninjs 3.1 version) as ``profile``, checked: ``invalid_document`` when the rendering
    fails its checks (or the document cannot be rendered at all), so that nothing of the version is written."""
    try:
        if profile == CANONICAL:
            return Rendering(profile, (RenderedObject(profile, "json", _json_bytes(document), "application/json"),),
                             ())
        if profile == "newsml-g2":
            items, dropped = g2.to_g2(document)
            problems = [p for item in items for p in checks.g2_problems(item.part, item.body, document)]
            if problems:
                raise invalid(profile, problems)
            objects = tuple(RenderedObject(profile, "newsml-g2.xml" if item.part == "package"
                                           else f"newsml-g2.{item.part}.xml", item.body, item.content_type)
                            for item in items)
            return Rendering(profile, objects, tuple(dropped))
        if profile == "ninjs-2.2":
            rendered, dropped = ninjs.to_ninjs22(document)
        elif profile in ("ninjs-1.6", "superdesk"):
            rendered, dropped = ninjs.to_ninjs16(document, superdesk=profile == "superdesk")
        else:
            raise invalid(profile, [f"unknown rendering profile {profile!r}"])
        problems = checks.json_problems(profile, document, rendered)
        if problems:
            raise invalid(profile, problems)
        return Rendering(profile, (RenderedObject(profile, f"{profile}.json", _json_bytes(rendered),
                                                  "application/json"),), tuple(dropped))
    except IngestError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:  # a document we cannot read
        raise invalid(profile, [f"cannot render this document: {type(error).__name__}: {error}"]) from None


def readable(leaf: str, body: bytes) -> bool:
    """Whether a stored rendering object still parses (well-formed XML, a JSON object): one cut short or edited by
    hand is no rendering of ours, and is rendered again from its version rather than passed on."""
    if leaf.endswith(".xml"):
        return checks.well_formed(body)
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:  # invalid JSON, or bytes that are not UTF-8
        return False


def render_all(document: dict[str, Any], profiles: Sequence[str]) -> list[Rendering]:
    """Every profile but the canonical one (which is the version itself), each checked; the first failure raises."""
    return [render(document, profile) for profile in profiles if profile != CANONICAL]


class LossLog:
    """Logs what a profile cannot carry, once per profile and field for as long as it lives (one run): a strict
    dialect's loss is by design, worth a line, not a line per article."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()

    def report(self, rendering: Rendering) -> None:
        with self._lock:
            new = [f for f in rendering.dropped if (rendering.profile, f) not in self._seen]
            self._seen.update((rendering.profile, f) for f in new)
        if new:
            log.get_logger().warning("rendering_drops", profile=rendering.profile, fields=new)
