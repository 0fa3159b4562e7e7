"""The publisher: one bucket and key layout shared by the article, failed-item and run stores, plus the spool."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .articles import ArticleStore
from .failed import FailedStore
from .keys import KeyLayout
from .runs import RunStore
from .s3io import Bucket
from .settings import S3Settings, make_client
from .spool import Spool


def _default_validator() -> Callable[[dict[str, Any]], None]:
    from ..validate import validate_document  # imported on first use: the validator compiles schemas at import

    return validate_document


class Publisher:
    def __init__(
        self,
        settings: S3Settings,
        *,
        client: Any = None,
        validate: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.bucket = Bucket(self.client, settings.bucket)
        keys = KeyLayout(settings.prefix)
        self.articles = ArticleStore(self.bucket, keys, validate or _default_validator())
        self.failed = FailedStore(self.bucket, keys)
        self.runs = RunStore(self.bucket, keys)
        self.spool = Spool(settings.spool_dir)
