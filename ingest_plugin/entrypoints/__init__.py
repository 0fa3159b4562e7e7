"""Entry points: the command line (:mod:`.cli`), the webhook server (:mod:`.webhook`), the cron run
(:mod:`.cron`) and re-ingest (:mod:`.reingest`). Each makes jobs; none runs one itself. ``aws_lambda`` is kept
free for the Lambda handler."""
