"""GIFT files beside the lessons are imported by import_course: checks, polls, quizzes; idempotent."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from courses.models import Lesson
from quizzes.models import Question, Quiz
from tests.quizzes.conftest import CHECK_GIFT

pytestmark = pytest.mark.django_db


def run(path) -> str:
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def with_checks(content_dir):
    checks = content_dir / "checks"
    checks.mkdir()
    (checks / "intro.gift").write_text(CHECK_GIFT)
    (checks / "polls-week-1.gift").write_text("::P1::Ready?{T}\n\n::P2::Lambda max timeout, minutes?{#15}\n")
    (checks / "final-review.gift").write_text("::R1::SQS is push-based.{F}\n")
    return content_dir


def test_checks_polls_and_quizzes_are_imported(with_checks):
    run(with_checks)
    check = Quiz.objects.get(slug="check-intro")
    assert check.kind == "check" and check.lesson == Lesson.objects.get(slug="intro")
    assert list(check.items.values_list("question__title", flat=True)) == ["Invocation of S3", "Max memory"]
    assert Quiz.objects.get(slug="polls-week-1").kind == "polls"
    assert Quiz.objects.get(slug="final-review").kind == "quiz"
    assert Question.objects.get(title="Max memory").lesson.slug == "intro"


def test_reimport_is_idempotent_and_updates_in_place(with_checks):
    run(with_checks)
    ids = set(Question.objects.values_list("id", flat=True))
    assert run(with_checks).startswith("No changes")
    (with_checks / "checks" / "intro.gift").write_text(CHECK_GIFT.replace("How does", "In what way does"))
    output = run(with_checks)
    assert "question Invocation of S3" in output
    assert set(Question.objects.values_list("id", flat=True)) == ids  # answers stay attached


def test_bad_gift_stops_the_whole_import(with_checks):
    (with_checks / "checks" / "second.gift").write_text("::A::fine{T}\n\n::B::Essay here{}\n")
    with pytest.raises(CommandError) as error:
        run(with_checks)
    assert "second.gift" in str(error.value) and "line 3" in str(error.value)
    assert not Lesson.objects.exists() and not Question.objects.exists()


FACTS_YAML = (
    "lambda:\n  timeout_max:\n    value: 900\n    unit: seconds\n    text: 15 minutes\n"
    "    source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html\n"
)


def test_fact_tags_in_gift_are_resolved_before_parsing(with_checks):
    (with_checks / "facts.yaml").write_text(FACTS_YAML)
    (with_checks / "checks" / "final-review.gift").write_text(
        "::R1::Longest invocation, in seconds?{#{{ fact:lambda.timeout_max|raw }}:0####"
        "That is {{ fact:lambda.timeout_max }}.}\n"
    )
    run(with_checks)
    spec = Question.objects.get(title="R1").spec
    assert spec["answers"][0]["value"] == 900
    assert spec["explanation"] == "That is 15 minutes."


def test_an_unknown_fact_tag_in_gift_names_file_and_line(with_checks):
    (with_checks / "facts.yaml").write_text(FACTS_YAML)
    (with_checks / "checks" / "final-review.gift").write_text(
        "::R1::fine{T}\n\n::R2::Up to {{ fact:lambda.timeout_maximum }}?{T}\n"
    )
    with pytest.raises(CommandError) as error:
        run(with_checks)
    assert "final-review.gift: line 3: unknown fact 'lambda.timeout_maximum'" in str(error.value)


def test_content_that_would_lose_formatting_stops_the_import(with_checks):
    # A warning in an upload is an error in our own content: the file must say exactly what it shows.
    (with_checks / "checks" / "bold.gift").write_text("::A::[html]Pick {=<b>bold</b> ~plain}\n")
    with pytest.raises(CommandError) as error:
        run(with_checks)
    assert "bold.gift" in str(error.value)
    assert "line 1: answer 1: <b> dropped: it is shown as plain text" in str(error.value)
    assert not Question.objects.exists()
