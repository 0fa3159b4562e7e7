"""Property-based: no input crashes the parser, every outcome is a valid document or a coded error, and text shortcuts
agree with the definitions they stand for."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_plugin import parse_items
from ingest_plugin.errors import ErrorCode
from ingest_plugin.parsing.text import clean, clean_words
from ingest_plugin.parsing.validate import problems
from tests.pagebuilder import zenger_page

TAGS = ["p", "div", "em", "strong", "a", "figure", "figcaption", "img", "blockquote", "script", "style", "svg",
        "table", "td", "br", "h1", "h2", "span", "iframe", "ul", "li", "article", "aside", "nav"]
fragments = st.recursive(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    lambda inner: st.builds(lambda tag, attrs, body: f"<{tag} {attrs}>{body}</{tag}>", st.sampled_from(TAGS),
                            st.sampled_from(["", "class='entry-content'", "href='javascript:x'", "onclick='x'",
                                             "src='https://wpcdn.zenger.news/i.jpg'", "class='twitter-tweet'"]),
                            st.lists(inner, max_size=4).map("".join)),
    max_leaves=20)


def _check(data: bytes) -> None:
    for result in parse_items(data, input_name="fuzz"):
        if result.error is not None:
            assert result.error.code in set(ErrorCode)
            assert result.error.input.startswith("fuzz")
        else:
            assert problems(result.document) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data):
    _check(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
def test_arbitrary_markup_inside_a_real_page(body):
    _check(zenger_page(body).encode("utf-8", "surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["id", "title", "body", "author", "authors", "data", "content", "created",
                                         "image", "stocks", "url", "teaser", "channels"]), inner, max_size=6),
                    max_leaves=25))
def test_arbitrary_json(value):
    import json
    _check(json.dumps(value).encode())


_PLAIN_OR_NOT = list("ab ;#&<>/x0") + ["&amp;", "&#8217;", "\u00a0", "\u200b", "\u2028", "\t", "\n", "\u3000", "\x1c",
                                       "\ufeff", "\u00e9"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_OR_NOT), max_size=30).map("".join))
def test_clean_shortcut_for_plain_text_agrees_with_its_word_split(text):
    """``clean`` returns plain text as it stands; whatever it takes for plain must read as its words do."""
    assert clean(text) == " ".join(clean_words(text))
