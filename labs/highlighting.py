"""Submitted files shown with syntax highlighting, as lessons show code (Pygments, the same ``highlight`` CSS
class and stylesheet as courses/rendering.py's code blocks)."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

__all__ = ["highlighted_files"]

_FORMATTER = HtmlFormatter(cssclass="highlight", linenos="table")


def _highlighted(name: str, text: str) -> SafeString:
    try:
        lexer = get_lexer_for_filename(name, stripnl=False)
    except ClassNotFound:  # a file type Pygments does not know: plain text, still escaped
        lexer = TextLexer(stripnl=False)
    # Pygments escapes the text it formats, so the result is safe to put in the page as it is.
    return mark_safe(highlight(text, lexer, _FORMATTER))  # noqa: S308


def highlighted_files(files: dict[str, str]) -> dict[str, SafeString]:
    """File name -> the file as highlighted HTML (line numbers in a table beside the code)."""
    return {name: _highlighted(name, text) for name, text in files.items()}
