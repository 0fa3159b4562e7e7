"""Page metadata: the JSON-LD graph (``@id`` references resolved), OpenGraph / ``article:*`` / Twitter meta,
microdata, and the page's own visible header (h1, dek, byline, dates).

The JSON-LD reader tolerates what real Yoast pages contain: HTML comments around the JSON, a trailing ``;``,
escaped slashes, a block after ``</html>``, ``@type`` as a string or a list.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml.etree import _Element as Element

from ingest_plugin.errors import Stage
from ingest_plugin.log import get_logger
from ingest_plugin.parsing.extract.body import text_of
from ingest_plugin.parsing.text import clean

_ARTICLE_TYPES = re.compile(r"(?:^|\w)(?:Article|BlogPosting|Report)$")
_HEAD_TAGS = ("meta", "link", "script")
_LOWER_LD_JSON = str.maketrans("LDJSON", "ldjson")  # XPath's translate(@type, 'LDJSON', 'ldjson'), as before
_JSON_LD_WRAPPING = re.compile(r"<!--|-->|<!\[CDATA\[|\]\]>")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WP_JSON_POST = re.compile(r"/wp-json/wp/v2/posts/(\d+)")
_REFERENCE_FIELDS = ("name", "url", "contentUrl")  # what is read of a node a reference points at


@dataclass
class PageMeta:
    headline: str | None = None
    description: str | None = None
    alternative_headline: str | None = None
    published: str | None = None
    modified: str | None = None
    created: str | None = None
    authors: list[str] = field(default_factory=list)  # names of the Article node's authors, in order
    person_authors: set[str] = field(default_factory=set)  # those of them typed Person: people, whatever their name
    publisher: str | None = None
    site_name: str | None = None
    canonical: str | None = None
    og_url: str | None = None
    shortlink: str | None = None
    images: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    twitter_written_by: str | None = None
    meta_author: str | None = None
    copyright_holder: str | None = None
    title: str | None = None
    wp_post_id: str | None = None  # the WordPress post id, from the first REST API link (rel="alternate") naming one
    og_type: str | None = None  # "article", "website", "profile"… in lower case
    ld_types: set[str] = field(default_factory=set)  # the @type of every JSON-LD node: what the page says it is
    has_article_node: bool = False  # a JSON-LD node of an article type (Article, NewsArticle, BlogPosting…)
    sources: dict[str, str] = field(default_factory=dict)  # field -> the tag or JSON-LD property that gave it

    def take(self, name: str, value: Any, source: str) -> None:
        """Set field ``name`` to ``value`` from ``source``, when there is a value (what came before stays else)."""
        if value:
            setattr(self, name, value)
            self.sources[name] = source


def read_page_meta(doc: Element) -> PageMeta:
    """Everything the page says about itself, before any element is removed."""
    meta = PageMeta()
    head = _head_elements(doc)
    title = doc.find(".//title")
    meta.title = clean(text_of(title)) if title is not None else None
    _read_meta_tags(head["meta"], head["link"], meta)
    _read_json_ld(head["script"], meta)
    if not meta.language:
        meta.take("language", doc.get("lang") or doc.get("xml:lang"), "the <html> element's lang")
    return meta


def _head_elements(doc: Element) -> dict[str, list[Element]]:
    """The document's meta, link and script elements in document order, in one walk instead of one XPath query
    each. The root's siblings are walked too: a JSON-LD block after </html> is not under the root element."""
    root = doc.getroottree().getroot()
    found: dict[str, list[Element]] = {tag: [] for tag in _HEAD_TAGS}
    for top in (*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()):
        for el in top.iter(_HEAD_TAGS):
            tag = el.tag
            assert isinstance(tag, str)  # one of _HEAD_TAGS (lxml's types also allow bytes and QName)
            found[tag].append(el)
    return found


