"""Choices shuffled per attempt (issue 18): pinned choices keep their place, the order is stable within an
attempt or for a student's knowledge check, and grading, review and item analysis map the order shown back
to the real choices (responses are choice ids, never positions)."""

import io
import random
import textwrap
import zipfile

import pytest
from django.urls import reverse

from accounts.services import user_create
from courses.services import enrollment_create
from quizzes import questions
from quizzes.gift import GiftError, dump_gift, parse_gift
from quizzes.item_analysis import quiz_item_analysis
from quizzes.models import Attempt, Question, Quiz
from quizzes.moodle_xml import read_moodle_xml
from quizzes.moodle_xml_export import dump_moodle_xml
from quizzes.qti import read_qti
from quizzes.qti_export import dump_qti
from quizzes.services import attempt_start, attempt_submit, gift_import, question_save
from quizzes.shuffling import ordered, seeded_rng, shuffled_ids
from quizzes.spec import SpecError, choice_id, from_dict
from quizzes.versions import choice_ids_kept

PINNED_GIFT = textwrap.dedent("""\
    // [pin:5]
    ::Which services::Which of these is serverless?{
    ~Amazon EC2#SECRET-EC2 No.
    ~Amazon RDS#No.
    =AWS Lambda#Right.
    ~Amazon EKS#No.
    ~None of the above#No.
    }
    """)


def _choices(n: int, pinned: tuple[int, ...] = ()) -> list[dict]:
    return [{"id": f"c{i}", "text": str(i), **({"pinned": True} if i in pinned else {})} for i in range(n)]


# --- The pure order --------------------------------------------------------------------------------------
def test_pinned_choices_keep_their_place_and_the_others_move():
    choices = _choices(5, pinned=(0, 4))
    seen_second = set()
    for seed in range(200):
        order = shuffled_ids(choices, random.Random(seed))
        assert order[0] == "c0" and order[4] == "c4"
        assert sorted(order) == ["c0", "c1", "c2", "c3", "c4"]
        seen_second.add(order[1])
    assert seen_second == {"c1", "c2", "c3"}  # every loose choice reaches every loose place


def test_seeded_order_repeats_for_the_same_seed_only():
    choices = _choices(6)
    first = shuffled_ids(choices, seeded_rng("check", 1, 2, 3))
    assert shuffled_ids(choices, seeded_rng("check", 1, 2, 3)) == first
    others = {tuple(shuffled_ids(choices, seeded_rng("check", 1, user, 3))) for user in range(20)}
    assert len(others) > 10


def test_ordered_keeps_new_choices_and_drops_removed_ones():
    choices = _choices(3)
    assert [c["id"] for c in ordered(choices, ["c2", "gone", "c0"])] == ["c2", "c0", "c1"]
    assert ordered(choices, None) == choices


# --- The pin in the spec, GIFT and Moodle XML -------------------------------------------------------------
def test_pinned_is_stored_only_when_set_and_is_validated():
    spec = parse_gift(PINNED_GIFT)[0]
    data = spec.to_dict()
    assert data["choices"][4]["pinned"] is True
    assert all("pinned" not in choice for choice in data["choices"][:4])
    assert from_dict(data) == spec
    assert spec.public_dict()["choices"][4] == {"id": "e", "text": "None of the above", "pinned": True}
    data["choices"][0]["pinned"] = "yes"
    with pytest.raises(SpecError) as error:
        from_dict(data).validate()
    assert error.value.field == "choices[0].pinned"


def test_gift_pin_round_trips():
    spec = parse_gift(PINNED_GIFT)[0]
    text = dump_gift([spec])
    assert "// [pin:5]" in text
    assert parse_gift(text)[0] == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("// [pin:6]\n::q::Q?{=A ~B ~C}", "line 1: [pin:6]: the question has only 3 choices"),
        ("// [pin:0]\n::q::Q?{=A ~B}", "line 1: [pin:0]: write the choice's position, from 1"),
        ("// [pin:1]\n::q::Q?{TRUE}", "a truefalse question has no choices to shuffle"),
    ],
)
def test_gift_pin_errors_name_the_line(text, message):
    with pytest.raises(GiftError) as error:
        parse_gift(text)
    assert message in str(error.value)


