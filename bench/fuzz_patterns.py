"""Timing fuzzer for the package's regular expressions (part of ``make fuzz``): a report, not a test.

    python -m bench.fuzz_patterns [--size 100000] [--only NAME] [--jobs 2]

Every module of ``ingest_plugin`` is imported, and every compiled pattern reachable from a module's globals (inside
tuples, lists, dicts and dataclass instances too, such as a partner profile's ``promo_patterns``) is read with
``re._parser``. Adversarial strings are built from the pattern's own parts: long runs of what each character class
or literal accepts, each repeat pumped after the text that leads to it, with and without the text that would
complete a match, and the leading text repeated with the pump.

Each string is timed the way the package's code calls the pattern (its sources are searched for ``NAME.method(``):
``search``, ``sub``, ``split``, ``findall`` and ``finditer`` as ``finditer`` over the whole string (their worst
case), ``match`` and ``fullmatch`` as themselves; a pattern whose calls are not found by name (one inside a tuple)
gets all three. Sizes grow by 8 up to 8n characters and stop early when the next one would take over a second; the
growth ratio time(8n)/time(n) at the largest pair is ~8 for a linear pattern and ~64 for a quadratic one. A ratio
over 16 is flagged, and then the exit status is 1.

A pattern whose callers bound what it sees (a length cap, a window, text that ``clean()`` has collapsed) is listed in
``GUARDS`` with the reason, and timed on what the callers pass. Each pattern runs in a forked child (the regex engine
cannot be interrupted): one timing over 30 s is flagged, and a pattern still running after ``--timeout`` seconds is
cut short (reported, not flagged).
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import multiprocessing
import os
import pkgutil
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from re import _compiler, _parser
from re import _constants as C  # noqa: N812 - the parser's own names
from typing import Any

import nh3

import ingest_plugin
from ingest_plugin.parsing.text import clean

BOUND = 16.0  # a linear pattern grows ~8x from n to 8n, a quadratic one ~64x
# Characters tried against each class, most telling first: letters, space, digits, the punctuation the package's
# patterns care about, then some non-ASCII (a no-break space, curly quotes, dashes, a zero-width space).
ALPHABET = ("a", " ", "A", "0", ".", "/", "-", "(", ")", ",", ":", "_", "@", "&", ";", "#", "<", ">", "!", "?",
            "\n", "\t", "x", "Z", "9", "'", '"', "=", "[", "]", "{", "}", "|", "*", "+", "%", "$", "\\", "~",
            "\xa0", "é", "’", "”", "—", "–", "\u200b", "€", "\x01")
MAX_FAMILIES = 32  # strings per pattern, at most
SAMPLES_PER_CLASS = 3
SLOW = 1.0  # seconds: no size is timed whose time is expected over this
STRING_TIMEOUT = 30.0  # seconds: a timing expected under one that runs this long is super-linear


# Patterns whose every caller bounds what they see, with the reason (checked at the call sites) and what the callers
# pass: the walk times them on that.
GUARDS: dict[str, tuple[str, Callable[[str], str]]] = {
    "ingest_plugin.parsing.extract.media._CAPS_CREDIT": (
        "split_caption_credit searches the caption's last 300 characters only", lambda s: s[-300:]),
    "ingest_plugin.parsing.extract.media._CAPTION_CREDITS[0]": (
        "split_caption_credit searches clean() text: no run of white space", clean),
    "ingest_plugin.parsing.extract.media._ON_SERVICE": (
        "normalise_credit matches clean() text: no run of white space", clean),
    "ingest_plugin.parsing.extract.media._SIZE_SUFFIX": (
        "_file_name leaves file names over 500 characters alone", lambda s: s[:500]),
    "ingest_plugin.parsing.load._CHARSET_IN_MARKUP": (
        "_declared_encoding searches the first 8,192 bytes", lambda s: s[:8192]),
    "ingest_plugin.parsing.names._SEPARATORS": ("_people splits clean() text: no run of white space", clean),
    "ingest_plugin.parsing.names._TRAILING_NOISE": ("_people searches clean() text: no run of white space", clean),
    "ingest_plugin.parsing.ninjs._TAG": (
        "runs on the sanitized body (nh3 output): every '<' opens a tag that closes", nh3.clean),
}


# ---------------------------------------------------------------------------------------------------------------
# Finding the patterns

@dataclass
class Found:
    pattern: re.Pattern[Any]
    where: list[str]  # "module.name[…]" of every place it was found, the first one first
    ops: tuple[str, ...] = ()  # how the package's code calls it: "finditer", "match", "fullmatch"
    guard: str | None = None  # the name in GUARDS, if its callers bound what it sees


def _contents(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(path, value) of ``value`` and of everything inside its containers and dataclass fields."""
    yield path, value
    if depth > 4:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _contents(item, f"{path}[{key!r}]", depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield from _contents(item, f"{path}[{index}]", depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _contents(getattr(value, f.name, None), f"{path}.{f.name}", depth + 1)


def find_patterns() -> tuple[list[Found], list[str]]:
    """Every compiled pattern reachable from the globals of the package's modules, and the modules that failed to
    import (named with their error)."""
    found: dict[int, Found] = {}
    failures = []
    names = ["ingest_plugin"] + [m.name for m in pkgutil.walk_packages(ingest_plugin.__path__, "ingest_plugin.")
                                 if not m.name.endswith(".__main__")]  # importing __main__ runs the command
    for name in names:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - reported, the walk goes on
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        for attribute, value in sorted(vars(module).items()):
            for path, item in _contents(value, f"{name}.{attribute}"):
                if isinstance(item, re.Pattern):
                    found.setdefault(id(item), Found(item, [])).where.append(path)
    sources = {name: Path(module.__file__).read_text() for name, module in sys.modules.items()
               if name.startswith("ingest_plugin") and getattr(module, "__file__", None)}
    for item in found.values():
        item.ops = _calls(item.where, sources)
        item.guard = next((where for where in item.where if where in GUARDS), None)
    return list(found.values()), failures


_AS_TIMED = {"search": "finditer", "finditer": "finditer", "findall": "finditer", "sub": "finditer",
             "subn": "finditer", "split": "finditer", "match": "match", "fullmatch": "fullmatch"}


def _calls(where: list[str], sources: dict[str, str]) -> tuple[str, ...]:
    """The operations to time: those called on the pattern by name in the modules holding it as a global (each
    module that imports it holds it too)."""
    names = [w.rsplit(".", 1) for w in where if not w.endswith("]")]
    methods = {m.group(1) for module, name in names
               for m in re.finditer(rf"\b{re.escape(name)}\s*\.\s*(\w+)\(", sources.get(module, ""))}
    ops = tuple(sorted({_AS_TIMED[m] for m in methods if m in _AS_TIMED}))
    return ops or ("finditer", "match", "fullmatch")


# ---------------------------------------------------------------------------------------------------------------
# Adversarial strings from the pattern's parse tree

Items = list[tuple[Any, Any]]


class Sampler:
    """Strings that parts of one parsed pattern accept."""

    def __init__(self, pattern: re.Pattern[Any]) -> None:
        self.pattern = pattern
        self.tree = _parser.parse(pattern.pattern, pattern.flags)
        self.is_bytes = isinstance(pattern.pattern, bytes)
        self._accepted: dict[str, list[str]] = {}

    def accepted(self, node: tuple[Any, Any]) -> list[str]:
        """Characters of ALPHABET that a one-character node (literal, class, ".") accepts, in ALPHABET's order."""
        key = repr(node)
        if key not in self._accepted:
            single = _compiler.compile(_parser.SubPattern(self.tree.state, [node]), self.pattern.flags)
            alphabet = [c for c in ALPHABET if not self.is_bytes or ord(c) < 256]
            self._accepted[key] = [c for c in alphabet if single.fullmatch(c)]
            if node[0] is C.LITERAL and not self._accepted[key]:
                self._accepted[key] = [chr(node[1])]
        return self._accepted[key]

    def sample(self, items: Items) -> str:
        """A short string matching ``items`` (first branch, each repeat once, lookbehinds' text emitted)."""
        out = []
        for op, av in items:
            if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY, C.CATEGORY):
                chars = self.accepted((op, av))
                out.append(chars[0] if chars else "")
            elif op is C.BRANCH:
                out.append(self.sample(av[1][0]))
            elif op is C.SUBPATTERN:
                out.append(self.sample(av[3]))
            elif op is C.ATOMIC_GROUP:
                out.append(self.sample(av))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                low, high, body = av
                out.append(self.sample(body) * min(max(low, 1), high))
            elif op is C.ASSERT and av[0] < 0:
                out.append(self.sample(av[1]))
            elif op is C.GROUPREF_EXISTS:
                out.append(self.sample(av[1]))
        return "".join(out)

    def contexts(self, items: Items, before: str = "", after: str = "") -> Iterator[tuple[str, tuple[Any, Any], str]]:
        """(text before, node, text after) of every repeat and one-character node, the texts being samples of what
        leads to the node and what completes a match after it."""
        for index, (op, av) in enumerate(items):
            head = before + self.sample(items[:index])
            tail = self.sample(items[index + 1:]) + after
            if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY, C.CATEGORY):
                yield head, (op, av), tail
            elif op is C.BRANCH:
                for branch in av[1]:
                    yield from self.contexts(branch, head, tail)
            elif op is C.SUBPATTERN:
                yield from self.contexts(av[3], head, tail)
            elif op is C.ATOMIC_GROUP:
                yield from self.contexts(av, head, tail)
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                yield head, (op, av), tail
                yield from self.contexts(av[2], head, tail)
            elif op in (C.ASSERT, C.ASSERT_NOT):
                yield from self.contexts(av[1], head, tail)

    def pumps(self, node: tuple[Any, Any]) -> list[str]:
        """What one round of a repeat (or one character of a class) can be: a few different strings."""
        op, av = node
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            body = av[2]
            if len(body) == 1 and body[0][0] in (C.IN, C.ANY, C.NOT_LITERAL, C.CATEGORY):
                return self.accepted(body[0])[:SAMPLES_PER_CLASS]
            return [s for s in {self.sample(body)} if s]
        return self.accepted(node)[:SAMPLES_PER_CLASS]


