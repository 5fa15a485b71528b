"""Text formats of question parts, as Moodle names them: ``html``, ``moodle`` (Moodle's auto-format: HTML
allowed, line breaks kept), ``plain`` and ``markdown``.

A question's stem keeps its format (``QuestionSpec.stem_format``). Every other part has one format here,
the one it is shown in: choice texts, short answers and matching sides are plain text; feedback and
general feedback are Markdown (see ``quizzes/templatetags/quiz_tags.py``). An imported part written in
another format is converted with :func:`convert`, which also says what the conversion could not keep
(an image or formatting in a choice that is shown as plain text), so that an import can report it.

Nothing here imports Django.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown

FORMAT_TAG = re.compile(r"\[(markdown|moodle|html|plain)\]")
PLAIN_PARTS = "plain"  # choice texts, accepted short answers, matching sides
RICH_PARTS = "markdown"  # feedback, general feedback

# Tags whose loss changes nothing a reader needs when text becomes plain: layout only.
_LAYOUT_TAGS = {"p", "br", "div", "span", "html", "body"}
_BLOCK_TAGS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table"}
# Characters Markdown gives a meaning to anywhere in a line, escaped with a backslash where text must stay
# literal; and what means something at the start of a line only (a heading, a quote, a list item).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+(?=\.))", re.MULTILINE)
_HTML_PIECES = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)


class _TextOnly(HTMLParser):
    """HTML to the text a reader sees; records the tags that carried meaning and were dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped: list[str] = []
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br" or tag in _BLOCK_TAGS and self.parts:
            self.parts.append("\n")
        if tag == "pre":
            self.in_pre += 1
        if tag not in _LAYOUT_TAGS and tag not in self.dropped:
            self.dropped.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.in_pre = max(0, self.in_pre - 1)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))


def _html_to_plain(source: str) -> tuple[str, list[str]]:
    parser = _TextOnly()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    pre = "<pre" in source.lower()
    if not pre:  # outside <pre>, runs of spaces show as one
        text = re.sub(r" {2,}", " ", text)
    lines = [line.rstrip(" ") if pre else line.strip(" ") for line in text.split("\n")]
    return re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip(), parser.dropped


def _moodle_to_html(text: str) -> str:
    # Moodle's auto-format keeps the author's line breaks; HTML in it is HTML.
    return text.replace("\n", "<br>\n")


def _escape_markdown_text(text: str, *, line_start: bool = True) -> str:
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if not line_start:
        return text
    return _MARKDOWN_LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2).isdigit() else "\\" + m.group(2)), text
    )


def _html_to_markdown(text: str) -> str:
    """HTML as Markdown that renders the same: tags stay (Markdown passes HTML through, and the renderer
    sanitizes it), text between tags is escaped so that ``*`` or ``_`` in it stays literal, and line breaks
    outside ``<pre>`` become spaces, as they are in HTML."""
    out: list[str] = []
    in_pre = 0
    for piece in _HTML_PIECES.split(text):
        if _HTML_PIECES.fullmatch(piece):
            name = piece.strip("</> \n").split()[0].lower() if piece.strip("</> \n") else ""
            if name == "pre":
                in_pre += -1 if piece.startswith("</") else 1
            out.append(piece)
        elif in_pre:
            out.append(piece)
        else:
            text = re.sub(r"\s*\n\s*", " ", piece)
            out.append(_escape_markdown_text(text, line_start=not "".join(out).strip()))
    return "".join(out).strip()


def _plain_to_markdown(text: str) -> str:
    escaped = _escape_markdown_text(html.escape(text, quote=False))
    return "  \n".join(escaped.split("\n"))  # two trailing spaces: a Markdown line break


def convert(text: str, source: str, target: str) -> tuple[str, list[str]]:
    """``text`` written in format ``source`` as the same text in format ``target`` (``plain`` or
    ``markdown``), and the HTML elements that could not be kept (empty when nothing was lost)."""
    if source == target:
        return text, []
    if source == "moodle":
        text, source = _moodle_to_html(text), "html"
    if target == "plain":
        if source == "markdown":
            text = markdown.markdown(text, extensions=["fenced_code"])
        return _html_to_plain(text)
    if target == "markdown":
        if source == "html":
            return _html_to_markdown(text), []
        return _plain_to_markdown(text), []
    raise ValueError(f"cannot convert to {target!r}")


def split_format(text: str, default: str) -> tuple[str, str]:
    """A part's own format tag (``[html]...``) and its text, or ``default`` when it has none."""
    match = FORMAT_TAG.match(text)
    if match:
        return match.group(1), text[match.end() :].lstrip(" \t")
    return default, text


def needs_tag(text: str, text_format: str, default: str) -> bool:
    """Whether writing ``text`` needs its format tag: another format than the default, or a text that
    starts like a tag and would lose its first characters to it."""
    return text_format != default or bool(FORMAT_TAG.match(text))


__all__ = ["FORMAT_TAG", "PLAIN_PARTS", "RICH_PARTS", "convert", "needs_tag", "split_format"]
