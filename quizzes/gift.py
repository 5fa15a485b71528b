"""Moodle's GIFT text format: ``parse_gift(text)`` reads questions, ``dump_gift(questions)`` writes them.

What is read (https://docs.moodle.org/en/GIFT_format), one question per block of lines, blocks separated
by blank lines (lines holding only spaces count as blank); the lines of a block are joined with a newline
and kept as written, indentation included (code in ``<pre>`` or Markdown keeps its shape), as Moodle does:

- ``// comment`` lines (only at the start of a line: ``https://`` in a stem is text);
- ``$CATEGORY: path`` sets the category of the questions that follow; Moodle's context prefix and top
  category (``$course$/top/``) are left out (``$course$/top/AWS/Lambda`` is the category ``AWS/Lambda``);
- ``::title::``, then an optional format tag ``[markdown]``, ``[moodle]``, ``[html]`` or ``[plain]``
  (untagged text is Markdown here, as lessons are; Moodle would use its own "moodle" format);
- format tags on the other parts too (answers, feedback, general feedback, the left side of a matching
  pair), as Moodle reads them: an untagged part is in the stem's format when the stem has a tag, and is
  taken as written otherwise. Parts are kept in the format they are shown in (``quizzes.textformat``),
  with a warning for what cannot be (an image in a choice). Short answers keep their text after the tag
  and the right side of a matching pair takes none, as in Moodle;
- one answer block ``{...}``; text after it makes a missing-word question, the block becoming ``_____``;
- in the block: ``=`` right / ``~`` wrong answers, weights ``%50%`` / ``%-100%``, feedback ``#...``, general
  feedback ``####...`` (the last one in the block, as Moodle reads it);
- kinds, decided as Moodle does: ``{#...}`` numeric (``value``, ``value:tolerance``, ``min..max``, several
  ``=%w%`` answers, ``~#feedback`` for any other number); any ``~`` makes choices (single choice when an
  answer starts with ``=``, otherwise multiple response with partial credit); ``=`` with ``->`` matching
  (``= -> extra`` adds a distractor); ``{T}`` / ``{F}`` / ``{TRUE}`` / ``{FALSE}`` (any case) true/false
  with ``#wrong feedback#right feedback``; otherwise short answer (every answer starts with ``=``);
- escapes ``\\~ \\= \\# \\{ \\} \\:``, ``\\n`` for a line break and ``\\\\`` for a backslash; ``-\\>`` writes a
  literal ``->`` inside an answer block (our extension; any other backslash stays as it is);
- tags as in Moodle 3.6+, in a comment line of the question: ``// [tag:lambda] [tag:t\\]ag]``, and our
  tokens in the same style for what GIFT cannot say (``quizzes.gift_tokens``), ``[pin:4]`` among them;

A short answer ``*`` is Moodle's wildcard (``quizzes.grading``). Essays (``{}``) and descriptions (no answer
block) are warnings, left out as in Moodle XML. Every other problem (two answer blocks, Moodle's ``*``
numeric answer, ...) is collected and raised together in one GiftError: all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .gift_export import dump_gift
from .gift_tokens import TokenProblem, pin_choices, read_tokens
from .spec import (
    Answer,
    Choice,
    Matching,
    MultipleResponse,
    Numeric,
    NumericAnswer,
    Pair,
    QuestionSpec,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    choice_id,
)
from .textformat import FORMAT_TAG, PLAIN_PARTS, RICH_PARTS, convert, split_format

WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
LOOKS_LIKE_WEIGHT = re.compile(r"%[^%\s]*%")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ID_TOKEN = re.compile(r"\[(id:(?:\\.|[^\]\\])*)\]")  # Moodle's [id:...]: we have no ID numbers
CONTEXT_PREFIX = re.compile(r"^\$[a-z0-9]+\$(/|$)")
BLANK = "_____"  # where the answer block stood in a missing-word question, as in Moodle
TITLE_FROM_STEM_LENGTH = 80

# Characters that "\" makes literal. "\>" is ours: it lets an answer say "->" without meaning a match.
ESCAPABLE = "~=#{}:\\>"
# In a block's ``shape`` an escaped character stands as this neutral letter, so that structure (answer
# markers, braces, "####", "->") is searched in the shape and never finds an escaped one.
_NEUTRAL = "x"


class GiftError(ValueError):
    """GIFT text that cannot be imported. ``line`` (1-based) and ``message`` describe the first problem;
    ``errors`` lists every problem found as ``(line, message)`` pairs, in line order."""

    def __init__(self, line: int, message: str, errors: list[tuple[int, str]] | None = None):
        self.line = line
        self.message = message
        self.errors = errors or [(line, message)]
        more = f" (and {len(self.errors) - 1} more problems)" if len(self.errors) > 1 else ""
        super().__init__(f"line {line}: {message}{more}")


@dataclass
class GiftImport:
    """What ``read_gift`` found: the questions, and ``warnings`` as ``(line, message)`` pairs for what
    could not come across exactly (formatting a plain-text part cannot show)."""

    questions: list[QuestionSpec]
    warnings: list[tuple[int, str]] = field(default_factory=list)


class _Problem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Unsupported(_Problem):
    """A well-formed question of a kind we do not have: reported as a warning, not imported."""


class _Block:
    """The content lines of one question joined with newlines, as two strings of the same length:
    ``text`` with escapes resolved, and ``shape`` where every escaped character is neutral. Spans
    (start, end) index both; ``line_of`` gives the input line of every character."""

    def __init__(self, lines: list[tuple[int, str]], comments: list[tuple[int, str]]):
        self.first_line = lines[0][0]
        self.comments = comments
        self.part_format: str | None = None  # the stem's own tag, which untagged parts inherit
        self.warnings: list[tuple[int, str]] = []
        text: list[str] = []
        shape: list[str] = []
        self.line_of: list[int] = []
        for number, line in lines:
            if text:
                text.append("\n")
                shape.append("\n")
                self.line_of.append(number)
            i = 0
            while i < len(line):
                char, following = line[i], line[i + 1 : i + 2]
                if char == "\\" and following and following in ESCAPABLE + "n":
                    text.append("\n" if following == "n" else following)
                    shape.append(_NEUTRAL)
                    i += 1
                else:
                    text.append(char)
                    shape.append(char)
                self.line_of.append(number)
                i += 1
        self.text, self.shape = "".join(text), "".join(shape)

    def line(self, index: int) -> int:
        return self.line_of[min(max(index, 0), len(self.line_of) - 1)]

    def problem(self, index: int, message: str) -> _Problem:
        return _Problem(self.line(index), message)

    def real(self, start: int, end: int) -> str:
        return self.text[start:end].strip()

    def part(self, start: int, end: int, target: str, what: str) -> str:
        """The text of a part (span), read with its format tag and kept in format ``target``."""
        start, end = self.trim(start, end)
        tag = FORMAT_TAG.match(self.shape, start, end)
        if tag:
            source, start = tag.group(1), tag.end()
        else:
            source = self.part_format or target
        text, lost = convert(self.real(start, end), source, target)
        if lost:
            kept = "plain text" if target == PLAIN_PARTS else target
            elements = ", ".join(f"<{name}>" for name in lost)
            self.warnings.append((self.line(start), f"{what}: {elements} dropped: it is shown as {kept}"))
        return text

    def literal(self, start: int, end: int) -> str:
        """A part Moodle reads without a format: its tag, if any, is dropped and the text kept as written."""
        return split_format(self.real(start, end), "plain")[1]

    def trim(self, start: int, end: int) -> tuple[int, int]:
        """The span without the whitespace at its ends."""
        while start < end and self.shape[start].isspace():
            start += 1
        while end > start and self.shape[end - 1].isspace():
            end -= 1
        return start, end


def _blocks(text: str) -> Iterable[tuple[list[tuple[int, str]], list[tuple[int, str]]]]:
    """Each block of non-blank lines as (content lines, comment lines), lines numbered from 1; content
    lines as written, comment lines trimmed."""
    lines: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        line = raw.strip()
        if line.startswith("//"):
            comments.append((number, line))
        elif line:
            lines.append((number, raw))
        else:
            if lines:
                yield lines, comments
            lines, comments = [], []


def category_from_path(path: str) -> str:
    """A Moodle category path as our category: ``$course$/top/AWS/Lambda`` is ``AWS/Lambda``. Escapes stay
    as written (Moodle writes a "/" inside a name as "//" and does not unescape them either)."""
    path = CONTEXT_PREFIX.sub("", path.strip())
    if path == "top" or path.startswith("top/"):
        path = path[4:]
    return path


def read_gift(text: str) -> GiftImport:
    """Read every question of ``text`` (see the module docstring), each validated with its spec's rules,
    with the warnings of what could not be kept exactly. Raises GiftError listing every problem with its
    line; then no question is returned."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    found = GiftImport(questions=[])
    errors: list[tuple[int, str]] = []
    category = ""
    for lines, comments in _blocks(text):
        if lines[0][1].lstrip().startswith("$CATEGORY:"):
            category = category_from_path(lines[0][1].lstrip().removeprefix("$CATEGORY:"))
            lines = lines[1:]
            if not lines:
                continue
        block = _Block(lines, comments)
        try:
            question = _parse_question(block, category)
        except _Unsupported as skipped:
            found.warnings.append((skipped.line, f"{skipped.message}, which we do not have: not imported"))
            continue
        except (_Problem, TokenProblem) as problem:
            errors.append((problem.line, problem.message))
            continue
        errors.extend((block.first_line, f"{name}: {message}") for name, message in question.problems())
        found.questions.append(question)
        found.warnings.extend(block.warnings)
    if errors:
        errors.sort(key=lambda error: error[0])
        raise GiftError(*errors[0], errors=errors)
    return found


