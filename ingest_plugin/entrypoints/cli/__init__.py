"""The ``ingest-plugin`` command. Each subcommand parses its arguments and calls one function elsewhere.

Start-up matters (every cron run, every Lambda cold start): building the parser imports nothing heavy, and each
command imports what it uses when it runs, so ``--version`` and ``--help`` load neither lxml, jsonschema nor boto3.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Sequence

from ingest_plugin import __version__
from ingest_plugin.entrypoints.cli.backfill import add_backfill_parser
from ingest_plugin.entrypoints.cli.common import (
    EXIT_DATAERR,
    EXIT_NOINPUT,
    EXIT_OK,
    EXIT_USAGE,
    ReaderGoneTolerant,
    configured,
)
from ingest_plugin.entrypoints.cli.failed import add_failed_parser
from ingest_plugin.entrypoints.cli.publish import add_ingest_parser, add_publish_parser
from ingest_plugin.entrypoints.cli.renderings import add_rendering_parsers
from ingest_plugin.entrypoints.cli.repair import add_repair_parser
from ingest_plugin.entrypoints.cli.triggers import add_trigger_parsers
from ingest_plugin.entrypoints.cli.worker import add_worker_parser
from ingest_plugin.parsing import DEFAULT_MAX_BYTES, INPUT_FORMATS, RENDERING_PROFILES

if TYPE_CHECKING:
    from ingest_plugin.errors import IngestError

_DESCRIPTION = """\
Ingest syndication-partner stories (Zenger News, Benzinga, and partners defined in the configuration) as
validated IPTC ninjs 3.1 documents.

Inputs are detected from their content: a partner article page (HTML), an RSS 2.0 or Atom feed (WordPress,
Benzinga, any partner's), a Benzinga REST API v2 JSON array, or a Benzinga webhook v1 envelope."""

_PARSE_EPILOG = """\
Output: one ninjs 3.1 document per article, as JSON Lines on stdout (a feed or API array gives one line
per item). Nothing else is written to stdout.

Errors: each input (or feed item) that fails gets one JSON object on stderr, e.g.
  {"code": "not_an_article", "input": "page.html", "stage": "extract", "message": "…"}
Codes: empty_input, too_large, undecodable, not_an_article, unknown_partner, invalid_document, too_complex
(--budget), partner_mismatch, fetch_failed (an input file that cannot be read). The other inputs are still
processed.

Partners: the built-in ones (Zenger News, Benzinga), or with --config those of a configuration: partners it
defines ([partners.KEY] with a name, or a partner file) are parsed too, and replace built-in ones of the same key.

Explain: --explain prints, instead of each document, where each of its fields came from, e.g.
  "by": {"value": "By Jane Roe", "from": "the byline line under the page's headline"}
  "descriptions[disclaimer]": {"value": "…", "from": "Zenger News's configuration (disclaimer): the input …"}

Exit status: 0 all parsed; 65 at least one input or item failed; 66 an input file could not be read; 2 the
configuration could not be used.

Examples:
  ingest-plugin parse samples/zenger-article.html --pretty
  curl -s https://www.zenger.news/… | ingest-plugin parse - --source-url https://www.zenger.news/…
  ingest-plugin parse samples/zenger-feed.rss samples/benzinga-api.json > docs.jsonl"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingest-plugin", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), type=str.upper,
                        help="log events at or above this level go to stderr (default: INFO for serve and worker, "
                             "services whose start and jobs are worth a line each; WARNING for the others)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_parse(commands)
    add_ingest_parser(commands)
    add_publish_parser(commands)
    add_trigger_parsers(commands)
    add_backfill_parser(commands)
    add_worker_parser(commands)
    add_failed_parser(commands)
    add_repair_parser(commands)
    add_rendering_parsers(commands)
    return parser


def _add_parse(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parse = commands.add_parser("parse", help="parse partner content into ninjs documents (JSON Lines on stdout)",
                                description="Parse partner content into validated IPTC ninjs 3.1 documents.",
                                epilog=_PARSE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument("inputs", nargs="+", metavar="INPUT", help="a file path, or - for standard input")
    parse.add_argument("--source-url", metavar="URL",
                       help="where the input came from (used when the page names no canonical URL)")
    parse.add_argument("--input-format", choices=INPUT_FORMATS, metavar="F",
                       help=f"force the input format instead of detecting it: {', '.join(INPUT_FORMATS)}")
    parse.add_argument("--pretty", action="store_true", help="indent each document (no longer one per line)")
    parse.add_argument("--max-bytes", type=_byte_count, default=DEFAULT_MAX_BYTES, metavar="N",
                       help=f"reject inputs larger than N bytes (default: {DEFAULT_MAX_BYTES:,})")
    output = parse.add_mutually_exclusive_group()  # each replaces the document: one or the other
    output.add_argument("--explain", action="store_true",
                        help="instead of each document, say where each of its fields came from (JSON-LD, a meta tag, "
                             "the byline line, a body line, the partner's configuration, a fallback): one JSON object "
                             "per article, {input, uri, fields: {FIELD: {value, from}}}")
    output.add_argument("--profile", choices=RENDERING_PROFILES, metavar="NAME",
                        help="print each document as this rendering instead (docs/renderings.md): "
                             + ", ".join(RENDERING_PROFILES) + "; JSON profiles one per line, newsml-g2 as its XML "
                             "items (text, pictures, package), each with its XML declaration")
    parse.add_argument("--config", metavar="PATH",
                       help="parse with the partners of this TOML configuration (default: the built-in partners)")
    parse.add_argument("--budget", type=_seconds, metavar="SECONDS",
                       help="parse each input in a worker process stopped after SECONDS of CPU time (too_complex), "
                            "as the runners do (default: no budget, parse in this process)")
    parse.set_defaults(handler=run_parse)


def _seconds(text: str) -> float:
    """The type of ``--budget``: a positive number of seconds (anything else exits 2)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"not a number of seconds between 0 and 3600: {text!r}")
    return seconds


