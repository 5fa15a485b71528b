"""Live polls: an instructor runs questions one at a time; students answer from their own browsers.

State machine of a session: waiting -> open -> closed -> revealed -> (next question: open) ... -> ended.
Every state change bumps ``PollSession.version`` and the cached copy of it, so a student page that polls
with the version it shows gets an empty 204 answer while nothing changed, without touching the database.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.roles import is_instructor
from courses.models import Course, Enrollment

from . import questions
from .grading import ResponseError
from .models import PollParticipant, PollResponse, PollSession, Question

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read off a projector
CODE_LENGTH = 6
COMPETITION_MAX_POINTS = 1000
DEFAULT_ANSWER_WINDOW_S = 30
LIVE_TTL_S = 24 * 3600


class PollError(Exception):
    """A poll action that is not allowed now; ``message`` is shown to the user as is."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _version_key(code: str) -> str:
    return f"pollver:{code}"


def cached_version(code: str) -> int | None:
    return cache.get(_version_key(code))


def _live_key(code: str) -> str:
    return f"polllive:{code}"


def _publish(session: PollSession) -> None:
    """Put the session's state and its current question in the cache: while a class answers, every request
    reads them from there instead of the database. Every state change goes through here."""
    question = (
        Question.objects.filter(pk=session.current_question_id).first()
        if session.current_question_id
        else None
    )
    cache.set_many(
        {_version_key(session.code): session.version, _live_key(session.code): (session, question)},
        timeout=LIVE_TTL_S,
    )


def live_state(code: str) -> tuple[PollSession, Question | None] | None:
    """(session, current question) as of the last state change, or None when unknown (then use the DB).
    The question is the one the poll opened with: an edit made mid-question shows from the next question."""
    state = cache.get(_live_key(code))
    if state is None:
        session = PollSession.objects.filter(code=code).first()
        if session is None:
            return None
        _publish(session)
        state = cache.get(_live_key(code))
    return state


def _bump(session: PollSession, **changes) -> PollSession:
    """Apply a state change atomically and publish the new version."""
    changes["version"] = session.version + 1
    updated = PollSession.objects.filter(pk=session.pk, version=session.version).update(**changes)
    if not updated:
        raise PollError("The poll changed in another window; reload and try again.", status=409)
    for name, value in changes.items():
        setattr(session, name, value)
    _publish(session)
    return session


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def poll_create(
    *,
    host,
    course: Course,
    title: str,
    question_ids: list[int],
    anonymous: bool = False,
    competition: bool = False,
    hide_results_while_open: bool = True,
    timer_s: int | None = None,
) -> PollSession:
    if not question_ids:
        raise PollError("Choose at least one question.")
    found = set(Question.objects.filter(course=course, id__in=question_ids).values_list("id", flat=True))
    missing = [qid for qid in question_ids if qid not in found]
    if missing:
        raise PollError(f"Question(s) {missing} are not in the course {course.title}.")
    if timer_s is not None and not 5 <= timer_s <= 3600:
        raise PollError("The timer must be between 5 and 3600 seconds.")
    for _ in range(10):
        try:
            with transaction.atomic():
                session = PollSession.objects.create(
                    course=course,
                    host=host,
                    title=title.strip() or "Live poll",
                    code=_new_code(),
                    question_ids=list(question_ids),
                    anonymous=anonymous,
                    competition=competition,
                    hide_results_while_open=hide_results_while_open,
                    timer_s=timer_s,
                )
        except IntegrityError:
            continue  # code collision: draw again
        _publish(session)
        return session
    raise PollError("Could not allocate a join code; try again.")


def poll_open(*, session: PollSession, now: datetime | None = None) -> PollSession:
    if session.state not in (PollSession.State.WAITING,):
        raise PollError("Only a waiting question can be opened.")
    return _bump(session, state=PollSession.State.OPEN, opened_at=now or timezone.now())


def poll_close(*, session: PollSession) -> PollSession:
    if session.state != PollSession.State.OPEN:
        raise PollError("The question is not open.")
    return _bump(session, state=PollSession.State.CLOSED)


def poll_reveal(*, session: PollSession) -> PollSession:
    if session.state != PollSession.State.CLOSED:
        raise PollError("Close the question before revealing the answer.")
    return _bump(session, state=PollSession.State.REVEALED)


def poll_next(*, session: PollSession, now: datetime | None = None) -> PollSession:
    if session.state not in (PollSession.State.REVEALED, PollSession.State.CLOSED):
        raise PollError("Close the current question before moving on.")
    if session.index + 1 >= len(session.question_ids):
        return _bump(session, state=PollSession.State.ENDED)
    return _bump(
        session, index=session.index + 1, state=PollSession.State.OPEN, opened_at=now or timezone.now()
    )