def test_moodle_xml_keeps_a_pinned_choice_in_place_by_not_shuffling():
    pinned = parse_gift(PINNED_GIFT)[0]
    loose = parse_gift("::Loose::Q?{=A ~B ~C}")[0]
    xml = dump_moodle_xml([pinned, loose]).decode()
    assert xml.count("<shuffleanswers>false</shuffleanswers>") == 1
    assert xml.count("<shuffleanswers>true</shuffleanswers>") == 1
    back = {spec.title: spec for spec in read_moodle_xml(xml.encode()).questions}
    # Moodle cannot pin one choice: "do not shuffle" comes back as every choice pinned.
    assert all(choice.pinned for choice in back["Which services"].choices)
    assert not any(choice.pinned for choice in back["Loose"].choices)


def test_qti_pins_a_choice_with_rshuffle_no():
    """QTI 1.2 ASI: a response_label with rshuffle="No" keeps its place when the choices are shuffled
    (https://www.imsglobal.org/question/qtiv1p2/imsqti_asi_infov1p2.html, response_label)."""
    spec = parse_gift(PINNED_GIFT)[0]
    package = dump_qti([spec], {}, title="Pinned")
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        xml = "".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))
    assert xml.count('rshuffle="No"') == 1
    back = read_qti(package).questions[0]
    assert [choice.pinned for choice in back.choices] == [False, False, False, False, True]
    assert back == spec


# --- Graded quizzes -------------------------------------------------------------------------------------
pytestmark = pytest.mark.django_db


@pytest.fixture
def pinned_quiz(course) -> Quiz:
    # answers shown after each attempt, so the review can be read after the first one
    quiz = Quiz.objects.create(
        course=course,
        slug="pinned",
        title="Pinned",
        kind=Quiz.Kind.QUIZ,
        review_answers=Quiz.ReviewAnswers.AFTER_EACH,
    )
    gift_import(course=course, text=PINNED_GIFT, quiz=quiz)
    return quiz


def _labels(html: str) -> list[str]:
    texts = ["Amazon EC2", "Amazon RDS", "AWS Lambda", "Amazon EKS", "None of the above"]
    return sorted(texts, key=html.index)


def test_new_quizzes_shuffle_choices_by_default(course):
    assert Quiz.objects.create(course=course, slug="new", title="New").shuffle_choices is True


def test_attempt_order_is_stored_stable_and_pins_stay(client, student, course, pinned_quiz):
    enrollment_create(user=student, course=course)
    client.force_login(student)
    client.post(reverse("quizzes:attempt_start", args=["demo", "pinned"]))
    attempt = Attempt.objects.get()
    question = Question.objects.get(title="Which services")
    order = attempt.choice_orders[str(question.id)]
    assert order[4] == "e" and sorted(order) == ["a", "b", "c", "d", "e"]
    url = reverse("quizzes:attempt", args=[attempt.id])
    shown = _labels(client.get(url).content.decode())
    by_id = {
        "a": "Amazon EC2",
        "b": "Amazon RDS",
        "c": "AWS Lambda",
        "d": "Amazon EKS",
        "e": "None of the above",
    }
    assert shown == [by_id[choice_id] for choice_id in order]
    # Autosave and reload keep the order: it is the attempt's, not drawn per page view.
    client.post(reverse("quizzes:attempt_answer", args=[attempt.id, question.id]), {"response": "c"})
    assert _labels(client.get(url).content.decode()) == shown
    client.post(reverse("quizzes:attempt_submit", args=[attempt.id]))
    attempt.refresh_from_db()
    assert attempt.score == 100.0
    review = client.get(reverse("quizzes:attempt_review", args=[attempt.id])).content.decode()
    # The review names the real choices, not the positions they were shown at.
    assert "<strong>Your answer:</strong> AWS Lambda" in review
    assert "<strong>Correct answer:</strong> AWS Lambda" in review


