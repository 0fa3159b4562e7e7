"""The three ways an ingest starts, each a thin shell around :func:`ingest_plugin.core.ingest_one`:

* ``cron``: ``ingest-plugin run`` polls every configured partner feed;
* ``webhook``: ``ingest-plugin serve`` takes signed CMS requests and ingests in worker threads;
* ``reingest``: ``ingest-plugin reingest`` lets an editor replay a URL, an article, a file or failed items.

:mod:`.targets` turns "ingest this" into parsed items the same way for all three.
"""
