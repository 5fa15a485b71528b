"""Live polls as a class meets them (issue 18): one wording for the question's and the poll's end, sequence
titles from file names, a start page grouped by lesson with the poll sequence preselected, answer bars hidden
while a question is open (the classroom default), and the right answer on the student's phone after the reveal."""

import pytest
from django.urls import reverse

from courses.models import Lesson
from quizzes.content import declared_title, title_from_stem
from quizzes.models import PollSession, Question, Quiz
from quizzes.services import gift_import
from tests.quizzes.conftest import question
from tests.quizzes.test_quiz_polls import act, join, student_client, vote

pytestmark = pytest.mark.django_db

POLLS_GIFT = "::Poll one::Which service invokes a function synchronously?{=API Gateway ~Amazon S3}\n"


@pytest.fixture
def host(client, instructor, check):
    """An instructor's client and a poll of two questions, answer bars shown live (the box left unticked)."""
    client.force_login(instructor)
    create(client, title="Class poll", questions=[question("Invocation of S3").id, question("Max memory").id])
    return client, PollSession.objects.get()


def create(client, **fields):
    return client.post(reverse("quizzes:poll_create", args=["demo"]), fields)


@pytest.fixture
def sequence(course) -> Quiz:
    quiz = Quiz.objects.create(course=course, slug="polls-sa", title="Live polls: SA", kind=Quiz.Kind.POLLS)
    gift_import(course=course, text=POLLS_GIFT, quiz=quiz)
    return quiz


def test_sequence_titles_come_from_the_file_or_its_name_in_words():
    assert title_from_stem("sa-associate") == "SA associate"
    assert title_from_stem("study-notes-checks") == "Study notes checks"
    assert title_from_stem("api-gateway-s3") == "API gateway S3"
    assert declared_title("$CATEGORY: x\n// title: Solutions Architect Associate \n::q::{T}") == (
        "Solutions Architect Associate"
    )
    assert declared_title("// a comment\n::q::{T}") == ""


def test_the_shipped_poll_sequence_has_a_readable_title(db):
    from django.conf import settings

    from quizzes.content import _quiz_meta

    path = settings.COURSE_CONTENT_DIR / "serverless" / "checks" / "polls-sa-associate.gift"
    assert _quiz_meta(path, {})["title"] == "Live polls: Solutions Architect Associate"


def test_start_page_groups_questions_by_lesson_and_preselects_the_poll_sequence(
    client, instructor, check, sequence
):
    Question.objects.filter(title="Invocation of S3").update(lesson=Lesson.objects.get(slug="intro"))
    client.force_login(instructor)
    page = client.get(reverse("quizzes:poll_create", args=["demo"])).content.decode()
    lesson = Lesson.objects.select_related("module").get(slug="intro")
    assert f"<legend>{lesson.module.title} · {lesson.title}</legend>" in page
    count = Question.objects.filter(lesson=lesson).count()
    assert f'data-select-all="group-1"> Select all {count}<' in page
    assert f'<option value="{sequence.id}" selected>Live polls: SA (Live poll sequence, 1 question)' in page
    assert 'name="hide_results" checked' in page


def test_ticked_questions_win_over_the_preselected_sequence(client, instructor, check, sequence):
    client.force_login(instructor)
    picked = question("Max memory").id
    assert create(client, sequence=sequence.id, title="Mine", questions=[picked]).status_code == 302
    assert PollSession.objects.get().question_ids == [picked]
    PollSession.objects.all().delete()
    create(client, sequence=sequence.id, title="")
    session = PollSession.objects.get()
    assert session.title == "Live polls: SA" and session.question_ids == [question("Poll one").id]


def test_empty_start_is_refused_and_keeps_the_ticks(client, instructor, check):
    client.force_login(instructor)
    response = create(client, sequence="", title="x")
    assert response.status_code == 400 and "Choose at least one question." in response.content.decode()


def live(client, session) -> str:
    return client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()


def test_answer_bars_stay_hidden_while_the_question_is_open(client, instructor, check, course):
    client.force_login(instructor)
    create(client, title="Hidden", questions=[question("Invocation of S3").id], hide_results="on")
    session = PollSession.objects.get()
    assert session.hide_results_while_open
    ada = student_client("ada", course)
    join(ada, session)
    act(client, session, "open")
    vote(ada, session, "a")
    page = live(client, session)
    assert 'answered-count">1</span> of 1 answered' in page  # how many answered shows, not what
    assert "bar-count" not in page and "bar-fill" not in page and "Answers stay hidden" in page
    controls = act(client, session, "results").content.decode()  # the instructor may show them anyway
    assert "Hide answers until closed" in controls
    assert 'data-choice="a">1<' in live(client, session)
    act(client, session, "results")
    assert "bar-count" not in live(client, session)
    closed = act(client, session, "close").content.decode()
    assert 'data-choice="a">1<' in closed and "Reveal answer" in closed


def test_one_wording_the_question_closes_the_poll_ends(host, course):
    host_client, session = host
    act(host_client, session, "open")
    controls = act(host_client, session, "reveal").content.decode()
    assert "Close the question before revealing the answer." in controls
    assert ">Close question<" in controls and ">End poll<" in controls and "Close poll" not in controls


def test_the_phone_shows_right_or_wrong_and_the_right_answer_after_the_reveal(host, course):
    host_client, session = host
    ada = student_client("ada", course)
    join(ada, session)
    act(host_client, session, "open")
    vote(ada, session, "b")
    received = vote(ada, session, "b").content.decode()
    assert "until the question closes" in received
    act(host_client, session, "close")
    closed = ada.get(reverse("quizzes:poll_student", args=[session.code])).content.decode()
    assert "This question is closed; your answer is in" in closed and "right answer" not in closed
    act(host_client, session, "reveal")
    page = ada.get(reverse("quizzes:poll_student", args=[session.code])).content.decode()
    assert "✗ Not this time." in page
    assert "The right answer: <strong>Asynchronously</strong>" in page
    right = page[page.index('class="choice is-correct"') :]
    assert right.index('value="a"') < right.index("✓ right answer") < right.index('value="b"')
