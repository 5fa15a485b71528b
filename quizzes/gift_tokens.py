"""The tokens a GIFT question carries in its comment lines, read and written here.

Moodle 3.6+ writes a question's tags as ``// [tag:lambda] [tag:t\\]ag]`` (``\\]`` and ``\\\\`` escape a
bracket and a backslash). In the same style we add what GIFT has no syntax for, which Moodle's reader
skips as comment text: ``[scoring:all_or_nothing]`` (multiple response), ``[case:sensitive]`` (short
answer), ``[penalty:0.3333333]``, one ``[hint:...]`` per hint (``\\n`` is a line break in a hint), and
one ``[pin:4]`` per choice that keeps its place when choices are shuffled (its position, from 1), for
"All of the above"; Moodle imports such a question with every choice shuffled (it cannot pin one).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .spec import MultipleResponse, QuestionSpec, ShortAnswer, SingleChoice

COMMENT_TOKEN = re.compile(r"\[(tag|scoring|case|hint|penalty|pin):((?:\\.|[^\]\\])*)\]")
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
    options: dict = {"tags": [], "hints": [], "pins": []}
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
            if name == "pin":
                if not value.isdigit() or int(value) < 1:
                    raise TokenProblem(number, f"[pin:{value}]: write the choice's position, from 1")
                options["pins"].append((number, int(value)))
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
    if isinstance(question, SingleChoice | MultipleResponse):
        tokens.extend(f"[pin:{i}]" for i, choice in enumerate(question.choices, start=1) if choice.pinned)
    return [f"// {' '.join(tokens)}"] if tokens else []


def pin_choices(question: QuestionSpec, pins: list[tuple[int, int]]) -> QuestionSpec:
    """``question`` with the choices at the ``(line, position)`` pins marked pinned. Raises TokenProblem
    for a question without choices or a position past its last choice."""
    if not pins:
        return question
    line, _ = pins[0]
    if not isinstance(question, SingleChoice | MultipleResponse):
        raise TokenProblem(
            line, f"[pin:...] pins a choice; a {question.kind} question has no choices to shuffle"
        )
    choices = list(question.choices)
    for line, position in pins:
        if position > len(choices):
            raise TokenProblem(line, f"[pin:{position}]: the question has only {len(choices)} choices")
        choices[position - 1] = replace(choices[position - 1], pinned=True)
    return replace(question, choices=choices)


__all__ = ["COMMENT_TOKEN", "TokenProblem", "pin_choices", "read_tokens", "write_tokens"]
