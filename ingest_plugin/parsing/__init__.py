"""Parsing: partner content (bytes) in, validated ninjs 3.1 documents out. Pure: no network, no S3, no files.

``load`` (size, encoding, safe lxml parsers) -> ``formats`` (one reader per input shape) -> ``extract`` (metadata,
body, media, dateline) -> ``credits`` and ``names`` -> ``sanitize`` -> ``ninjs`` -> ``validate``; ``pipeline`` runs
them for one input. This module holds only the constants the command line needs, so that ``--help`` imports nothing
heavy.
"""

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# What --input-format may force, and the kind of content each is: "rss" and "atom" are any partner's feeds (the
# reader names the partner's format, "acme-rss"); the WordPress and Benzinga names are kept for the commands written
# with them.
INPUT_FORMATS = {"html": "html", "rss": "xml", "atom": "xml", "wordpress-rss": "xml", "wordpress-atom": "xml",
                 "benzinga-rss": "xml", "benzinga-api": "json", "benzinga-webhook": "json"}
# What ``parsing.render`` renders a stored version as (docs/renderings.md); ninjs-3.1 is the version itself.
RENDERING_PROFILES = ("ninjs-3.1", "ninjs-2.2", "ninjs-1.6", "superdesk", "newsml-g2")