def run_parse(args: argparse.Namespace) -> int:
    from ingest_plugin import log
    from ingest_plugin.errors import IngestError
    from ingest_plugin.ingest.budget import parse_in_process, parser_for
    from ingest_plugin.transport.files import read_input

    log.bind_run("parse")
    if args.config:
        from ingest_plugin.config import ConfigError

        try:
            configured(args.config)
        except ConfigError as exc:
            print(f"ingest-plugin: {exc}", file=sys.stderr)
            return EXIT_USAGE
    status = EXIT_OK
    losses = None
    if args.profile:
        from ingest_plugin.parsing.render import LossLog

        losses = LossLog()
    parse = parser_for(args.budget) if args.budget else parse_in_process
    for name in args.inputs:
        try:
            data = read_input(name)
        except IngestError as error:
            _report(error)
            status = max(status, EXIT_NOINPUT)
            continue
        for result in parse(data, input_name=name, source_url=args.source_url, input_format=args.input_format,
                            max_bytes=args.max_bytes):
            if result.error is not None:
                _report(result.error)
                status = max(status, EXIT_DATAERR) if status != EXIT_NOINPUT else status
            elif args.explain:
                from ingest_plugin.parsing.explain import explain

                assert result.document is not None  # a result without an error holds its document
                _emit({"input": result.input_name, "uri": result.document["uri"],
                       "fields": explain(result.document, result.sources)}, pretty=args.pretty)
            elif args.profile:
                try:
                    _emit_rendering(result.document, args.profile, pretty=args.pretty, losses=losses)
                except IngestError as error:
                    _report(error.for_input(name))
                    status = max(status, EXIT_DATAERR) if status != EXIT_NOINPUT else status
            else:
                _emit(result.document, pretty=args.pretty)
    return status


def _emit_rendering(document: dict[str, Any] | None, profile: str, *, pretty: bool, losses: Any) -> None:
    """One parsed document as ``profile`` (checked like every rendering: ``invalid_document`` otherwise)."""
    from ingest_plugin.parsing.render import render

    rendering = render(document or {}, profile)
    losses.report(rendering)
    for item in rendering.objects:
        if item.leaf.endswith(".xml"):
            sys.stdout.write(item.body.decode("utf-8") + "\n")
        else:
            _emit(json.loads(item.body), pretty=pretty)


def _byte_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of bytes (1 or more): {text!r}")
    return int(text)


def _emit(document: dict[str, Any] | None, *, pretty: bool) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2 if pretty else None) + "\n")


def _report(error: IngestError) -> None:
    sys.stderr.write(json.dumps(error.to_dict(), ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ingest_plugin import log

    log.configure(args.log_level or ("INFO" if args.command in ("serve", "worker") else "WARNING"))
    stdout = sys.stdout
    if args.command != "parse":  # parse's work is its output: it stops with its reader, the others go on
        sys.stdout = ReaderGoneTolerant(stdout)
    try:
        status: int = args.handler(args)
    except BrokenPipeError:
        return EXIT_OK
    finally:
        if sys.stdout is not stdout:  # what is still buffered, through the wrapper: a reader gone is no error
            sys.stdout.flush()
        sys.stdout = stdout
    return status
