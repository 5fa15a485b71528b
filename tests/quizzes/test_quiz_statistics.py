"""Item analysis against values computed by hand on a small fixed data set, the undefined cases, versions of
edited questions, the command's JSON, and the instructor page."""

import json
import textwrap
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import STUDENTS
from accounts.services import user_create
from quizzes.item_analysis import quiz_item_analysis
from quizzes.models import Question, QuestionVersion, Quiz
from quizzes.services import attempt_answer, attempt_start, attempt_submit, gift_import, question_save
from quizzes.statistics import analyse, choice_shares, cronbach_alpha, pearson

THREE = textwrap.dedent("""\
    ::Q1 Lambda memory::Where do you set a function's memory?{=In its configuration ~In the code}

    ::Q2 S3 invocation::How does S3 invoke a function?{=Asynchronously ~Synchronously ~Through polling}

    ::Q3 SQS invocation::How does Lambda read SQS?{=It polls the queue ~SQS pushes ~Through SNS}
    """)

# Rows: students A..E; columns: Q1, Q2, Q3 (1 = right). Totals 3, 3, 2, 1, 2.
MARKS = [(1, 1, 1), (1, 1, 1), (1, 1, 0), (1, 0, 0), (1, 0, 1)]
# What each student picked for Q2 (a is right): a a a b c.
Q2_PICKS = ["a", "a", "a", "b", "c"]


def test_pure_statistics_by_hand():
    attempts = [dict(zip(("q1", "q2", "q3"), row, strict=True)) for row in MARKS]
    analysis = analyse(attempts)
    assert analysis.attempts == 5
    q1, q2, q3 = (analysis.items[name] for name in ("q1", "q2", "q3"))
    # Q1: everybody right -> facility 1, discrimination undefined (no variance).
    assert q1.facility == 1.0 and q1.discrimination is None and q1.n == 5
    # Q2: x = 1 1 1 0 0, rest of test = 2 2 1 1 2 -> sxy 0.2, sxx 1.2, syy 1.2 -> r = 1/6.
    assert q2.facility == pytest.approx(0.6)
    assert q2.discrimination == pytest.approx(1 / 6)
    assert q3.discrimination == pytest.approx(1 / 6)
    # alpha = 3/2 * (1 - (0 + .24 + .24) / .56) = 3/14.
    assert analysis.cronbach_alpha == pytest.approx(3 / 14)
    assert "facility near 1: almost everybody gets it" in q1.flags
    assert "low discrimination" in q2.flags


def test_undefined_cases():
    assert pearson([1.0], [2.0]) is None  # one attempt
    assert pearson([1.0, 1.0], [0.0, 2.0]) is None  # no variance in the item
    assert cronbach_alpha([{"a": 1, "b": 0}]) is None  # one attempt
    assert cronbach_alpha([{"a": 1}, {"a": 0}]) is None  # one item
    assert cronbach_alpha([{"a": 1, "b": 1}, {"a": 1, "c": 0}]) is None  # different draws
    assert cronbach_alpha([{"a": 1, "b": 0}, {"a": 1, "b": 0}]) is None  # totals do not vary
    assert analyse([]).items == {} and analyse([]).cronbach_alpha is None
    # Negative discrimination is flagged: the weak student gets the item, the strong ones do not.
    negative = analyse([{"x": 0, "y": 1, "z": 1}, {"x": 0, "y": 1, "z": 1}, {"x": 1, "y": 0, "z": 0}])
    assert negative.items["x"].discrimination == pytest.approx(-1.0)
    assert "negative discrimination: weaker students do better on it" in negative.items["x"].flags


def test_choice_shares():
    assert choice_shares(["a", "a", "b", None], ["a", "b", "c"]) == {"a": 0.5, "b": 0.25, "c": 0.0}
    assert choice_shares([["a", "b"], ["a"]], ["a", "b"]) == {"a": 1.0, "b": 0.5}
    assert choice_shares([True, "false"], ["true", "false"]) == {"true": 0.5, "false": 0.5}


@pytest.fixture
def three_quiz(course):
    quiz = Quiz.objects.create(course=course, slug="three", title="Three", kind=Quiz.Kind.QUIZ)
    gift_import(course=course, text=THREE, quiz=quiz)
    return quiz


def answer_all(quiz, user, marks, q2_pick):
    q1, q2, q3 = (item.question for item in quiz.items.order_by("order"))
    attempt = attempt_start(user=user, quiz=quiz)
    attempt_answer(attempt=attempt, question_id=q1.id, response="a" if marks[0] else "b")
    attempt_answer(attempt=attempt, question_id=q2.id, response=q2_pick)
    if marks[2]:
        attempt_answer(attempt=attempt, question_id=q3.id, response="a")  # unanswered otherwise: 0
    return attempt_submit(attempt=attempt)


def students(count):
    return [user_create(username=f"s{i}", password="pw-12345678", role=STUDENTS) for i in range(count)]