def test_orders_differ_between_attempts(student, course, pinned_quiz):
    orders = set()
    for seed in range(12):
        attempt = attempt_start(user=student, quiz=pinned_quiz, rng=random.Random(seed))
        orders.add(tuple(next(iter(attempt.choice_orders.values()))))
        Attempt.objects.filter(pk=attempt.pk).update(submitted_at=attempt.started_at)
    assert len(orders) > 6
    assert all(order[4] == "e" for order in orders)


def test_no_shuffle_keeps_source_order_and_true_false_is_never_shuffled(student, course, graded_quiz):
    graded_quiz.shuffle_choices = False
    graded_quiz.save()
    assert attempt_start(user=student, quiz=graded_quiz).choice_orders == {}
    tf = parse_gift("::TF::Lambda is serverless.{TRUE}")[0]
    question = Question.objects.create(course=course, kind="truefalse", title="TF", spec=tf.to_dict())
    assert questions.shuffled_choice_ids(question, random.Random(1)) == []


def test_item_analysis_counts_real_choices_whatever_the_order(course, pinned_quiz):
    question = Question.objects.get(title="Which services")
    for index, response in enumerate(["c", "c", "a"]):
        user = user_create(username=f"s{index}", password="pw-123456789")
        attempt = attempt_start(user=user, quiz=pinned_quiz, rng=random.Random(index))
        attempt_submit(attempt=attempt, responses={question.id: response})
    row = quiz_item_analysis(quiz=pinned_quiz, all_attempts=True).questions[0]
    shares = {choice.text: round(choice.share, 2) for choice in row.choices}
    assert shares["AWS Lambda"] == 0.67 and shares["Amazon EC2"] == 0.33
    assert [choice.text for choice in row.choices if choice.correct] == ["AWS Lambda"]


# --- Knowledge checks -----------------------------------------------------------------------------------
def test_check_order_is_per_student_and_stable(course, check):
    question = Question.objects.get(title="Invocation of S3")
    check.shuffle_choices = True
    users = [user_create(username=f"k{i}", password="pw-123456789") for i in range(12)]
    views = [questions.check_view(question, quiz=check, user=user) for user in users]
    assert views[0] == questions.check_view(question, quiz=check, user=users[0])
    assert len({tuple(c["id"] for c in view["choices"]) for view in views}) == 2
    check.shuffle_choices = False
    assert [c["id"] for c in questions.check_view(question, quiz=check, user=users[0])["choices"]] == [
        "a",
        "b",
    ]


# --- Stable ids when choices move --------------------------------------------------------------------------
def test_moving_choices_keeps_their_ids():
    old = {"kind": "single", "choices": [{"id": "a", "text": "Right"}, {"id": "b", "text": "Wrong"}]}
    new = {
        "kind": "single",
        "choices": [{"id": "a", "text": "Wrong"}, {"id": "b", "text": "New"}, {"id": "c", "text": "Right"}],
    }
    kept = choice_ids_kept(old, new)
    assert [(c["id"], c["text"]) for c in kept["choices"]] == [("b", "Wrong"), ("c", "New"), ("a", "Right")]


def test_editing_an_answered_question_keeps_answers_meaning(student, course, pinned_quiz):
    question = Question.objects.get(title="Which services")
    attempt = attempt_start(user=student, quiz=pinned_quiz, rng=random.Random(1))
    attempt_submit(attempt=attempt, responses={question.id: "c"})  # AWS Lambda
    data = dict(question.spec)
    # The editor numbers choices by position again: "AWS Lambda" moved to the top would become "a".
    moved = [data["choices"][i] for i in (2, 0, 1, 3, 4)]
    data["choices"] = [dict(choice, id=choice_id(i)) for i, choice in enumerate(moved)]
    question_save(course=course, spec_data=data, question=question)
    question.refresh_from_db()
    lambda_choice = next(c for c in question.spec["choices"] if c["text"] == "AWS Lambda")
    assert lambda_choice["id"] == "c" and question.spec["choices"][0]["text"] == "AWS Lambda"
    assert questions.grade_response(question, "c").correct


