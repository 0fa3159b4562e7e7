"""The small, stable set of error codes the plugin reports.

Every failure that reaches a user (CLI stderr, failed-item records, run records) carries one of these codes, a
message that names the input, and the pipeline stage where it happened. Callers branch on ``code``, never on the
message text.
"""
from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    EMPTY_INPUT = "empty_input"  # zero bytes, or only whitespace
    TOO_LARGE = "too_large"  # over the configured maximum input size
    UNDECODABLE = "undecodable"  # binary, or text in no encoding we can decode
    NOT_AN_ARTICLE = "not_an_article"  # parsed, but holds no article (no headline or no body)
    UNKNOWN_PARTNER = "unknown_partner"  # an article, but from no partner we have a profile for
    INVALID_DOCUMENT = "invalid_document"  # the ninjs document failed schema or profile validation
    FETCH_FAILED = "fetch_failed"  # the source could not be fetched
    PUBLISH_FAILED = "publish_failed"  # S3 refused or could not be reached


class IngestError(Exception):
    """A failure of one input (or one item of a feed), with a stable code."""

    def __init__(self, code: ErrorCode, message: str, *, input: str = "-", stage: str = "parse") -> None:
        super().__init__(f"{input}: {message}")
        self.code = ErrorCode(code)
        self.message = message
        self.input = input
        self.stage = stage

    def for_input(self, input: str) -> "IngestError":
        """The same error, naming the given input (stages raise before they know the input's name)."""
        return IngestError(self.code, self.message, input=input, stage=self.stage)

    def to_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "input": self.input, "stage": self.stage, "message": self.message}
