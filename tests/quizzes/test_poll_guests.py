"""Joining a live poll like Kahoot: by code (or the QR code's link) with a nickname and no account. A guest is
tied to the browser's session, has a nickname unique in the poll, answers like a student, sees the right answer
after the reveal, and is never a user, so never in a course or a grade."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from quizzes.models import PollParticipant, PollResponse
from tests.quizzes.conftest import question
from tests.quizzes.test_poll_classroom import host  # noqa: F401 (fixture)
from tests.quizzes.test_quiz_polls import act, student_client, vote

pytestmark = pytest.mark.django_db


def guest_join(session, nickname: str, client: Client | None = None) -> tuple[Client, object]:
    client = client or Client()
    response = client.post(reverse("quizzes:poll_join"), {"code": session.code.lower(), "nickname": nickname})
    return client, response


def test_a_guest_joins_with_a_nickname_answers_and_sees_the_right_answer(host, course):  # noqa: F811
    host_client, session = host
    users_before = User.objects.count()
    form = Client().get(reverse("quizzes:poll_join"), {"code": session.code}).content.decode()
    assert 'id="nickname"' in form and f'value="{session.code}"' in form
    zoe, response = guest_join(session, "  Zoe   B ")
    assert response.status_code == 302 and response["Location"] == f"/quizzes/polls/{session.code}/"
    page = zoe.get(response["Location"]).content.decode()
    assert "you are <strong>Zoe B</strong> (guest)" in page and "Waiting for the instructor" in page
    act(host_client, session, "open")
    assert "Answer received" in vote(zoe, session, "b").content.decode()
    assert "Answer received" in vote(zoe, session, "a").content.decode()  # changed: still one row
    row = PollResponse.objects.get()
    assert row.user is None and row.guest.nickname == "Zoe B" and row.changes == 1 and row.correct
    assert (
        "<li>Zoe B (guest)</li>"
        in host_client.get(reverse("quizzes:poll_present_live", args=[session.code])).content.decode()
    )
    act(host_client, session, "close"), act(host_client, session, "reveal")
    revealed = zoe.get(reverse("quizzes:poll_student", args=[session.code])).content.decode()
    assert "✓ You were right!" in revealed and "The right answer: <strong>Asynchronously</strong>" in revealed
    csv = host_client.get(reverse("quizzes:poll_results_csv", args=[session.code])).content.decode()
    assert "Zoe B (guest),Asynchronously,True" in csv
    assert User.objects.count() == users_before  # a guest is no account: no course, no grade


@pytest.mark.parametrize(
    ("nickname", "says"),
    [
        ("", "Choose a nickname"),
        ("x" * 25, "at most 24 characters; yours has 25"),
        ("<script>", "letters, digits, spaces and . ' - _ only"),
        ("ZOE", "already uses the nickname 'ZOE'"),
    ],
)
def test_a_bad_or_taken_nickname_is_refused_and_kept_in_the_form(host, nickname, says):  # noqa: F811
    _, session = host
    guest_join(session, "zoe")
    _, response = guest_join(session, nickname)
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page.replace("&#x27;", "'") and PollParticipant.objects.filter(user=None).count() == 1


def test_a_guest_is_tied_to_their_browser(host):  # noqa: F811
    host_client, session = host
    zoe, _ = guest_join(session, "zoe")
    guest_join(session, "someone else", client=zoe)  # joining again from the same browser keeps the nickname
    assert list(PollParticipant.objects.filter(user=None).values_list("nickname", flat=True)) == ["zoe"]
    act(host_client, session, "open")
    stranger = Client()
    refused = vote(stranger, session, "a")
    assert refused.status_code == 302 and "/quizzes/polls/join/" in refused["Location"]
    state = stranger.get(reverse("quizzes:poll_state", args=[session.code]), {"v": 0})
    assert state.status_code == 403
    assert PollResponse.objects.count() == 0


def test_a_logged_in_student_joins_as_themselves_not_as_a_guest(host, course):  # noqa: F811
    _, session = host
    ada = student_client("ada", course)
    assert 'id="nickname"' not in ada.get(reverse("quizzes:poll_join")).content.decode()
    ada.post(reverse("quizzes:poll_join"), {"code": session.code, "nickname": "ignored"})
    assert PollParticipant.objects.get().user.username == "ada"


def test_guests_and_students_share_the_leaderboard(client, instructor, check, course):
    from quizzes import polls
    from quizzes.models import PollSession

    client.force_login(instructor)
    client.post(
        reverse("quizzes:poll_create", args=["demo"]),
        {"title": "Race", "questions": [question("Invocation of S3").id], "competition": "on"},
    )
    session = PollSession.objects.get()
    zoe, _ = guest_join(session, "zoe")
    ada = student_client("ada", course)
    ada.post(reverse("quizzes:poll_join"), {"code": session.code})
    act(client, session, "open")
    vote(zoe, session, "a"), vote(ada, session, "b")
    board = dict(polls.leaderboard(session=session))
    assert board["zoe (guest)"] > 0 and board["ada"] == 0


def test_a_guest_cannot_join_an_ended_poll(host):  # noqa: F811
    host_client, session = host
    act(host_client, session, "end")
    _, response = guest_join(session, "late")
    assert response.status_code == 400 and "This poll has ended." in response.content.decode()