def poll_toggle_results(*, session: PollSession) -> PollSession:
    """Show or hide the answer bars on the presenter while a question is open (after it closes they show)."""
    if session.state == PollSession.State.ENDED:
        raise PollError("The poll has ended.")
    return _bump(session, hide_results_while_open=not session.hide_results_while_open)


def poll_end(*, session: PollSession) -> PollSession:
    return _bump(session, state=PollSession.State.ENDED)


def poll_join(*, session: PollSession, user, now: datetime | None = None) -> bool:
    """Join a poll of a course the user is enrolled in (instructors may join any). Joining twice is fine.

    Returns True for a first join (so the caller knows there is no earlier answer to show). A whole class
    joins within seconds, so the usual case is one statement: insert the participant if the user is
    enrolled and not yet in the poll."""
    participants = PollParticipant._meta.db_table
    enrollments = Enrollment._meta.db_table
    # Only the two model table names are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {participants} (session_id, user_id, nickname, joined_at, points) "  # noqa: S608
        f"SELECT %s, %s, '', %s, 0 WHERE EXISTS (SELECT 1 FROM {enrollments} WHERE user_id = %s AND course_id = %s) "
        "ON CONFLICT (session_id, user_id) DO NOTHING RETURNING id"
    )
    params = [session.id, user.id, now or timezone.now(), user.id, session.course_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fresh = cursor.fetchone() is not None
    if not fresh:
        # Already in the poll (a reconnect, a double submit), or not enrolled: tell which.
        joined = PollParticipant.objects.filter(session=session, user=user).exists()
        if not joined:
            if not is_instructor(user):
                raise PollError("This poll belongs to a course you are not enrolled in.", status=403)
            PollParticipant.objects.bulk_create(
                [PollParticipant(session=session, user=user)], ignore_conflicts=True
            )
            fresh = True
    cache.set(_participant_key(session.id, user.id), True, timeout=LIVE_TTL_S)
    return fresh


NICKNAME_MAX = 24
NICKNAME_PATTERN = re.compile(r"^[\w][\w .'-]*$")  # letters (any script), digits, space, . ' - _


def poll_join_guest(*, session: PollSession, nickname: str) -> PollParticipant:
    """Join without an account under a nickname, unique in this poll (ignoring case). The caller ties the
    returned participant to the browser (its session). Raises PollError saying what is wrong with the name."""
    nickname = " ".join(nickname.split())
    if not nickname:
        raise PollError("Choose a nickname: it is how the class sees you in this poll.")
    if len(nickname) > NICKNAME_MAX:
        raise PollError(f"A nickname has at most {NICKNAME_MAX} characters; yours has {len(nickname)}.")
    if not NICKNAME_PATTERN.match(nickname):
        raise PollError("A nickname may use letters, digits, spaces and . ' - _ only.")
    if session.state == PollSession.State.ENDED:
        raise PollError("This poll has ended.", status=409)
    taken = PollParticipant.objects.filter(session=session, nickname__iexact=nickname).exists()
    if not taken:
        try:
            with transaction.atomic():
                return PollParticipant.objects.create(session=session, nickname=nickname)
        except IntegrityError:
            pass  # someone took it between the check and the insert
    raise PollError(
        f"Someone in this poll already uses the nickname {nickname!r}; choose another.", status=409
    )


def _participant_key(session_id: int, user_id: int) -> str:
    return f"pollpart:{session_id}:{user_id}"


def is_participant(*, session: PollSession, user) -> bool:
    if cache.get(_participant_key(session.id, user.id)):
        return True
    joined = PollParticipant.objects.filter(session=session, user=user).exists()
    if joined:
        cache.set(_participant_key(session.id, user.id), True, timeout=LIVE_TTL_S)
    return joined


def _points(session: PollSession, correct: bool, now: datetime) -> int:
    if not (session.competition and correct and session.opened_at):
        return 0
    window = session.timer_s or DEFAULT_ANSWER_WINDOW_S
    elapsed = max(0.0, (now - session.opened_at).total_seconds())
    # Half the points for being right, the other half shrinking linearly with time taken.
    speed = max(0.0, 1 - elapsed / window)
    return round(COMPETITION_MAX_POINTS * (0.5 + 0.5 * speed))


def poll_answer(
    *,
    session: PollSession,
    user=None,
    guest: PollParticipant | None = None,
    question_id: int,
    response,
    now: datetime | None = None,
    question: Question | None = None,
) -> PollResponse:
    """Record (or change) the answer of a student (``user``) or of a guest without an account (``guest``,
    their participant row) to the open question. Exactly one row per person and question: a changed answer
    replaces the previous one."""
    now = now or timezone.now()
    if guest is not None:
        if guest.session_id != session.id or guest.user_id is not None:
            raise PollError("Join the poll before answering.", status=403)
    elif not is_participant(session=session, user=user):
        raise PollError("Join the poll before answering.", status=403)
    if session.state != PollSession.State.OPEN:
        raise PollError("This question is closed; your answer was not recorded.", status=409)
    if question_id != session.current_question_id:
        raise PollError("That question is not the one open now; your answer was not recorded.", status=409)
    if session.timer_s and session.opened_at and (now - session.opened_at).total_seconds() > session.timer_s:
        raise PollError("Time is up for this question; your answer was not recorded.", status=409)
    if question is None or question.id != question_id:
        question = Question.objects.get(pk=question_id)
    try:
        grade = questions.grade_response(question, response)
    except ResponseError as exc:
        raise PollError(f"Invalid answer: {exc}") from exc
    points = _points(session, grade.correct, now)
    who = ("guest_id", guest.id) if guest is not None else ("user_id", user.id)
    _upsert_response(session.id, question_id, who, response, grade.correct, points, now)
    return PollResponse(
        session=session,
        question_id=question_id,
        user=user if guest is None else None,
        guest=guest,
        response=response,
        correct=grade.correct,
        points=points,
        answered_at=now,
    )


def _upsert_response(
    session_id: int,
    question_id: int,
    who: tuple[str, int],
    response,
    correct: bool,
    points: int,
    now: datetime,
) -> None:
    """One statement, so a whole class answering at once costs one round trip each and a double submit can
    never make two rows: insert, or replace the student's previous answer and count the change. The
    ON CONFLICT form is shared by PostgreSQL and SQLite (3.24+)."""
    table = PollResponse._meta.db_table
    payload = json.dumps(response)
    vendor = connection.vendor
    differs = (
        "NOT (r.response = EXCLUDED.response)"
        if vendor == "postgresql"
        else "r.response <> EXCLUDED.response"
    )
    cast = "%s::jsonb" if vendor == "postgresql" else "%s"
    column, person_id = who
    # A guest's row is unique through a partial index, which ON CONFLICT must name with its WHERE clause.
    target = "(session_id, question_id, user_id)"
    if column == "guest_id":
        target = "(session_id, question_id, guest_id) WHERE guest_id IS NOT NULL"
    # Only constants are interpolated (the model's table name and two vendor-specific fragments); every
    # value travels as a parameter.
    sql = (
        f"INSERT INTO {table} AS r (session_id, question_id, {column}, response, correct, points, answered_at, changes) "  # noqa: S608
        f"VALUES (%s, %s, %s, {cast}, %s, %s, %s, 0) "
        f"ON CONFLICT {target} DO UPDATE SET "
        f"changes = r.changes + CASE WHEN {differs} THEN 1 ELSE 0 END, "
        "response = EXCLUDED.response, correct = EXCLUDED.correct, points = EXCLUDED.points, "
        "answered_at = EXCLUDED.answered_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, question_id, person_id, payload, correct, points, now])


@dataclass(frozen=True)
class Tally:
    answered: int
    participants: int
    counts: dict[str, int]  # choice id -> answers (multiple response counts each chosen id)
    correct: int

    @property
    def percent_correct(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def poll_tally(*, session: PollSession, question_id: int) -> Tally:
    rows = list(
        PollResponse.objects.filter(session=session, question_id=question_id)
        .values("response")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for row in rows:
        response = row["response"]
        keys = response if isinstance(response, list) else [response]
        for key in keys:
            label = str(key).lower() if isinstance(key, bool) else str(key)
            counts[label] = counts.get(label, 0) + row["n"]
    answered = sum(row["n"] for row in rows)
    correct = PollResponse.objects.filter(session=session, question_id=question_id, correct=True).count()
    participants = PollParticipant.objects.filter(session=session).count()
    return Tally(answered=answered, participants=participants, counts=counts, correct=correct)


def leaderboard(*, session: PollSession, limit: int = 10) -> list[tuple[str, int]]:
    rows = (
        PollResponse.objects.filter(session=session)
        .values("user__username", "guest__nickname")
        .annotate(points=Sum("points"))
        .order_by("-points", "user__username", "guest__nickname")[:limit]
    )
    return [
        (row["user__username"] or f"{row['guest__nickname']} (guest)", row["points"] or 0) for row in rows
    ]