def _read_meta_tags(metas: list[Element], links: list[Element], meta: PageMeta) -> None:
    tags: dict[str, list[str]] = {}
    for el in metas:
        content = el.get("content")
        if content is None:
            continue
        keys = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").lower()
        for key in keys.split():  # RDFa: one tag may state several properties ("og:title twitter:title")
            tags.setdefault(key, []).append(clean(content))
    first = lambda *keys: next((tags[k][0] for k in keys if tags.get(k) and tags[k][0]), None)  # noqa: E731

    def take(name: str, *keys: str) -> None:
        if key := next((k for k in keys if tags.get(k) and tags[k][0]), None):
            meta.take(name, tags[key][0], f"the {key} meta tag")

    take("headline", "og:title", "twitter:title", "parsely-title", "sailthru.title", "dc.title", "dc:title",
         "dcterms.title")
    take("description", "og:description", "description", "twitter:description")
    take("published", "article:published_time", "datepublished", "pubdate", "publish-date", "publishdate",
         "publish_date", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date",
         "dcterms.date", "dcterms.created", "article.published", "date")
    take("modified", "article:modified_time", "og:updated_time", "datemodified", "last-modified")
    # A site names itself in application-name, but some pages put their own title there (a headline equal to the
    # site's name marks a home page).
    meta.site_name = first("og:site_name") or (app if (app := first("application-name")) != meta.title else None)
    meta.og_url = first("og:url")
    meta.og_type = (first("og:type") or "").lower() or None
    meta.meta_author = first("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
    meta.images = [u for k in ("og:image", "og:image:secure_url", "twitter:image") for u in tags.get(k, []) if u]
    meta.keywords = _article_tags(tags.get("article:tag", [])) + [s for s in tags.get("article:section", []) if s]
    if not meta.keywords and tags.get("keywords"):
        meta.keywords = [k.strip() for k in tags["keywords"][0].split(",") if k.strip()]
    for i in range(1, 5):
        if (tags.get(f"twitter:label{i}") or [""])[0].lower().startswith("written by"):
            meta.twitter_written_by = first(f"twitter:data{i}")
    take("language", "og:locale", "content-language", "language")
    for link in links:
        rel_attr, href = link.get("rel"), link.get("href")
        if rel_attr is None or href is None:
            continue
        rel = rel_attr.lower().split()
        if "canonical" in rel and not meta.canonical:
            meta.take("canonical", clean(href), '<link rel="canonical">')
        elif "shortlink" in rel and not meta.shortlink:
            meta.shortlink = clean(href)
        if rel_attr == "alternate" and meta.wp_post_id is None and (match := _WP_JSON_POST.search(href)):
            meta.wp_post_id = match.group(1)


def _article_tags(values: list[str]) -> list[str]:
    """One tag per ``article:tag``, commas and all ("Trump, Donald J", "1,000 days of war"); but a lone one whose
    commas have no space after them, or that lists three or more, is the whole list in one (Docusaurus,
    django-meta, the Guardian: "harbor,storms,Half Moon Bay"), a number's thousands aside."""
    if len(values) == 1 and "," in values[0]:
        parts = [t.strip() for t in _TAG_COMMA.split(values[0]) if t.strip()]
        if len(parts) >= 3 or _BARE_COMMA.search(values[0]):
            return parts
    return [t for t in values if t]


# A comma between tags: not a number's ("1,000"); a bare one (no space after it) joins a list.
_TAG_COMMA = re.compile(r",(?!(?<=\d,)\d)")
_BARE_COMMA = re.compile(r",(?=\S)(?!(?<=\d,)\d)")


def _read_json_ld(scripts: list[Element], meta: PageMeta) -> None:
    nodes: list[dict] = []
    for script in scripts:
        if "ld+json" not in (script.get("type") or "").translate(_LOWER_LD_JSON):
            continue
        data = parse_json_ld(script.text or "")
        nodes.extend(_flatten(data))
    if not nodes:
        return
    meta.ld_types = {t for n in nodes for t in _types(n)}
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def resolve(value: Any) -> Any:
        """A ``{"@id": …}`` reference -> the graph node, keeping what the reference itself said. Only the fields
        read below come from the node: a big node referred to by every image was copied whole for each."""
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and value["@id"] in by_id:
            node = by_id[value["@id"]]
            return {**value, **{k: node[k] for k in _REFERENCE_FIELDS if node.get(k)}}
        return value

    article = next((n for n in nodes if any(_ARTICLE_TYPES.search(t) for t in _types(n)) and n.get("headline")),
                   None) or next((n for n in nodes if any(_ARTICLE_TYPES.search(t) for t in _types(n))), None)
    if article is None:
        return
    meta.has_article_node = True
    kind = next((t for t in _types(article) if _ARTICLE_TYPES.search(t)), "Article")
    for field_name, prop in (("headline", "headline"), ("alternative_headline", "alternativeHeadline"),
                             ("published", "datePublished"), ("modified", "dateModified"),
                             ("created", "dateCreated"), ("language", "inLanguage")):
        meta.take(field_name, _text(article.get(prop)), f"JSON-LD {kind}.{prop}")
    if not meta.description:
        meta.take("description", _text(article.get("description")), f"JSON-LD {kind}.description")
    for author in _as_list(article.get("author")):
        author = resolve(author)
        name = _text(author.get("name")) if isinstance(author, dict) else _text(author)
        if name:
            meta.authors.append(name)
            if isinstance(author, dict) and "Person" in _types(_node(author, by_id)):
                meta.person_authors.add(name)
    publisher = resolve(article.get("publisher"))
    if isinstance(publisher, dict):
        meta.publisher = _text(publisher.get("name"))
    holder = resolve(article.get("copyrightHolder"))
    if isinstance(holder, dict):
        meta.copyright_holder = _text(holder.get("name"))
    page = resolve(article.get("mainEntityOfPage") or article.get("isPartOf"))
    if isinstance(page, dict) and isinstance(page.get("url"), str) and not meta.canonical:
        meta.take("canonical", clean(page["url"]), f"JSON-LD {kind}.mainEntityOfPage")
    # Each new one goes first (the article's last image leads), as inserting at the front did; a set answers "seen
    # already" (a list's membership test and insert(0) made many images quadratic).
    seen, found = set(meta.images), []
    for image in _as_list(article.get("image")):
        image = resolve(image)
        url = (image.get("contentUrl") or image.get("url")) if isinstance(image, dict) else image
        if isinstance(url, str) and url not in seen:
            found.append(clean(url))
            seen.add(found[-1])
    meta.images[:0] = found[::-1]
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    sections = _as_list(article.get("articleSection"))
    extra = [clean(k) for k in _as_list(keywords) + sections if isinstance(k, str) and clean(k)]
    meta.keywords = list(dict.fromkeys(extra + meta.keywords))


def parse_json_ld(raw: str) -> Any:
    """JSON-LD text -> value; tolerates comments, CDATA markers, a trailing ``;`` and stray control characters."""
    # Each wrapping marker holds a "<" or a ">": two one-character searches spare most blocks the regex.
    text = (_JSON_LD_WRAPPING.sub("", raw) if "<" in raw or ">" in raw else raw).strip().rstrip(";").strip()
    try:
        try:
            return json.loads(text, strict=False)
        except json.JSONDecodeError:
            pass  # the trailing-comma repair below rewrites the whole text: only worth it for broken JSON
        try:
            return json.loads(_TRAILING_COMMA.sub(r"\1", text), strict=False)
        except json.JSONDecodeError:
            return None
    # One bad block costs that block only: the article still parses from the page's other metadata.
    except RecursionError:
        _skipped("the JSON is nested too deeply", len(raw))
    except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
        _skipped(f"the JSON holds a number no metadata has: {exc}"[:200], len(raw))
    return None


def _skipped(reason: str, size: int) -> None:
    get_logger().warning("metadata_block_skipped", stage=Stage.EXTRACT, block="json-ld", reason=reason, size=size)


def _flatten(data: Any) -> list[dict]:
    out: list[dict] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if "@graph" in item:
                stack.extend(reversed(_as_list(item["@graph"])))
            if "@type" in item or "@id" in item:
                out.append(item)
    return out


def _node(value: dict, by_id: dict[str, dict]) -> dict:
    """The graph node a ``{"@id": …}`` reference points at, else the value itself."""
    reference = value.get("@id")
    return by_id.get(reference, value) if isinstance(reference, str) else value


def _types(node: dict) -> list[str]:
    return [t for t in _as_list(node.get("@type")) if isinstance(t, str)]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return clean(value) or None if isinstance(value, str) else None