def parse_gift(text: str) -> list[QuestionSpec]:
    """The questions of ``read_gift(text)`` (its warnings left out). Raises GiftError as it does."""
    return read_gift(text).questions


def _parse_question(block: _Block, category: str) -> QuestionSpec:
    shape = block.shape
    title, position = "", block.trim(0, len(shape))[0]
    if shape.startswith("::", position):
        end = shape.find("::", position + 2)
        if end == -1:
            raise block.problem(0, "the title is not closed: write ::title:: before the question")
        title, position = block.real(position + 2, end), end + 2
    opening, closing = shape.find("{", position), shape.find("}", position)
    if opening == -1 and closing == -1:
        name = title or _title_from(block.real(position, len(shape)))
        raise _Unsupported(block.line(position), f"{name!r} is a description (no answer block)")
    if opening == -1 or -1 < closing < opening:
        raise block.problem(closing, "'}' without a '{' before it (write \\} for a literal brace)")
    closing = shape.find("}", opening)
    if closing == -1:
        raise block.problem(opening, "the answer block '{' is not closed with '}' before the blank line")
    nested = shape.find("{", opening + 1, closing)
    if nested != -1:
        raise block.problem(nested, "'{' inside an answer block (write \\{ for a literal brace)")
    stray = min(
        (i for i in (shape.find("{", closing + 1), shape.find("}", closing + 1)) if i != -1), default=-1
    )
    if stray != -1:
        raise block.problem(stray, "a question has one answer block (write \\{ and \\} for literal braces)")

    start, _ = block.trim(position, opening)
    stem_format = "markdown"
    tag = FORMAT_TAG.match(shape, start, opening)
    if tag:
        stem_format, start = tag.group(1), tag.end()
        block.part_format = stem_format
    if shape[closing + 1 :].strip():  # text after the block: a missing-word question
        stem = (block.text[start:opening] + BLANK + block.text[closing + 1 :]).strip()
    else:
        stem = block.real(start, opening)

    explanation, end = "", closing
    general = shape.rfind("####", opening + 1, closing)
    if general != -1:
        explanation, end = block.part(general + 4, closing, RICH_PARTS, "general feedback"), general
    start, end = block.trim(opening + 1, end)
    options = _options(block)
    common = {
        "title": title or _title_from(stem),
        "stem": stem,
        "stem_format": stem_format,
        "explanation": explanation,
        "category": category,
        "tags": options["tags"],
        "hints": options["hints"],
        "penalty": options.get("penalty", 0),
    }
    body = shape[start:end]
    if not body:
        raise _Unsupported(block.line(opening), f"{common['title']!r} is an essay ({{}} with no answers)")
    if body.startswith("#"):
        spec = _numeric(block, start + 1, end, common)
    elif "~" in body:
        spec = _choices(block, start, end, common, options)
    elif "=" in body and "->" in body:
        spec = _matching(block, start, end, common)
    elif body.split("#", 1)[0].strip().upper() in {"T", "TRUE", "F", "FALSE"}:
        spec = _truefalse(block, start, end, common)
    else:
        spec = _short(block, start, end, common, options)
    misplaced = {"scoring": "multiple", "case": "short"}
    for name, kind in misplaced.items():
        if name in options and kind != spec.kind:
            raise _Problem(
                options[f"{name}_line"], f"[{name}:{options[name]}] does not apply to a {spec.kind} question"
            )
    return pin_choices(spec, options["pins"])  # its TokenProblem is reported as a _Problem


