"""``ingest-plugin failed list|show|drop``: look at and forget the articles kept under ``failed/``.

``reingest --failed`` is the replay; these commands only read records and, for ``drop``, delete them with their raw
payloads. Arguments are checked before S3 is touched (an impossible date is a usage error, exit 2), and every
module that talks to S3 is imported when a command runs, so ``--help`` stays cheap.

Output follows the other commands: lines for a person on a terminal, JSON Lines otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ingest_plugin.entrypoints.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    command_errors,
    configured,
    date_or_time,
)
from ingest_plugin.errors import ErrorCode

if TYPE_CHECKING:
    from ingest_plugin.publishing.failed import FailedEntry, FailedStore

FailedCommand = Callable[[argparse.Namespace, "FailedStore"], int]
SHOWN_BEFORE_ASKING = 20  # entries listed above the drop question; the rest are counted

_FAILED_EPILOG = """\
An article that fails (unreadable, not an article, invalid document, S3 refused it...) is kept under
failed/{partner}/{article_key}/: its raw payload and error.json (code, stage, message, attempts, first and last
failure, the job). 'ingest-plugin reingest --failed' replays them; these commands look at them and drop them.

Examples:
  ingest-plugin failed list                                        # every entry, oldest failure first
  ingest-plugin failed list --partner zenger --code fetch_failed --since 2026-11-01
  ingest-plugin failed show zenger/63809                           # the record, as JSON
  ingest-plugin failed show zenger/63809 --raw > payload.html      # the raw payload kept for replay
  ingest-plugin failed drop zenger/63809
  ingest-plugin failed drop --code not_an_article --until 2026-10-31 --yes

Exit status: 0 ok; 1 S3 error, or a named entry does not exist; 2 usage or configuration error."""

_FILTERS_HELP = """\
Filters combine (all must hold). DATE is a day (2026-11-01: the whole day, UTC) or an ISO 8601 time
(2026-11-01T08:00:00+02:00; without an offset, UTC); both bounds are inclusive and apply to the last failure."""

_LIST_EPILOG = f"""\
{_FILTERS_HELP}

Output: on a terminal, one line per entry (last failure, partner/article_key, code, attempts, input); otherwise
JSON Lines, one object per entry: its error.json record plus "key" (the error.json key) and "entry"
(partner/article_key).

Examples:
  ingest-plugin failed list --since 2026-11-01 --until 2026-11-07
  ingest-plugin failed list --code publish_failed | jq -r .entry

Exit status: 0 ok (also when nothing matches); 1 S3 error; 2 usage or configuration error."""

_SHOW_EPILOG = """\
KEY is partner/article_key (as 'failed list' shows it) or the error.json key itself.

Examples:
  ingest-plugin failed show zenger/63809
  ingest-plugin failed show failed/unknown/5cc47a54792e09d43f673ab75cd22d33/error.json
  ingest-plugin failed show benzinga/39495756 --raw | ingest-plugin parse -

Exit status: 0 ok; 1 no such entry, or S3 error; 2 usage or configuration error."""

_DROP_EPILOG = f"""\
Deletes each selected entry's error.json and raw payload; the article is not replayed again. Name entries
(KEY: partner/article_key or the error.json key) or select them with filters, not both.

{_FILTERS_HELP}

On a terminal it lists the entries and asks "Drop N failed entries? [y/N]". When standard input is not a
terminal nothing can be asked: a single entry is dropped, several need --yes (nothing is dropped without it).

Examples:
  ingest-plugin failed drop zenger/63809 benzinga/39495756
  ingest-plugin failed drop --partner benzinga --code not_an_article
  ingest-plugin failed drop --until 2026-10-31 --yes                # in a script

