"""Live polls through the real views: join, answer once (changes replace), close, reveal, results, and every
bad input the issue names."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import STUDENTS
from accounts.services import user_create
from courses.models import Course
from courses.services import enrollment_create
from quizzes.models import PollResponse, PollSession
from tests.quizzes.conftest import question

pytestmark = pytest.mark.django_db


@pytest.fixture
def host(client, instructor, check):
    client.force_login(instructor)
    ids = [question("Invocation of S3").id, question("Max memory").id]
    response = client.post(
        reverse("quizzes:poll_create", args=["demo"]), {"title": "Class poll", "questions": ids}
    )
    assert response.status_code == 302
    return client, PollSession.objects.get()


def student_client(name: str, course: Course) -> Client:
    user = user_create(username=name, password="pw-123456-x", role=STUDENTS)
    enrollment_create(user=user, course=course)
    client = Client()
    client.force_login(user)
    return client


def join(client: Client, session: PollSession):
    return client.post(reverse("quizzes:poll_join"), {"code": session.code.lower()})


def act(host_client, session, name):
    return host_client.post(reverse("quizzes:poll_action", args=[session.code, name]), HTTP_HX_REQUEST="true")


def vote(client, session, choice, question_title="Invocation of S3"):
    return client.post(
        reverse("quizzes:poll_answer", args=[session.code]),
        {"question": question(question_title).id, "response": choice},
        HTTP_HX_REQUEST="true",
    )


def test_full_poll_flow(host, course):
    host_client, session = host
    ada, bob = student_client("ada", course), student_client("bob", course)
    assert join(ada, session).status_code == 302 and join(bob, session).status_code == 302
    waiting = ada.get(reverse("quizzes:poll_student", args=[session.code])).content.decode()
    assert "Waiting for the instructor" in waiting
    assert act(host_client, session, "open").status_code == 200
    session.refresh_from_db()
    # The student page polls with the version it shows: a stale version gets the new question.
    state = ada.get(reverse("quizzes:poll_state", args=[session.code]), {"v": session.version - 1})
    assert state.status_code == 200 and "Send answer" in state.content.decode()
    assert (
        ada.get(reverse("quizzes:poll_state", args=[session.code]), {"v": session.version}).status_code == 204
    )
    received = vote(ada, session, "b").content.decode()
    # htmx gets only what changes: the status line, and the button relabelled out of band; no second form.
    assert "Answer received" in received and "<form" not in received
    assert 'id="poll-submit" hx-swap-oob="true">Change my answer' in received
    assert "Answer received" in vote(ada, session, "a").content.decode()  # changed answer: still one row
    vote(bob, session, "b")
    assert PollResponse.objects.count() == 2
    assert PollResponse.objects.get(user__username="ada").changes == 1
    live = host_client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()
    assert '<span id="answered-count">2</span> of 2 answered' in live
    assert 'data-choice="a">1<' in live and 'data-choice="b">1<' in live
    assert "✓" not in live  # nothing revealed yet
    act(host_client, session, "close")
    late = vote(bob, session, "a")
    assert late.status_code == 409 and "closed" in late.content.decode()
    # A refusal replaces the whole poll body, so the student sees where the poll is now.
    assert late["HX-Retarget"] == "#poll-body" and late["HX-Reswap"] == "outerHTML"
    assert PollResponse.objects.get(user__username="bob").response == "b"
    act(host_client, session, "reveal")
    session.refresh_from_db()
    ada_view = ada.get(reverse("quizzes:poll_state", args=[session.code]), {"v": 0}).content.decode()
    bob_view = bob.get(reverse("quizzes:poll_state", args=[session.code]), {"v": 0}).content.decode()
    assert "You were right" in ada_view and "SECRET-EXPLANATION" in ada_view
    assert "Not this time" in bob_view
    live = host_client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()
    assert "50% answered correctly" in live and "Asynchronously ✓" in live
    act(host_client, session, "next")
    session.refresh_from_db()
    assert session.index == 1 and session.state == "open"
    results = host_client.get(reverse("quizzes:poll_results", args=[session.code])).content.decode()
    assert "50% correct" in results and "ada" in results
    # who answered what, in the choices' words (not their internal ids)
    assert "<td>ada</td><td>Asynchronously</td>" in results and "<td>a</td>" not in results
    csv_text = host_client.get(reverse("quizzes:poll_results_csv", args=[session.code])).content.decode()
    assert csv_text.splitlines()[0].startswith("question,student,answer,correct")
    assert "Invocation of S3,ada,Asynchronously,True" in csv_text
    act(host_client, session, "end")
    ended = ada.get(reverse("quizzes:poll_state", args=[session.code]), {"v": 0})
    assert ended.status_code == 286  # htmx's "stop polling"


def test_bad_votes_change_nothing(host, course):
    host_client, session = host
    ada = student_client("ada", course)
    join(ada, session)
    before_open = vote(ada, session, "a")
    assert before_open.status_code == 409
    act(host_client, session, "open")
    not_a_choice = vote(ada, session, "zz")
    assert not_a_choice.status_code == 400 and "not in this question" in not_a_choice.content.decode()
    wrong_question = vote(ada, session, "10240", question_title="Max memory")
    assert wrong_question.status_code == 409
    assert not PollResponse.objects.exists()


def test_answering_without_javascript_returns_to_the_poll_page(host, course):
    host_client, session = host
    ada = student_client("ada", course)
    join(ada, session)
    act(host_client, session, "open")
    plain = ada.post(
        reverse("quizzes:poll_answer", args=[session.code]),
        {"question": question("Invocation of S3").id, "response": "a"},
    )
    assert plain.status_code == 302 and plain["Location"].endswith(f"/polls/{session.code}/")
    page = ada.get(plain["Location"]).content.decode()
    assert "Answer received" in page and "Change my answer" in page
    assert PollResponse.objects.get(user__username="ada").response == "a"


def test_joining_needs_the_course_and_a_real_code(host, course):
    _, session = host
    outsider = student_client("eve", Course.objects.create(slug="other", title="Other"))
    refused = join(outsider, session)
    assert refused.status_code == 400 and "not enrolled" in refused.content.decode()
    assert not session.participants.filter(user__username="eve").exists()
    bad = outsider.post(reverse("quizzes:poll_join"), {"code": "NOPE42"})
    assert bad.status_code == 400 and "No poll has the code NOPE42" in bad.content.decode()


def test_answer_to_another_courses_poll_is_refused(host, course):
    host_client, session = host
    act(host_client, session, "open")
    eve = student_client("eve", Course.objects.create(slug="other", title="Other"))
    response = vote(eve, session, "a")
    assert response.status_code == 403 and "Join the poll" in response.content.decode()
    assert not PollResponse.objects.exists()


def test_students_cannot_run_polls(host, course):
    _, session = host
    ada = student_client("ada", course)
    assert ada.get(reverse("quizzes:poll_create", args=["demo"])).status_code == 403
    assert ada.get(reverse("quizzes:poll_present", args=[session.code])).status_code == 403
    assert ada.post(reverse("quizzes:poll_action", args=[session.code, "open"])).status_code == 403
    assert ada.get(reverse("quizzes:poll_results_csv", args=[session.code])).status_code == 403


def test_presenter_shows_join_code_and_qr(host):
    host_client, session = host
    page = host_client.get(reverse("quizzes:poll_present", args=[session.code])).content.decode()
    assert session.code in page and "qr.svg" in page
    qr = host_client.get(reverse("quizzes:poll_qr", args=[session.code]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_anonymous_mode_hides_names(client, instructor, check, course):
    client.force_login(instructor)
    client.post(
        reverse("quizzes:poll_create", args=["demo"]),
        {"title": "Anon", "questions": [question("Invocation of S3").id], "anonymous": "on"},
    )
    session = PollSession.objects.get()
    ada = student_client("ada", course)
    join(ada, session)
    act(client, session, "open")
    vote(ada, session, "a")
    live = client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()
    assert "ada" not in live
    assert (
        ",ada," not in client.get(reverse("quizzes:poll_results_csv", args=[session.code])).content.decode()
    )


def test_competition_awards_points_and_leaderboard(client, instructor, check, course):
    client.force_login(instructor)
    client.post(
        reverse("quizzes:poll_create", args=["demo"]),
        {"title": "Race", "questions": [question("Invocation of S3").id], "competition": "on"},
    )
    session = PollSession.objects.get()
    ada, bob = student_client("ada", course), student_client("bob", course)
    join(ada, session), join(bob, session)
    act(client, session, "open")
    vote(ada, session, "a"), vote(bob, session, "b")
    act(client, session, "close"), act(client, session, "reveal")
    assert PollResponse.objects.get(user__username="ada").points > 500
    assert PollResponse.objects.get(user__username="bob").points == 0
    live = client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()
    assert "Leaderboard" in live and live.index("ada") < live.index("bob")


def test_presenter_stops_polling_once_the_poll_has_ended(host):
    host_client, session = host
    url = reverse("quizzes:poll_present_live", args=[session.code])
    live = host_client.get(url, HTTP_HX_REQUEST="true")
    assert live.status_code == 200 and 'hx-trigger="every' in live.content.decode()
    ended_action = act(host_client, session, "end").content.decode()
    assert 'id="present-body"' in ended_action and 'hx-trigger="every' not in ended_action
    ended = host_client.get(url, HTTP_HX_REQUEST="true")
    assert ended.status_code == 286  # htmx's "stop polling"
    assert 'hx-trigger="every' not in ended.content.decode()
    page = host_client.get(reverse("quizzes:poll_present", args=[session.code])).content.decode()
    assert "poll_present_live" not in page and f"/{session.code}/present/live/" not in page
