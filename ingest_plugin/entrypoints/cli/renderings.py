"""``ingest-plugin render-profiles`` (backfill renderings of versions that exist) and ``ingest-plugin export``
(renderings newer than a cursor, as files in one flat folder). docs/renderings.md describes both.

Each parses its arguments and calls one function, imported when it runs, so ``--help`` stays cheap. Output: JSON
Lines when stdout is not a terminal (one ``item`` line per version, then one summary line), short lines otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ingest_plugin.entrypoints.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    command_errors,
    configured,
)
from ingest_plugin.parsing import RENDERING_PROFILES

_RENDER_EPILOG = """\
Writes the renderings that versions already in S3 lack: after a profile is turned on in [s3] profiles, or, with
--rewrite, after a mapping fix (every version is rendered again; objects whose bytes differ are replaced). New
versions get their renderings when they are published; this is for the ones that exist. Every rendering is
checked before it is written; one that fails is reported (invalid_document) and the sweep goes on.

Cost: one listing of articles/ per 1,000 objects; a version that lacks a rendering costs a GET and one PUT per
object. A second run writes nothing.

Examples:
  ingest-plugin render-profiles                      # the profiles of [s3] profiles
  ingest-plugin render-profiles --profile superdesk --profile newsml-g2 --partner zenger
  ingest-plugin render-profiles --profile ninjs-2.2 --rewrite --dry-run

Exit status: 0 every version rendered (or nothing to do); 1 a version could not be rendered, or an S3 error;
2 usage or configuration error."""

_EXPORT_EPILOG = """\
Writes the renderings of every version newer than the folder's saved cursor into DIR, one file per object,
named {partner}-{article_key}-v{N}.{leaf} (zenger-84217-v2.superdesk.json), oldest first, each file renamed into
place whole. The cursor and temporary files live in DIR/.ingest-export/ (a sub-folder: watchers such as
Superdesk's file feeding service skip sub-folders). Run it from cron next to the ingest.

Examples:
  ingest-plugin export --profile superdesk /srv/superdesk/ingest/partners
  ingest-plugin export --profile newsml-g2 /srv/g2-feed --partner benzinga

Exit status: 0 all exported; 1 a version could not be rendered (the article's later versions wait behind it),
or an S3 error; 2 usage or configuration error."""


def add_rendering_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backfill = commands.add_parser("render-profiles", help="write the renderings existing versions lack (backfill)",
                                   description="Backfill renderings (ninjs 2.2, ninjs 1.6, Superdesk, NewsML-G2) "
                                               "for versions already in S3.",
                                   epilog=_RENDER_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    backfill.add_argument("--profile", action="append", choices=RENDERING_PROFILES[1:], metavar="NAME",
                          help="a profile to backfill (repeatable; default: [s3] profiles): "
                               + ", ".join(RENDERING_PROFILES[1:]))
    backfill.add_argument("--partner", metavar="PARTNER", help="only this partner's articles")
    backfill.add_argument("--rewrite", action="store_true",
                          help="render every version again and replace objects whose bytes differ (a mapping fix)")
    backfill.add_argument("--dry-run", action="store_true", help="read S3 and report what would be written")
    add_config_option(backfill)
    backfill.set_defaults(handler=command_errors(_render_profiles))

    export = commands.add_parser("export", help="write renderings newer than a cursor into a flat folder",
                                 description="Export the renderings of new versions as files into one folder, for "
                                             "consumers that ingest files (Superdesk's file feed, a G2 receiver).",
                                 epilog=_EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("--profile", required=True, choices=RENDERING_PROFILES, metavar="NAME",
                        help="the rendering to export: " + ", ".join(RENDERING_PROFILES))
    export.add_argument("directory", metavar="DIR", type=Path,
                        help="the folder the consumer watches (it must exist: export never makes it)")
    export.add_argument("--partner", metavar="PARTNER", help="only this partner's articles")
    add_config_option(export)
    export.set_defaults(handler=command_errors(_export))


def _line(record: dict[str, Any], human: str) -> None:
    if sys.stdout.isatty():
        sys.stdout.write(human + "\n")
    else:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _render_profiles(args: argparse.Namespace) -> int:
    from ingest_plugin import log
    from ingest_plugin.publishing import Publisher
    from ingest_plugin.publishing.renderings import backfill

    log.bind_run("render-profiles")
    config = configured(args.config)
    if args.partner:
        config.partner(args.partner)
    settings = config.s3()
    profiles = tuple(args.profile or settings.profiles)
    if not [p for p in profiles if p != "ninjs-3.1"]:
        print("ingest-plugin: no rendering to backfill: name one with --profile or in [s3] profiles",
              file=sys.stderr)
        return EXIT_USAGE
    store = Publisher(settings).articles
    versions = failed = written = 0
    for result in backfill(store, profiles, partner=args.partner, rewrite=args.rewrite, dry_run=args.dry_run):
        versions += 1
        failed += not result.ok
        written += len(result.written)
        what = (f"{result.error.code}: {result.error.message}" if result.error
                else f"{'would write' if args.dry_run else 'wrote'} {len(result.written)}")
        _line({"event": "item", **result.to_dict()},
              f"  {result.partner}/{result.article_key} v{result.version} {','.join(result.profiles)}: {what}")
    _line({"event": "render-profiles", "ok": not failed, "versions": versions, "written": written,
           "failed": failed, "profiles": list(profiles), "dry_run": args.dry_run},
          f"render-profiles: {versions} versions, {written} objects {'to write' if args.dry_run else 'written'}, "
          f"{failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from ingest_plugin import log
    from ingest_plugin.ingest.export import export
    from ingest_plugin.publishing import Publisher

    log.bind_run("export")
    config = configured(args.config)
    if args.partner:
        config.partner(args.partner)
    if not args.directory.is_dir():  # never made here: a mistyped path would be a folder no CMS watches
        what = "is not a folder" if args.directory.exists() else "does not exist (create the folder the CMS watches)"
        print(f"ingest-plugin: {args.directory} {what}", file=sys.stderr)
        return EXIT_USAGE
    summary = export(Publisher(config.s3()).articles, args.profile, args.directory, partner=args.partner)
    for failure in summary.failures:
        _line({"event": "item", "status": "failed", **failure},
              f"  failed {failure['partner']}/{failure['article_key']} v{failure['version']}: "
              f"{failure['error']['message']}")
    _line({"event": "export", **summary.to_dict()},
          f"export {summary.profile}: {summary.versions} versions, {len(summary.files)} files into "
          f"{summary.directory}" + (f", {len(summary.failures)} failed" if summary.failures else ""))
    return EXIT_OK if summary.ok else EXIT_FAILED