Exit status: 0 dropped, nothing matched, or declined; 1 S3 error or a named entry does not exist (the others are
dropped); 2 usage or configuration error, or several entries and neither a terminal nor --yes."""


def add_failed_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    failed = commands.add_parser("failed", help="list, show or drop the articles kept under failed/",
                                 description="Look at and forget the failed articles kept in S3 under failed/ "
                                             "(replay them with 'ingest-plugin reingest --failed').",
                                 epilog=_FAILED_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = failed.add_subparsers(dest="failed_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="list failed entries (filters: partner, code, dates)",
                                 description="List the failed entries, oldest last failure first.",
                                 epilog=_LIST_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_filters(listing)
    add_config_option(listing)
    listing.set_defaults(handler=_with_store(run_list))

    show = actions.add_parser("show", help="print one entry's record (JSON), or with --raw its raw payload",
                              description="Print one failed entry's error.json record as JSON.",
                              epilog=_SHOW_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("key", metavar="KEY", help="partner/article_key, or the entry's error.json key")
    show.add_argument("--raw", action="store_true",
                      help="write the kept raw payload (the bytes a replay parses) to stdout instead")
    add_config_option(show)
    show.set_defaults(handler=_with_store(run_show))

    drop = actions.add_parser("drop", help="delete failed entries and their raw payloads (asks first)",
                              description="Delete failed entries: each one's error.json and raw payload.",
                              epilog=_DROP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    drop.add_argument("keys", nargs="*", metavar="KEY", help="partner/article_key, or an entry's error.json key")
    _add_filters(drop)
    drop.add_argument("--yes", "-y", action="store_true", help="do not ask; needed for several entries in a script")
    add_config_option(drop)
    drop.set_defaults(handler=_with_store(run_drop))


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", metavar="PARTNER",
                        help="only this partner's entries (its key, e.g. zenger; unknown: inputs that named none)")
    parser.add_argument("--code", choices=[str(code) for code in ErrorCode], metavar="CODE",
                        help=f"only entries with this error code: {', '.join(ErrorCode)}")
    parser.add_argument("--since", type=date_or_time, metavar="DATE", help="only entries last failed at or after DATE")
    parser.add_argument("--until", type=date_or_time, metavar="DATE", help="only entries last failed at or before DATE")


def _with_store(work: FailedCommand) -> Callable[[argparse.Namespace], int]:
    """Run ``work`` on the configured bucket's failed/ store, under :func:`command_errors`."""
    def run(args: argparse.Namespace) -> int:
        from ingest_plugin import log
        from ingest_plugin.publishing import Publisher

        log.bind_run("failed")
        return work(args, Publisher(configured(args.config).s3()).failed)
    return command_errors(run)