def test_editor_saves_a_pin_and_keeps_a_zero_weight(client, instructor, course):
    client.force_login(instructor)
    data = {
        "kind": "single",
        "title": "Pin me",
        "stem": "Which?",
        "row-0-text": "Right",
        "row-0-weight": "100",
        "row-1-text": "Wrong",
        "row-1-weight": "0",
        "row-2-text": "All of the above",
        "row-2-weight": "0",
        "row-2-pinned": "on",
    }
    client.post(reverse("quizzes:question_new", args=["demo"]), data)
    question = Question.objects.get(title="Pin me")
    assert [c.get("pinned", False) for c in question.spec["choices"]] == [False, False, True]
    page = client.get(reverse("quizzes:question_edit", args=["demo", question.id])).content.decode()
    assert 'name="row-2-pinned" checked' in page
    assert 'name="row-1-weight" value="0"' in page


# --- The course's own questions -----------------------------------------------------------------------------
@pytest.mark.parametrize("folder", ["checks", "exams"])
def test_right_answers_are_not_mostly_first_in_the_course_files(folder):
    """Students learn "pick the first one" when the right answer is usually first (42 of 51 were)."""
    from pathlib import Path

    from django.conf import settings

    from courses.importing import content_facts, resolve_content_tags
    from quizzes.spec import SingleChoice

    directory = Path(settings.BASE_DIR) / "courses" / "content" / "serverless"
    facts = content_facts(directory)
    singles = [
        spec
        for path in sorted((directory / folder).glob("*.gift"))
        for spec in parse_gift(resolve_content_tags(path.read_text(encoding="utf-8"), facts, path))
        if isinstance(spec, SingleChoice)
    ]
    first = sum(1 for spec in singles if spec.choices[0].weight == 100)
    assert len(singles) > 50
    assert first / len(singles) <= 0.4, f"{first} of {len(singles)} single-choice questions have it first"


def test_reordering_a_content_file_keeps_stored_answers_meaning(content_dir, student):
    """The course files were reordered so the right answer is not always first; students' stored answers
    (choice ids) must still name the choice they picked."""
    from courses.importing import import_course_dir
    from courses.models import Course
    from quizzes.models import CheckAnswer
    from quizzes.services import check_answer
    from tests.quizzes.conftest import CHECK_GIFT

    (content_dir / "checks").mkdir()
    path = content_dir / "checks" / "intro.gift"
    path.write_text(CHECK_GIFT)
    import_course_dir(content_dir)
    quiz = Quiz.objects.get(slug="check-intro")
    question = Question.objects.get(title="Invocation of S3")
    enrollment_create(user=student, course=Course.objects.get(slug="demo"))
    check_answer(user=student, quiz=quiz, question=question, response="a")  # "Asynchronously", right
    right = next(line for line in CHECK_GIFT.splitlines() if line.startswith("=Asynchronously"))
    wrong = next(line for line in CHECK_GIFT.splitlines() if line.startswith("~Synchronously"))
    path.write_text(CHECK_GIFT.replace(f"{right}\n{wrong}", f"{wrong}\n{right}"))
    import_course_dir(content_dir)
    question.refresh_from_db()
    assert [c["text"] for c in question.spec["choices"]] == ["Synchronously", "Asynchronously"]
    assert [c["id"] for c in question.spec["choices"]] == ["b", "a"]
    answer = CheckAnswer.objects.get(user=student)
    assert questions.grade_response(question, answer.response).correct
    assert question.version == 2  # answered and changed: statistics keep the versions apart


def test_migration_turns_shuffling_on_for_content_quizzes_only(course):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("quizzes.migrations.0006_shuffle_choices_by_default")
    made = {
        (kind, source): Quiz.objects.create(
            course=course,
            slug=f"{kind}-{bool(source)}",
            title="Q",
            kind=kind,
            source_key=source,
            shuffle_choices=False,
        )
        for kind in ("quiz", "check", "polls")
        for source in ("", "demo/checks/x.gift")
    }
    migration.shuffle_content_quizzes(apps, None)
    shuffled = {key for key, quiz in made.items() if Quiz.objects.get(pk=quiz.pk).shuffle_choices}
    assert shuffled == {("quiz", "demo/checks/x.gift"), ("check", "demo/checks/x.gift")}
