"""The tokens a GIFT question carries in its comment lines, read and written here.

Moodle 3.6+ writes a question's tags as ``// [tag:lambda] [tag:t\\]ag]`` (``\\]`` and ``\\\\`` escape a
bracket and a backslash). In the same style we add what GIFT has no syntax for, which Moodle's reader
skips as comment text: ``[scoring:all_or_nothing]`` (multiple response), ``[case:sensitive]`` (short
answer), ``[penalty:0.3333333]`` and one ``[hint:...]`` per hint (``\\n`` is a line break in a hint).
"""

from __future__ import annotations

import re

from .spec import MultipleResponse, QuestionSpec, ShortAnswer

COMMENT_TOKEN = re.compile(r"\[(tag|scoring|case|hint|penalty):((?:\\.|[^\]\\])*)\]")
_ESCAPED = re.compile(r"\\(.)")
_CHOICES = {"scoring": ("all_or_nothing", "partial"), "case": ("sensitive", "insensitive")}


class TokenProblem(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _unescape(raw: str) -> str:
    return _ESCAPED.sub(lambda match: "\n" if match.group(1) == "n" else match.group(1), raw)


def read_tokens(comments: list[tuple[int, str]]) -> dict:
    """Options from ``(line, comment)`` pairs: ``tags`` and ``hints`` lists, and for each other token its
    value and ``<name>_line``. Raises TokenProblem for a value that is not allowed."""
    options: dict = {"tags": [], "hints": []}
    for number, comment in comments:
        for name, raw in COMMENT_TOKEN.findall(comment):
            value = _unescape(raw).strip()
            if name == "tag":
                if value and value not in options["tags"]:
                    options["tags"].append(value)
                continue
            if name == "hint":
                options["hints"].append(value)
                continue
            if name in _CHOICES and value not in _CHOICES[name]:
                raise TokenProblem(number, f"[{name}:{value}]: write {' or '.join(_CHOICES[name])}")
            if name == "penalty":
                try:
                    value = float(value)
                except ValueError:
                    raise TokenProblem(number, f"[penalty:{value}]: write a number from 0 to 1") from None
            options[name], options[f"{name}_line"] = value, number
    return options


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]").replace("\n", "\\n")


def write_tokens(question: QuestionSpec) -> list[str]:
    """The comment line for ``question`` (none when it has nothing to say)."""
    tokens = [f"[tag:{_escape(tag)}]" for tag in question.tags]
    if isinstance(question, MultipleResponse) and question.scoring != "partial":
        tokens.append(f"[scoring:{question.scoring}]")
    if isinstance(question, ShortAnswer) and question.case_sensitive:
        tokens.append("[case:sensitive]")
    if question.penalty:
        tokens.append(f"[penalty:{question.penalty!r}]")
    tokens.extend(f"[hint:{_escape(hint)}]" for hint in question.hints)
    return [f"// {' '.join(tokens)}"] if tokens else []


__all__ = ["COMMENT_TOKEN", "TokenProblem", "read_tokens", "write_tokens"]
