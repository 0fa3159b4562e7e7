"""Entry points: the command line (:mod:`.cli`), the webhook server (:mod:`.webhook`), the cron run
(:mod:`.cron`), re-ingest (:mod:`.reingest`) and the demo. Each makes jobs; none runs one itself."""
