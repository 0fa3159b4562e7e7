"""Parsing: partner content (bytes) in, validated ninjs 3.1 documents out. Pure: no network, no S3, no files.

``load`` (size, encoding, safe lxml parsers) -> ``formats`` (one reader per input shape) -> ``extract`` (metadata,
body, media, dateline) -> ``credits`` and ``names`` -> ``sanitize`` -> ``ninjs`` -> ``validate``; ``pipeline`` runs
them for one input. This module holds only the constants the command line needs, so that ``--help`` imports nothing
heavy.
"""

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
INPUT_FORMATS = ("html", "wordpress-rss", "wordpress-atom", "benzinga-rss", "benzinga-api", "benzinga-webhook")
# What ``parsing.render`` renders a stored version as (docs/renderings.md); ninjs-3.1 is the version itself.
RENDERING_PROFILES = ("ninjs-3.1", "ninjs-2.2", "ninjs-1.6", "superdesk", "newsml-g2")
