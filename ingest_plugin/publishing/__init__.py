"""Publishing to S3: idempotent, versioned, safe under overlapping runs, nothing lost (docs/publishing.md)."""
from ingest_plugin.publishing.articles import PublishResult, RepairAction, RepairResult, Status
from ingest_plugin.publishing.publisher import Publisher
from ingest_plugin.publishing.s3io import S3SetupError, S3Unreachable
from ingest_plugin.publishing.settings import S3Settings, SettingsError, ensure_bucket, make_client

__all__ = [
    "Publisher",
    "PublishResult",
    "RepairAction",
    "RepairResult",
    "S3Settings",
    "S3SetupError",
    "S3Unreachable",
    "SettingsError",
    "Status",
    "ensure_bucket",
    "make_client",
]