@dataclass(frozen=True)
class Family:
    """``head + unit * k + tail``: one adversarial string per size."""

    label: str
    head: str
    unit: str
    tail: str

    def build(self, size: int) -> str:
        return self.head + self.unit * max(1, (size - len(self.head) - len(self.tail)) // len(self.unit)) + self.tail


def families(pattern: re.Pattern[Any]) -> list[Family]:
    """The adversarial strings of one pattern, in rounds so that every repeat gets its most telling strings before
    any gets more: pumped repeats (the usual culprits), runs of single characters, whole matches repeated."""
    sampler = Sampler(pattern)
    contexts = list(sampler.contexts(sampler.tree.data))
    repeats = [(head, sampler.pumps(node), tail) for head, node, tail in contexts
               if node[0] in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and node[1][1] >= 16]
    singles = [(head, sampler.pumps(node), tail) for head, node, tail in contexts
               if node[0] not in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)]
    whole = sampler.sample(sampler.tree.data)
    rounds: list[list[tuple[str, str, str, str]]] = [
        [("repeat, no end", head, pumps[0], "") for head, pumps, _ in repeats if pumps],
        [("repeat, almost completed", head, pumps[0], tail[:-1]) for head, pumps, tail in repeats if pumps],
        [("lead and repeat, repeated", "", head + pumps[0], "") for head, pumps, _ in repeats if pumps],
        [("repeat, completed", head, pumps[0], tail) for head, pumps, tail in repeats if pumps],
        [("repeat of another character", head, pump, tail[:-1]) for head, pumps, tail in repeats for pump in pumps[1:]],
        [("run of one character", "", pump, "") for _, pumps, _ in singles for pump in pumps],
        [("whole match repeated", "", whole, ""), ("whole match repeated, spaced", "", whole + " ", "")],
        [("lead repeated, then completed", "", head + pumps[0] * 2, tail) for head, pumps, tail in repeats if pumps],
        [("run after the lead", head, pump, "") for head, pumps, _ in singles for pump in pumps],
    ]
    out: dict[tuple[str, str, str], str] = {}
    for label, head, unit, tail in (entry for round_ in rounds for entry in round_):
        if unit and (head, unit, tail) not in out:
            out[(head, unit, tail)] = label
    return [Family(label, *key) for key, label in list(out.items())[:MAX_FAMILIES]]