def _options(block: _Block) -> dict:
    """The question's comment tokens (``quizzes.gift_tokens``); Moodle's ID number is reported, not kept."""
    try:
        options = read_tokens(block.comments)
    except TokenProblem as problem:
        raise _Problem(problem.line, problem.message) from None
    for number, comment in block.comments:
        found = ID_TOKEN.search(comment)
        if found:
            block.warnings.append((number, f"its ID number [{found.group(1)}] was left out"))
    return options


def _title_from(stem: str) -> str:
    # Moodle names an untitled question after the start of its text; so do we.
    words = " ".join(stem.split())
    return (
        words if len(words) <= TITLE_FROM_STEM_LENGTH else words[: TITLE_FROM_STEM_LENGTH - 1].rstrip() + "…"
    )


def _split(block: _Block, start: int, end: int, markers: str, what: str) -> list[tuple[str, int, int]]:
    """Cut an answer block into ``(marker, start, end)`` answers at each unescaped marker character."""
    cuts = [i for i in range(start, end) if block.shape[i] in markers]
    if not cuts or block.shape[start : cuts[0]].strip():
        found = block.real(start, cuts[0] if cuts else end)
        raise block.problem(start, f"{what} start with {' or '.join(markers)}; found {found[:40]!r}")
    cuts.append(end)
    return [(block.shape[cut], cut + 1, following) for cut, following in zip(cuts, cuts[1:], strict=False)]


