"""Writing Moodle GIFT: ``dump_gift(questions)``, the inverse of ``quizzes.gift.parse_gift``.

Written so that Moodle's own reader (https://docs.moodle.org/en/GIFT_format) and ours both get every field
back: the stem carries its format tag, and every other part carries the format it is kept in (``[plain]``
for choices and matching sides, ``[markdown]`` for feedback) whenever that differs from the stem's, since
Moodle reads an untagged part in the stem's format. Categories are written as Moodle paths
(``$CATEGORY: $course$/top/AWS/Lambda``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .gift_tokens import write_tokens
from .spec import Matching, MultipleResponse, Numeric, QuestionSpec, ShortAnswer, SingleChoice, TrueFalse
from .textformat import FORMAT_TAG, PLAIN_PARTS, RICH_PARTS, needs_tag

CATEGORY_PREFIX = "$course$/top/"


def _escape(text: str, *, in_block: bool = False) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return text.replace("->", "-\\>") if in_block else text


def _part(text: str, text_format: str, stem_format: str) -> str:
    """An answer-block part with its format tag when Moodle would otherwise read it in another format."""
    tag = f"[{text_format}]" if text and needs_tag(text, text_format, stem_format) else ""
    return tag + _escape(text, in_block=True)


def _literal(text: str) -> str:
    # Parts Moodle reads without a format (short answers): a leading tag look-alike is protected by
    # a [plain] tag, which Moodle strips.
    return ("[plain]" if FORMAT_TAG.match(text) else "") + _escape(text, in_block=True)


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _feedback(text: str, stem_format: str) -> str:
    return f"#{_part(text, RICH_PARTS, stem_format)}" if text else ""


def _answer(marker: str, weight: float, default: float, text: str, feedback: str) -> str:
    # A text that starts with "%" would be read as a weight: give the weight explicitly before it.
    prefix = f"%{_number_text(weight)}%" if weight != default or text.startswith("%") else ""
    return f"\t{marker}{prefix}{text}{feedback}"


def _numeric_lines(question: Numeric, fmt: str) -> list[str]:
    lines = []
    for answer in question.answers:
        if answer.is_range:
            number = f"{_number_text(answer.minimum)}..{_number_text(answer.maximum)}"
        else:
            number = _number_text(answer.value) + (
                f":{_number_text(answer.tolerance)}" if answer.tolerance else ""
            )
        weight = f"%{_number_text(answer.weight)}%" if answer.weight != 100 else ""
        lines.append(f"\t={weight}{number}{_feedback(answer.feedback, fmt)}")
    if question.wrong_feedback:
        lines.append(f"\t~{_feedback(question.wrong_feedback, fmt)}")
    return lines


def _answer_lines(question: QuestionSpec, fmt: str) -> list[str]:
    if isinstance(question, SingleChoice | MultipleResponse):
        single = isinstance(question, SingleChoice)
        lines = []
        for choice in question.choices:
            marker = "=" if single and choice.weight == 100 else "~"
            text = _part(choice.text, PLAIN_PARTS, fmt)
            default = 100 if marker == "=" else 0
            lines.append(_answer(marker, choice.weight, default, text, _feedback(choice.feedback, fmt)))
        return lines
    if isinstance(question, ShortAnswer):
        return [
            _answer("=", answer.weight, 100, _literal(answer.text), _feedback(answer.feedback, fmt))
            for answer in question.answers
        ]
    if isinstance(question, Numeric):
        return _numeric_lines(question, fmt)
    if isinstance(question, Matching):
        # Moodle reads a format tag on the left side only; the right side is always plain text.
        return [
            f"\t={_part(pair.left, PLAIN_PARTS, fmt)} -> {_escape(pair.right, in_block=True)}"
            for pair in question.pairs
        ] + [f"\t= -> {_escape(right, in_block=True)}" for right in question.distractors]
    raise TypeError(f"not a question spec: {type(question).__name__}")


def _dump_question(question: QuestionSpec) -> str:
    if not isinstance(question, QuestionSpec):
        raise TypeError(f"not a question spec: {type(question).__name__}")
    fmt = question.stem_format
    lines = write_tokens(question)
    head = (f"::{_escape(question.title)}::" if question.title else "") + f"[{fmt}]"
    head += _escape(question.stem)
    general = f"####{_part(question.explanation, RICH_PARTS, fmt)}" if question.explanation else ""
    if isinstance(question, TrueFalse):
        wrong, right = question.wrong_feedback, question.right_feedback
        answer = "TRUE" if question.answer else "FALSE"
        feedback = (f"#{_part(wrong, RICH_PARTS, fmt)}" if wrong or right else "") + (
            f"#{_part(right, RICH_PARTS, fmt)}" if right else ""
        )
        return "\n".join([*lines, f"{head} {{{answer}{feedback}{general}}}"])
    lines.append(f"{head} {{#" if isinstance(question, Numeric) else f"{head} {{")
    lines.extend(_answer_lines(question, fmt))
    if general:
        lines.append(f"\t{general}")
    lines.append("}")
    return "\n".join(lines)


def dump_gift(questions: Iterable[QuestionSpec]) -> str:
    """GIFT text for ``questions``, which ``parse_gift`` reads back as equal specs (for valid questions,
    with choice ids "a", "b", ... in order). A ``$CATEGORY`` line is written whenever the category changes.
    Raises TypeError for an object that is not a question spec."""
    chunks, category = [], ""
    for question in questions:
        if isinstance(question, QuestionSpec) and question.category != category:
            category = question.category
            path = CATEGORY_PREFIX + category if category else CATEGORY_PREFIX.rstrip("/")
            chunks.append(f"$CATEGORY: {path}")
        chunks.append(_dump_question(question))
    return "\n\n".join(chunks) + "\n" if chunks else ""


__all__ = ["dump_gift"]
