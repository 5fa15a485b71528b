"""Markdown to safe HTML for lessons (and, later, quiz explanations).

``render_markdown`` is a pure function: python-markdown with Pygments highlighting, tables, call-outs
(admonitions), heading anchors and a table of contents; fenced ``mermaid`` blocks become
``<pre class="mermaid">`` for the browser to draw. The result is sanitized with nh3 (an allow-list:
whatever the Markdown contained, no script, event handler or ``javascript:`` URL survives).

``render_cached`` keys the result by a hash of the source, so a page view on a warm cache does no
Markdown work at all, and an edited lesson gets a new key without any invalidation.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.core.cache import cache
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

# Bump when the rendering pipeline changes so old cache entries are not reused.
RENDERER_VERSION = "2"

_ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "h6", "hr", "img", "kbd", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
}
# Only classes our renderer emits may pass: a lesson cannot smuggle in classes that restyle the page.
_ALLOWED_CLASS_PATTERN = re.compile(
    r"^(highlight|mermaid|admonition|admonition-title|toclink|headerlink|"
    r"note|tip|warning|danger|important|info|caution|changed|[a-z]{1,3}[0-9]?)$"
)


@dataclass(frozen=True)
class TocEntry:
    id: str
    title: str
    level: int
    children: list[TocEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: list[TocEntry]
    has_diagram: bool


class _MermaidPreprocessor(Preprocessor):
    """Pull ```mermaid fences out before fenced_code sees them, so they are not highlighted as code."""

    FENCE = re.compile(
        r"^(?P<fence>`{3,}|~{3,})[ \t]*mermaid[ \t]*\n(?P<body>.*?)\n(?P=fence)[ \t]*$",
        re.MULTILINE | re.DOTALL,
    )

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)

        def stash(match: re.Match) -> str:
            block = f'<pre class="mermaid">{html.escape(match.group("body"))}</pre>'
            return "\n" + self.md.htmlStash.store(block) + "\n"

        return self.FENCE.sub(stash, text).split("\n")


class _MermaidExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (python-markdown's API name)
        # Priority above fenced_code_block (25) so diagrams are taken first.
        md.preprocessors.register(_MermaidPreprocessor(md), "mermaid_fence", 30)


def _make_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            _MermaidExtension(),
            "fenced_code",
            "codehilite",
            "tables",
            "admonition",
            "attr_list",
            "def_list",
            "sane_lists",
            "toc",
        ],
        extension_configs={
            "codehilite": {"css_class": "highlight", "guess_lang": False},
            "toc": {"permalink": False, "toc_depth": "2-3"},
            # An attribute, not inline style: the sanitizer allows no style attributes.
            "tables": {"use_align_attribute": True},
        },
    )


def _filter_class(tag: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = [name for name in value.split() if _ALLOWED_CLASS_PATTERN.match(name)]
    return " ".join(kept) or None


def sanitize_html(raw: str) -> str:
    return nh3.clean(
        raw,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_class,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _toc_entries(tokens: list[dict]) -> list[TocEntry]:
    return [
        TocEntry(
            id=token["id"],
            title=html.unescape(token["name"]),
            level=token["level"],
            children=_toc_entries(token.get("children", [])),
        )
        for token in tokens
    ]


def render_markdown(text: str) -> Rendered:
    """Render Markdown to sanitized HTML with a table of contents. Pure: no database, no cache."""
    md = _make_markdown()
    raw = md.convert(text)
    return Rendered(
        html=sanitize_html(raw),
        toc=_toc_entries(md.toc_tokens),
        has_diagram='class="mermaid"' in raw,
    )


def content_key(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"md:{RENDERER_VERSION}:{digest}"


def render_cached(text: str) -> Rendered:
    """``render_markdown`` behind the cache, keyed by the text's hash."""
    key = content_key(text)
    rendered = cache.get(key)
    if rendered is None:
        rendered = render_markdown(text)
        cache.set(key, rendered, timeout=None)
    return rendered


def plain_text(markdown_text: str) -> str:
    """Text for search: Markdown syntax and code fences reduced to words."""
    text = re.sub(r"```.*?```", " ", markdown_text, flags=re.DOTALL)
    text = re.sub(r"[`*_#>|!\[\]()-]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