def _weight(block: _Block, start: int, end: int, default: float) -> tuple[float, int]:
    """The answer's weight (or ``default``) and where its text starts."""
    start, _ = block.trim(start, end)
    match = WEIGHT.match(block.shape, start, end)
    if match:
        weight = float(match.group(1))
        return (int(weight) if weight.is_integer() else weight), match.end()
    looks_like = LOOKS_LIKE_WEIGHT.match(block.shape, start, end)
    if looks_like:
        raise block.problem(start, f"bad weight {looks_like.group()}: write a percent such as %50% or %-100%")
    return default, start


def _feedback(block: _Block, start: int, end: int, what: str) -> tuple[int, str]:
    """Where the answer's text ends, and its feedback (after the first unescaped "#")."""
    mark = block.shape.find("#", start, end)
    if mark == -1:
        return end, ""
    return mark, block.part(mark + 1, end, RICH_PARTS, f"{what}, feedback")


def _choices(block: _Block, start: int, end: int, common: dict, options: dict) -> QuestionSpec:
    choices = []
    for i, (marker, answer_start, answer_end) in enumerate(_split(block, start, end, "=~", "answers")):
        weight, answer_start = _weight(block, answer_start, answer_end, 100 if marker == "=" else 0)
        text_end, feedback = _feedback(block, answer_start, answer_end, f"answer {i + 1}")
        text = block.part(answer_start, text_end, PLAIN_PARTS, f"answer {i + 1}")
        choices.append(Choice(id=choice_id(i), text=text, weight=weight, feedback=feedback))
    if "=" in block.shape[start:end]:
        if sum(1 for choice in choices if choice.weight == 100) > 1:
            raise block.problem(
                start,
                "more than one answer marked = (single choice takes one): for multiple "
                "response give weights such as ~%50% instead",
            )
        return SingleChoice(**common, choices=choices)
    if not any(choice.weight > 0 for choice in choices):
        raise block.problem(
            start,
            "no right answer: mark it with = (single choice) or give weights such as "
            "~%50% (multiple response)",
        )
    return MultipleResponse(**common, choices=choices, scoring=options.get("scoring", "partial"))


def _truefalse(block: _Block, start: int, end: int, common: dict) -> TrueFalse:
    marks = [i for i in range(start, end) if block.shape[i] == "#"]
    if len(marks) > 2:
        raise block.problem(start, "true/false takes at most two feedbacks: {T#wrong answer#right answer}")
    bounds = [start - 1, *marks, end]
    names = ["answer", "feedback for a wrong answer", "feedback for a right answer"]
    parts = [block.real(bounds[0] + 1, bounds[1])]
    parts += [
        block.part(low + 1, high, RICH_PARTS, names[i])
        for i, (low, high) in enumerate(zip(bounds[1:], bounds[2:], strict=False), start=1)
    ] + ["", ""]
    return TrueFalse(
        **common, answer=parts[0].upper().startswith("T"), wrong_feedback=parts[1], right_feedback=parts[2]
    )


