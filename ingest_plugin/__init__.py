"""ingest-plugin: partner stories (Zenger News, Benzinga) -> validated IPTC ninjs 3.1 documents -> S3.

Public API::

    from ingest_plugin import parse, parse_items
    documents = parse(page_bytes, source_url="https://www.zenger.news/2023/06/18/…/")

:func:`parse` returns one ninjs dict per article and raises :class:`IngestError` (with a stable ``code``) on bad
input; :func:`parse_items` yields every article's outcome without raising, for batch callers. Partners are the
built-in ones until a configuration's are installed (``load_config(path).install_partners()``). The parser (lxml,
jsonschema) is imported on first use, so that importing the package, or ``ingest-plugin --version``, stays cheap.
"""
from typing import TYPE_CHECKING, Any

from ingest_plugin.errors import ErrorCode, IngestError

if TYPE_CHECKING:
    from ingest_plugin.parsing.pipeline import parse, parse_items

__all__ = ["parse", "parse_items", "IngestError", "ErrorCode"]
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    if name in ("parse", "parse_items"):
        from ingest_plugin.parsing import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'ingest_plugin' has no attribute {name!r}")