@pytest.mark.django_db
def test_quiz_report_and_command(three_quiz):
    users = students(5)
    for user, marks, pick in zip(users, MARKS, Q2_PICKS, strict=True):
        answer_all(three_quiz, user, marks, pick)
    # A second attempt by the weakest student is ignored unless --all-attempts.
    answer_all(three_quiz, users[3], (1, 1, 1), "a")
    report = quiz_item_analysis(quiz=three_quiz)
    assert report.attempts == 5
    assert report.cronbach_alpha == pytest.approx(3 / 14)
    q2 = report.questions[1]
    assert q2.title == "Q2 S3 invocation" and q2.facility == pytest.approx(0.6)
    assert [(c.id, c.share, c.correct) for c in q2.choices] == [
        ("a", pytest.approx(0.6), True),
        ("b", pytest.approx(0.2), False),
        ("c", pytest.approx(0.2), False),
    ]
    out = StringIO()
    call_command("quiz_statistics", "--quiz", "three", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["quiz"] == "three" and data["attempts"] == 5
    assert data["cronbach_alpha"] == pytest.approx(3 / 14)
    first = data["questions"][0]
    assert first["title"] == "Q1 Lambda memory" and first["n"] == 5
    assert first["facility"] == 1.0 and first["discrimination"] is None
    assert data["questions"][1]["discrimination"] == pytest.approx(1 / 6)
    out = StringIO()
    call_command("quiz_statistics", "--quiz", "three", "--all-attempts", "--json", stdout=out)
    assert json.loads(out.getvalue())["attempts"] == 6
    out = StringIO()
    call_command("quiz_statistics", "--quiz", "three", stdout=out)
    assert "facility near 1" in out.getvalue()


@pytest.mark.django_db
def test_command_json_with_no_attempts(three_quiz):
    out = StringIO()
    call_command("quiz_statistics", "--quiz", "three", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "quiz": "three",
        "attempts": 0,
        "cronbach_alpha": None,
        "questions": [],
    }


@pytest.mark.django_db
def test_editing_an_answered_question_starts_a_new_version(three_quiz, client, instructor):
    users = students(4)
    for user, marks, pick in zip(users[:2], MARKS[:2], Q2_PICKS[:2], strict=True):
        answer_all(three_quiz, user, marks, pick)
    q2 = Question.objects.get(title="Q2 S3 invocation")
    # A change that students never saw would not split anything; this one was answered.
    question_save(
        course=q2.course, spec_data=dict(q2.spec, stem="How does Amazon S3 invoke a function?"), question=q2
    )
    q2.refresh_from_db()
    assert q2.version == 2
    old = QuestionVersion.objects.get(question=q2)
    assert old.number == 1 and old.answers == 2 and "Amazon S3" not in old.spec["stem"]
    for user, marks, pick in zip(users[2:], MARKS[3:], Q2_PICKS[3:], strict=True):
        answer_all(three_quiz, user, marks, pick)
    report = quiz_item_analysis(quiz=three_quiz)
    versions = [(row.version, row.n, row.facility) for row in report.questions if row.question_id == q2.id]
    assert versions == [(1, 2, 1.0), (2, 2, 0.0)]
    assert report.cronbach_alpha is None  # attempts hold different versions: not the same test
    # The page says what happened.
    client.force_login(instructor)
    page = client.get(reverse("quizzes:quiz_statistics", args=[three_quiz.course.slug, three_quiz.id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Version 1: edited on" in text and "after 2 answer(s)" in text
    # An unanswered question changes without a new version.
    q3 = Question.objects.get(title="Q3 SQS invocation")
    other = Question.objects.create(
        course=q3.course, kind=q3.kind, title="Fresh", spec=dict(q3.spec, title="Fresh")
    )
    question_save(course=q3.course, spec_data=dict(other.spec, stem="Edited"), question=other)
    other.refresh_from_db()
    assert other.version == 1 and not QuestionVersion.objects.filter(question=other).exists()


@pytest.mark.django_db
def test_statistics_page_is_for_instructors(three_quiz, client, student, instructor):
    url = reverse("quizzes:quiz_statistics", args=[three_quiz.course.slug, three_quiz.id])
    assert client.get(url).status_code == 302  # anonymous: log in
    client.force_login(student)
    assert client.get(url).status_code == 403
    client.force_login(instructor)
    page = client.get(url).content.decode()
    assert "Item analysis" in page and "first attempts" in page


@pytest.mark.django_db
def test_question_editor_warns_before_a_new_version(three_quiz, client, instructor):
    answer_all(three_quiz, students(1)[0], (1, 1, 1), "a")
    q2 = Question.objects.get(title="Q2 S3 invocation")
    client.force_login(instructor)
    page = client.get(reverse("quizzes:question_edit", args=[q2.course.slug, q2.id])).content.decode()
    assert "Saving a change starts version 2" in page
