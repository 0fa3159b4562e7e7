"""Publishing to S3: idempotent, versioned, safe under overlapping runs, nothing lost (docs/publishing.md)."""
from .articles import PublishResult, Status
from .publisher import Publisher
from .s3io import S3Unreachable
from .settings import S3Settings, SettingsError, ensure_bucket, make_client

__all__ = [
    "Publisher",
    "PublishResult",
    "S3Settings",
    "S3Unreachable",
    "SettingsError",
    "Status",
    "ensure_bucket",
    "make_client",
]
