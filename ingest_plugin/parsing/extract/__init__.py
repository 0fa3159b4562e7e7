"""Stage 2, extract: partner content -> :class:`~ingest_plugin.parsing.model.Draft`.

``metadata`` reads the JSON-LD graph, meta tags and microdata; ``body`` finds the article content and strips site
chrome and promos; ``media`` lifts photos and tweets out of the body into associations.
"""