# ---------------------------------------------------------------------------------------------------------------
# Timing

Op = Callable[[Any], Any]


def _ops(pattern: re.Pattern[Any], names: tuple[str, ...]) -> dict[str, Op]:
    every: dict[str, Op] = {"finditer": lambda s: sum(1 for _ in pattern.finditer(s)), "match": pattern.match,
                            "fullmatch": pattern.fullmatch}
    return {name: every[name] for name in names}


def _cpu(op: Op, subject: Any) -> float:
    """CPU seconds of one call: the best of two rounds (the first one pays for page faults on fresh memory), each
    averaged over enough calls to measure at least 3 ms."""
    rounds = []
    for _ in range(2):
        calls, spent = 0, 0.0
        while spent < 0.003 and calls < 1000:
            start = time.process_time()
            op(subject)
            spent += time.process_time() - start
            calls += 1
        rounds.append(spent / calls)
    return min(rounds)


def _timed(op: Op, family: Family, n: int, is_bytes: bool, guard: Callable[[str], str] | None) -> float:
    text = family.build(n)
    text = guard(text) if guard else text
    return _cpu(op, text.encode("latin-1", "replace") if is_bytes else text)


def growth(op: Op, family: Family, size: int, is_bytes: bool, guard: Callable[[str], str] | None = None,
           slow: float = SLOW) -> tuple[float, int, float]:
    """(time(m)/time(m/8), m, time(m) in seconds) for the largest m of size/64, size/8, size and 8*size whose time
    is expected under ``slow`` seconds (judged from the growth so far, at least 8x a step); one size smaller when
    even size/64 is slow."""
    sizes = [size // 64, size // 8, size, size * 8]
    times = [_timed(op, family, sizes[0], is_bytes, guard)]
    while len(times) < len(sizes):
        growth_so_far = times[-1] / max(times[-2], 1e-9) if len(times) > 1 else 64.0  # first: assume quadratic
        if times[-1] * max(8.0, growth_so_far) > slow:
            break
        times.append(_timed(op, family, sizes[len(times)], is_bytes, guard))
    if len(times) == 1:
        sizes.insert(0, sizes[0] // 8)
        times.insert(0, _timed(op, family, sizes[0], is_bytes, guard))
    last = len(times) - 1
    return times[last] / max(times[last - 1], 1e-9), sizes[last], times[last]


@dataclass
class Result:
    ratio: float = 0.0
    op: str = ""
    family: str = ""
    size: int = 0
    seconds: float = 0.0
    strings: int = 0
    error: str | None = None
    note: str = ""

    @property
    def flagged(self) -> bool:
        return self.error is not None or (self.ratio > BOUND and not self.note.startswith("not growth"))

    def detail(self) -> str:
        return self.error or (f"{self.op} on {self.family} (n={self.size:,}: {self.seconds * 1000:.1f} ms)"
                              + (f"; {self.note}" if self.note else ""))


def _label(family: Family) -> str:
    return f"{family.label}: {family.head[:20]!r} + {family.unit[:20]!r}*k + {family.tail[:20]!r}"


def _child(item: Found, size: int, conn: Any) -> None:
    """Times every (string, operation) of one pattern, sending the label before each timing and the result after
    it, then None: a parent that has to kill the child knows which string it was on."""
    pattern = item.pattern
    guard = GUARDS[item.guard][1] if item.guard else None
    try:
        fams = families(pattern)
        is_bytes = isinstance(pattern.pattern, bytes)
        for family in fams:
            for name, op in _ops(pattern, item.ops).items():
                conn.send(f"{name} on {_label(family)}")
                ratio, n, seconds = growth(op, family, size, is_bytes, guard)
                result = Result(ratio, name, _label(family), n, seconds, len(fams))
                if ratio > BOUND:  # measured again: noise alone flags nothing
                    result.ratio = min(ratio, growth(op, family, size, is_bytes, guard)[0])
                if result.ratio > BOUND and seconds * 3 < SLOW:
                    # A step in time at one size (the engine's stacks outgrowing a cache) is no growth: doubling
                    # the size again costs ~2x for a linear pattern, ~4x for a quadratic one.
                    doubled = _timed(op, family, 2 * n, is_bytes, guard) / max(seconds, 1e-9)
                    if doubled < 3:
                        result.note = f"not growth: a step at one size, time(2m)/time(m) = {doubled:.1f}"
                conn.send(result)
    except Exception as exc:  # noqa: BLE001 - reported as the pattern's result
        conn.send(Result(error=f"{type(exc).__name__}: {exc}"))
    conn.send(None)


def measure_isolated(item: Found, size: int, timeout: float) -> Result:
    """The worst growth over the pattern's adversarial strings and operations, timed in a forked child. A timing
    over STRING_TIMEOUT is flagged (infinite growth, naming the string); a pattern still running after ``timeout``
    seconds is cut short, its result noted."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(item, size, sender), daemon=True)
    child.start()
    sender.close()
    deadline = time.monotonic() + timeout
    worst, running, timed = Result(), "", 0
    while True:
        left = deadline - time.monotonic()
        if not receiver.poll(max(0.0, min(STRING_TIMEOUT, left))):
            if left > STRING_TIMEOUT:
                worst = Result(float("inf"), error=f"one timing ran over {STRING_TIMEOUT:.0f} s: {running}")
            else:
                worst.note += f" (cut short after {timeout:.0f} s, {timed} timings done)"
            break
        try:
            message = receiver.recv()
        except EOFError:
            break
        if message is None:
            break
        if isinstance(message, str):
            running = message
            continue
        timed += 1
        if (message.flagged, message.ratio) > (worst.flagged, worst.ratio):
            worst = message
    if child.is_alive():
        child.kill()
    child.join()
    return worst


def _shown(pattern: re.Pattern[Any], width: int = 90) -> str:
    """The pattern's text, printable (escapes for what is not) and cut to ``width``."""
    text = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_patterns", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="n, in characters (default 100,000)")
    parser.add_argument("--only", help="only the patterns whose name contains this")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per pattern before it is cut short")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="patterns timed at once, each in its own process (CPU time is per process)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    found, failures = find_patterns()
    if args.only:
        found = [f for f in found if any(args.only in w for w in f.where)]
    print(f"fuzz_patterns: {len(found)} compiled patterns reachable from ingest_plugin's modules; n = {args.size:,} "
          f"characters, growth = CPU time(8n) / time(n), bound {BOUND:g}", flush=True)
    flagged = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(lambda item: measure_isolated(item, args.size, args.timeout), found)
        for item, result in zip(found, results, strict=True):
            name = item.where[0] + (f" (+{len(item.where) - 1} more)" if len(item.where) > 1 else "")
            name += f" [guarded: {GUARDS[item.guard][0]}]" if item.guard else ""
            mark = "  FLAG" if result.flagged else ""
            detail = result.detail()
            print(f"{result.ratio:7.1f}{mark:6} {name}  /{_shown(item.pattern, 70)}/  [{result.strings} strings] "
                  f"worst: {detail}", flush=True)
            if mark:
                flagged.append((item, result))
    print()
    if failures:
        print("modules that failed to import (their patterns were not walked):")
        for failure in failures:
            print(f"  {failure}")
    if flagged:
        print(f"PATTERNS OVER THE BOUND ({len(flagged)}):")
        print("| ratio | pattern | where | worst input |")
        print("|---|---|---|---|")
        for item, result in flagged:
            print(f"| {result.ratio:.1f} | `{_shown(item.pattern, 200)}` | {', '.join(item.where)} | "
                  f"{result.detail()} |")
    else:
        print(f"no pattern over the bound: every growth ratio is at most {BOUND:g}")
    print(f"fuzz_patterns: {time.perf_counter() - started:.0f} s")
    return 1 if flagged or failures else 0


if __name__ == "__main__":
    sys.exit(main())
