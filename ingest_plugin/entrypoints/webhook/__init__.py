"""The CMS webhook: the Standard Webhooks protocol (:mod:`.protocol`), dedupe (:mod:`.dedupe`), the WSGI app with
its worker threads (:mod:`.app`) and what the workers run (:mod:`.jobs`). docs/webhook.md explains the operation."""
