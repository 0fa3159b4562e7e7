"""The publisher: one bucket and key layout shared by the article, failed-item and run stores."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest_plugin.publishing.articles import ArticleStore
from ingest_plugin.publishing.changes import ChangeLog, Notify
from ingest_plugin.publishing.failed import FailedStore
from ingest_plugin.publishing.keys import KeyLayout
from ingest_plugin.publishing.runs import RunStore
from ingest_plugin.publishing.s3io import Bucket
from ingest_plugin.publishing.settings import S3Settings, make_client


def _default_validator() -> Callable[[dict[str, Any]], None]:
    from ingest_plugin.parsing.validate import (
        validate_document,  # imported on first use: the validator compiles schemas at import
    )

    return validate_document


class Publisher:
    def __init__(
        self,
        settings: S3Settings,
        *,
        client: Any = None,
        validate: Callable[[dict[str, Any]], None] | None = None,
        change_log: bool = False,
        notify: Notify | None = None,
    ) -> None:
        """``change_log`` writes one change event per version that becomes current under ``changes/``, and sends
        it to ``notify`` (an SQS queue or SNS topic) when given."""
        self.settings = settings
        self.client = client or make_client(settings)
        self.bucket = Bucket(self.client, settings.bucket)
        keys = KeyLayout(settings.prefix)
        self.changes = ChangeLog(self.bucket, keys, notify) if change_log or notify else None
        self.articles = ArticleStore(self.bucket, keys, validate or _default_validator(), self.changes,
                                     profiles=settings.profiles)
        self.failed = FailedStore(self.bucket, keys)
        self.runs = RunStore(self.bucket, keys)
