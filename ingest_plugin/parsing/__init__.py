"""Parsing: partner content (bytes) in, validated ninjs 3.1 documents out. Pure: no network, no S3, no files.

``load`` (size, encoding, safe lxml parsers) -> ``formats`` (one reader per input shape) -> ``extract`` (metadata,
body, media, dateline) -> ``credits`` and ``names`` -> ``sanitize`` -> ``ninjs`` -> ``validate``; ``pipeline`` runs
them for one input. This module holds only the constants the command line needs, so that ``--help`` imports nothing
heavy.
"""

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
INPUT_FORMATS = ("html", "wordpress-rss", "benzinga-rss", "benzinga-api", "benzinga-webhook")