def _usage(args: argparse.Namespace, message: str) -> int:
    print(f"ingest-plugin failed {args.failed_command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def _bounds_in_order(args: argparse.Namespace) -> bool:
    from ingest_plugin.publishing.failed import moment_bound

    return args.since is None or args.until is None or moment_bound(args.since) < moment_bound(args.until, upper=True)


def _selected(args: argparse.Namespace, store: FailedStore) -> list[FailedEntry]:
    return list(store.entries(args.since, args.until, partner=args.partner, code=args.code))


def run_list(args: argparse.Namespace, store: FailedStore) -> int:
    if not _bounds_in_order(args):
        return _usage(args, "--since is after --until: nothing could match")
    entries = _selected(args, store)
    out = sys.stdout
    if not out.isatty():
        for entry in entries:
            out.write(json.dumps(_as_json(entry), ensure_ascii=False) + "\n")
        return EXIT_OK
    _print_lines(entries, out)
    out.write(f"{_count(len(entries))}\n" if entries else "no failed entries match\n")
    return EXIT_OK


def run_show(args: argparse.Namespace, store: FailedStore) -> int:
    try:
        key = store.record_key(args.key)
    except ValueError as exc:
        return _usage(args, str(exc))
    entry = store.get(key)
    if entry is None:
        print(f"ingest-plugin failed show: no failed entry {args.key!r} ({key})", file=sys.stderr)
        return EXIT_FAILED
    if args.raw:
        raw = store.raw(entry)
        if not raw and entry.record.get("raw_bytes"):
            print(f"ingest-plugin failed show: the raw payload of {entry.name} is gone ({store.raw_key(entry)})",
                  file=sys.stderr)
            return EXIT_FAILED
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return EXIT_OK
    sys.stdout.write(json.dumps(_as_json(entry), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def run_drop(args: argparse.Namespace, store: FailedStore) -> int:
    filtered = any(value is not None for value in (args.partner, args.code, args.since, args.until))
    if args.keys and filtered:
        return _usage(args, "name entries (KEY...) or select them with filters, not both")
    if not args.keys and not filtered:
        return _usage(args, "name the entries to drop (KEY...) or select them with --partner, --code, --since "
                            "or --until")
    if not _bounds_in_order(args):
        return _usage(args, "--since is after --until: nothing could match")
    status = EXIT_OK
    if args.keys:
        named: dict[str, str] = {}  # error.json key -> the first name given for it
        try:
            for name in args.keys:
                named.setdefault(store.record_key(name), name)
        except ValueError as exc:
            return _usage(args, str(exc))
        entries = []
        for key, name in named.items():
            entry = store.get(key)
            if entry is None:
                print(f"ingest-plugin failed drop: no failed entry {name!r} ({key})", file=sys.stderr)
                status = EXIT_FAILED
            else:
                entries.append(entry)
    else:
        entries = _selected(args, store)
    if not entries:
        if status == EXIT_OK:
            print("no failed entries match; nothing dropped", file=sys.stderr)
        return status
    if not args.yes:
        if sys.stdin.isatty():
            if not _confirmed(entries, sys.stderr):
                print("nothing dropped", file=sys.stderr)
                return status
        elif len(entries) > 1:
            return _usage(args, f"{len(entries)} entries match and standard input is not a terminal, so nothing was "
                                f"asked and nothing dropped: add --yes to drop them")
    human = sys.stdout.isatty()
    for entry in entries:
        store.remove(entry)
        if human:
            sys.stdout.write(f"dropped {entry.name}  {entry.record.get('code', '?')}\n")
        else:
            sys.stdout.write(json.dumps({"event": "dropped", "key": entry.key, "entry": entry.name,
                                         "code": entry.record.get("code")}, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if human:
        sys.stdout.write(f"dropped {_count(len(entries))}\n")
    return status


def _confirmed(entries: Sequence[FailedEntry], out: TextIO) -> bool:
    """List ``entries`` (the first few) on ``out`` and ask; only y or yes on standard input says yes."""
    _print_lines(entries[:SHOWN_BEFORE_ASKING], out)
    if len(entries) > SHOWN_BEFORE_ASKING:
        out.write(f"  … and {len(entries) - SHOWN_BEFORE_ASKING} more\n")
    out.write(f"Drop {_count(len(entries))}? [y/N] ")
    out.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _count(n: int) -> str:
    return f"{n} failed {'entry' if n == 1 else 'entries'}"


def _attempts(n: Any) -> str:
    return f"{n} attempt{'' if n == 1 else 's'}"


def _as_json(entry: FailedEntry) -> dict[str, Any]:
    return {"key": entry.key, "entry": entry.name, **entry.record}


def _print_lines(entries: Sequence[FailedEntry], out: TextIO) -> None:
    """One aligned line per entry: last failure, partner/article_key, code, attempts, input."""
    rows = [(str(e.record.get("last_failed_at", "?")), e.name, str(e.record.get("code", "?")),
             _attempts(e.record.get("attempts")), str(e.record.get("input", ""))) for e in entries]
    if not rows:
        return
    w = [max(len(row[column]) for row in rows) for column in range(4)]
    for last, name, code, attempts, source in rows:
        out.write(f"{last:<{w[0]}}  {name:<{w[1]}}  {code:<{w[2]}}  {attempts:>{w[3]}}  {source}\n")
