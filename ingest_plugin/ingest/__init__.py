"""The application layer: ingest jobs (:mod:`.jobs`), the one handler that runs a job (:mod:`.handler`: resolve ->
parse -> publish -> outcome), batch runs and their records (:mod:`.runs`), the job queue boundary and its in-process
implementation with the disk journal (:mod:`.queue`), the local spool (:mod:`.spool`) and payload store
(:mod:`.payloads`), and jobs from local inputs (:mod:`.inputs`). See docs/architecture.md."""
