"""Jobs from local inputs: partner content in files (``ingest``, ``reingest --file``, the demo) and ninjs documents
already parsed, one per line (``publish``). Reading happens here, where a trigger makes its jobs; parsing happens in
the handler, like every other job's."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.jobs import Action, DocumentSource, IngestJob, Payload, PayloadSource, item_job
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.ninjs import document_canonical_url
from ingest_plugin.partners.identity import Identity
from ingest_plugin.transport.files import read_input

InputName = str | os.PathLike[str]  # a path; "-" is standard input


def file_jobs(paths: Iterable[InputName], *, source_url: str | None = None, action: Action = Action.INGEST,
              force: bool = False, trigger: str = "manual") -> Iterator[IngestJob]:
    """One job per file: its content, parsed by the handler (``action``: to publish it, or its article's kill or
    reinstatement); a file that cannot be read fails alone."""
    for path in paths:
        name = os.fspath(path)
        try:
            source = PayloadSource(name, Payload(read_input(name)), source_url)
        except IngestError as error:
            yield item_job(ItemResult(input_name=name, raw=b"").failed(error), force=force, trigger=trigger)
            continue
        yield IngestJob(source, action=action, force=force, trigger=trigger)


def document_jobs(path: InputName, *, force: bool = False, trigger: str = "manual") -> Iterator[IngestJob]:
    """One job per JSON Lines line of ninjs documents (``ingest-plugin parse`` output). Every line is checked
    before the first job is made: a line that is not a document of a known partner raises a coded error naming
    it (a usage error for the ``publish`` command), so that a typo never reaches S3."""
    name = os.fspath(path)
    lines = [(f"{name}:{number}", line) for number, line in enumerate(read_input(name).splitlines(), start=1)
             if line.strip()]
    for input_name, line in lines:
        document_item(input_name, line)
    return (IngestJob(DocumentSource(document_item(input_name, line)), force=force, trigger=trigger)
            for input_name, line in lines)


def document_item(input_name: str, line: bytes) -> ItemResult:
    """The item for one ninjs document (its JSON, ``line``): partner and article key from its ``uri``; a coded error
    naming ``input_name`` for anything else."""
    try:
        document = json.loads(line)
    except ValueError as exc:
        raise IngestError(ErrorCode.INVALID_DOCUMENT, f"the line is not JSON: {exc}", input=input_name,
                          stage=Stage.LOAD) from None
    if not isinstance(document, dict):
        raise IngestError(ErrorCode.INVALID_DOCUMENT, "the line is not a JSON object", input=input_name,
                          stage=Stage.LOAD)
    try:
        identity = Identity.of_uri(str(document.get("uri", "")))
    except IngestError as error:
        raise error.for_input(input_name) from None
    return ItemResult(input_name=input_name, raw=line, document=document, partner=identity.partner,
                      article_key=identity.article_key, source_url=document_canonical_url(document))
