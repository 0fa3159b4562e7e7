"""Build small but complete Zenger-style article pages for focused tests (the full-size, hand-reviewed pages live
in tests/fixtures/pages)."""
from __future__ import annotations

import json

DEFAULT_BODY = """
<p>WASHINGTON — Lawmakers met on Tuesday to debate a spending bill that would fund the government through the
end of the fiscal year, aides said, after weeks of negotiations that at times looked close to collapse.</p>
<p>The measure now heads to the Senate, where leaders of both parties have said they expect it to pass before
the deadline at midnight on Friday.</p>
<p>Zenger News does not provide investment advice.</p>
<p>Produced in association with Benzinga</p>
<p>Edited by Jane Eyre and John Checker</p>
"""


def zenger_page(body: str = DEFAULT_BODY, *, headline: str = "Congress Passes Spending Bill",
                author: str | None = "Zenger News", head_extra: str = "", post_id: int = 4242,
                url: str = "https://www.zenger.news/2024/03/12/congress-passes-spending-bill/") -> str:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": ["Article", "NewsArticle"], "@id": url + "#article", "headline": headline,
         "datePublished": "2024-03-12T14:05:00+00:00", "dateModified": "2024-03-12T16:40:00+00:00",
         "author": {"@id": "https://www.zenger.news/#/schema/person/1"},
         "publisher": {"@id": "https://www.zenger.news/#organization"},
         "mainEntityOfPage": {"@id": url}},
        {"@type": "WebPage", "@id": url, "url": url},
        {"@type": "Organization", "@id": "https://www.zenger.news/#organization", "name": "Zenger News"},
        {"@type": "Person", "@id": "https://www.zenger.news/#/schema/person/1", "name": author or ""},
    ]}
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<title>{headline} - Zenger News</title>
<link rel="canonical" href="{url}"><link rel='shortlink' href='https://www.zenger.news/?p={post_id}'>
<meta property="og:site_name" content="Zenger News"><meta property="og:type" content="article">
<script type="application/ld+json" class="yoast-schema-graph">{json.dumps(graph)}</script>
{head_extra}
</head><body class="post-template-default single single-post postid-{post_id}">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<nav class="main-navigation"><button class="menu-toggle">Menu</button><ul><li><a href="/">Home</a></li></ul></nav>
<main id="main"><article id="post-{post_id}" class="post type-post">
<header class="entry-header"><h1 class="entry-title">{headline}</h1></header>
<div class="entry-content">{body}</div>
</article></main>
<aside class="widget-area"><section class="widget"><h2>Recommended from our partners</h2></section></aside>
<footer class="site-footer"><p>Check out our free email newsletters</p></footer>
</body></html>"""
