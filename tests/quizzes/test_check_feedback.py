"""Every knowledge-check and poll item shipped with the course explains every choice a student can make."""

import pytest

from quizzes.content import parse_checks_dir
from quizzes.spec import Choice, MultipleResponse, SingleChoice, TrueFalse
from tests.helpers import CONTENT_DIR

COURSES = sorted(path for path in CONTENT_DIR.iterdir() if (path / "checks").is_dir())


def missing_feedback(spec) -> list[str]:
    """What a student could choose and get no feedback for (an empty list when every choice has some)."""
    if isinstance(spec, SingleChoice | MultipleResponse):
        return [f"choice {choice.text!r}" for choice in spec.choices if not choice.feedback.strip()]
    if isinstance(spec, TrueFalse):
        return [
            f"{side} answer"
            for side, feedback in (("the right", spec.right_feedback), ("the wrong", spec.wrong_feedback))
            if not feedback.strip()
        ]
    # Short answer, numeric, matching: no choices to explain, but the general feedback must say why.
    return [] if spec.explanation.strip() else ["the general feedback (####)"]


def test_the_rule_catches_a_choice_without_feedback():
    spec = SingleChoice(
        title="t",
        stem="s",
        choices=(
            Choice(id="a", text="Right one", weight=100, feedback="Yes."),
            Choice(id="b", text="Wrong one", weight=0),
        ),
    )
    assert missing_feedback(spec) == ["choice 'Wrong one'"]
    true_false = TrueFalse(title="t", stem="s", answer=True, right_feedback="Yes.")
    assert missing_feedback(true_false) == ["the wrong answer"]


@pytest.mark.parametrize("course", COURSES, ids=[path.name for path in COURSES])
def test_every_choice_of_every_shipped_item_has_feedback(course):
    problems = [
        f"{path.name}: {spec.title}: no feedback for {', '.join(missing)}"
        for path, specs in parse_checks_dir(course)
        for spec in specs
        if (missing := missing_feedback(spec))
    ]
    assert not problems, "\n".join(problems)
