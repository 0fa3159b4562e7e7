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
    TOO_COMPLEX = "too_complex"  # parsing ran past the configured CPU budget
    PARTNER_MISMATCH = "partner_mismatch"  # the content claims another partner than the one it came from
    FETCH_FAILED = "fetch_failed"  # the source could not be fetched
    PUBLISH_FAILED = "publish_failed"  # S3 refused or could not be reached


class Stage(StrEnum):
    """Where a failure happened, in the order an article goes through them."""

    READ = "read"  # a local file or standard input
    FETCH = "fetch"  # a partner URL, or the stored article a job names
    LOAD = "load"  # size, encoding, markup or JSON
    EXTRACT = "extract"  # finding the article in the input
    CREDITS = "credits"  # byline, editors, disclaimer
    PARSE = "parse"  # anywhere else in parsing
    VALIDATE = "validate"  # the ninjs profile and the rules a schema cannot express
    PUBLISH = "publish"  # S3


class IngestError(Exception):
    """A failure of one input (or one item of a feed), with a stable code."""

    def __init__(self, code: ErrorCode | str, message: str, *, input: str = "-", stage: Stage | str = Stage.PARSE
                 ) -> None:
        super().__init__(f"{input}: {message}")
        self.code = ErrorCode(code)
        self.message = message
        self.input = input
        self.stage = Stage(stage)

    def __reduce__(self) -> tuple[object, tuple[dict[str, str]]]:
        """Pickled as its dict: the parse budget's worker processes send errors back to the runner."""
        return IngestError.from_dict, (self.to_dict(),)

    def for_input(self, input: str) -> "IngestError":
        """The same error, naming the given input (stages raise before they know the input's name)."""
        return IngestError(self.code, self.message, input=input, stage=self.stage)

    def to_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "input": self.input, "stage": str(self.stage), "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> IngestError:
        """The error :meth:`to_dict` wrote (records, spool entries and jobs keep errors this way)."""
        return cls(data["code"], data["message"], input=data.get("input", "-"), stage=data.get("stage", Stage.PARSE))