def _short(block: _Block, start: int, end: int, common: dict, options: dict) -> ShortAnswer:
    answers = []
    for i, (_, answer_start, answer_end) in enumerate(
        _split(block, start, end, "=", "short answers (or T/F for true/false)")
    ):
        weight, answer_start = _weight(block, answer_start, answer_end, 100)
        text_end, feedback = _feedback(block, answer_start, answer_end, f"answer {i + 1}")
        text = block.literal(answer_start, text_end)
        answers.append(Answer(text=text, weight=weight, feedback=feedback))
    return ShortAnswer(**common, answers=answers, case_sensitive=options.get("case") == "sensitive")


def _matching(block: _Block, start: int, end: int, common: dict) -> Matching:
    pairs, distractors = [], []
    for _, pair_start, pair_end in _split(block, start, end, "=", "matching pairs"):
        if "#" in block.shape[pair_start:pair_end]:
            raise block.problem(pair_start, "matching pairs take no feedback (write \\# for a literal #)")
        arrow = block.shape.find("->", pair_start, pair_end)
        if arrow == -1:
            raise block.problem(
                pair_start,
                f"a matching pair is written 'left -> right'; found {block.real(pair_start, pair_end)!r}",
            )
        left = block.part(pair_start, arrow, PLAIN_PARTS, f"matching pair {len(pairs) + 1}")
        right = block.real(arrow + 2, pair_end)
        if left:
            pairs.append(Pair(left=left, right=right))
        else:
            distractors.append(right)
    return Matching(**common, pairs=pairs, distractors=distractors)


def _number(block: _Block, start: int, end: int) -> float:
    text = block.real(start, end)
    if not NUMBER.fullmatch(text):
        raise block.problem(start, f"{text!r} is not a number")
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _numeric(block: _Block, start: int, end: int, common: dict) -> Numeric:
    wrong_feedback = ""
    other = block.shape.find("~", start, end)
    if other != -1:
        rest_start, rest_end = block.trim(other + 1, end)
        if rest_start < rest_end and block.shape[rest_start] != "#":
            raise block.problem(other, "after '~' a numeric question takes only #feedback for other numbers")
        wrong_feedback = block.part(rest_start + 1, rest_end, RICH_PARTS, "feedback for other numbers")
        end = other
    start, end = block.trim(start, end)
    if start == end:
        raise block.problem(
            start, "a numeric question needs an answer: {#value}, {#value:tolerance} or {#min..max}"
        )
    if block.shape[start] == "=":
        parts = [(low, high) for _, low, high in _split(block, start, end, "=", "numeric answers")]
    else:  # the short form {#5:0.1#feedback}
        parts = [(start, end)]
    answers = []
    for answer_start, answer_end in parts:
        weight, number_start = _weight(block, answer_start, answer_end, 100)
        mark = block.shape.find("#", number_start, answer_end)
        number_end = answer_end if mark == -1 else mark
        feedback = "" if mark == -1 else block.part(mark + 1, answer_end, RICH_PARTS, "answer feedback")
        dots = block.shape.find("..", number_start, number_end)
        colon = block.shape.find(":", number_start, number_end)
        if dots != -1:
            answers.append(
                NumericAnswer(
                    minimum=_number(block, number_start, dots),
                    maximum=_number(block, dots + 2, number_end),
                    weight=weight,
                    feedback=feedback,
                )
            )
        elif colon != -1:
            answers.append(
                NumericAnswer(
                    value=_number(block, number_start, colon),
                    tolerance=_number(block, colon + 1, number_end),
                    weight=weight,
                    feedback=feedback,
                )
            )
        else:
            answers.append(
                NumericAnswer(
                    value=_number(block, number_start, number_end), weight=weight, feedback=feedback
                )
            )
    return Numeric(**common, answers=answers, wrong_feedback=wrong_feedback)


__all__ = ["GiftError", "GiftImport", "category_from_path", "dump_gift", "parse_gift", "read_gift"]
