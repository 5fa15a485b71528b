"""Live polls. Students: join with a code, see the open question appear (htmx polling with the version they
show: an unchanged poll answers 204 from the cache, so a waiting room of hundreds costs almost nothing), answer
and change their answer until it closes, then see the result. Instructors: start, present, close, reveal,
move on, and read results afterwards (CSV too)."""

import csv

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, push_url, reswap, retarget

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from courses.models import Course
from courses.spreadsheet import spreadsheet_safe

from .. import polls, questions, selectors
from ..grading import grade
from ..models import PollParticipant, PollResponse, PollSession, Question, Quiz
from ..responses import response_from_post
from ..spec import from_dict

STUDENT_POLL_EVERY = "2s"
PRESENTER_POLL_EVERY = "1s"


def _session(code: str) -> PollSession:
    return get_object_or_404(PollSession.objects.select_related("course"), code=code.upper())


def _live(code: str) -> tuple[PollSession, Question | None]:
    """The poll and its open question from the cache (students' hot path); 404 for an unknown code."""
    state = polls.live_state(code.upper())
    if state is None:
        raise Http404("No poll has this code.")
    return state


def _current(session: PollSession) -> Question | None:
    question_id = session.current_question_id
    return Question.objects.filter(pk=question_id).first() if question_id else None


# --- Students ------------------------------------------------------------------------------------------
GUESTS_KEY = (
    "poll_guests"  # in the browser's session: {poll code: participant id} for guests without an account
)


def _guest(request: HtmxHttpRequest, session: PollSession) -> PollParticipant | None:
    """The guest participant this browser joined ``session`` as, or None (a logged-in user is never a guest)."""
    if request.user.is_authenticated:
        return None
    participant_id = request.session.get(GUESTS_KEY, {}).get(session.code)
    if participant_id is None:
        return None
    return PollParticipant.objects.filter(pk=participant_id, session=session, user=None).first()


def _joined(request: HtmxHttpRequest, session: PollSession) -> bool:
    if request.user.is_authenticated:
        return polls.is_participant(session=session, user=request.user)
    return _guest(request, session) is not None


@require_http_methods(["GET", "POST"])
def join(request: HtmxHttpRequest) -> HttpResponse:
    """Join with the code. Logged in: as yourself (enrolled students and instructors). Not logged in: as a
    guest under a nickname, like Kahoot; a guest's answers count in the poll and never in a grade."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    nickname = request.POST.get("nickname", "")
    error = ""
    if code:
        # The cached live state answers a whole class joining at once without a query per student.
        state = polls.live_state(code)
        if state is None:
            error = f"No poll has the code {code}. Check the code on the screen."
        elif request.method == "POST":
            session, question = state
            try:
                if request.user.is_authenticated:
                    fresh = polls.poll_join(session=session, user=request.user)
                elif _guest(request, session) is not None:
                    fresh = False  # this browser already joined; keep its nickname and answers
                else:
                    guest = polls.poll_join_guest(session=session, nickname=nickname)
                    request.session[GUESTS_KEY] = {
                        **request.session.get(GUESTS_KEY, {}),
                        session.code: guest.id,
                    }
                    fresh = True
            except polls.PollError as exc:
                error = exc.message
            else:
                if request.htmx:
                    # One round trip instead of redirect + GET: the poll section replaces the join card and
                    # the address bar moves to the poll's own URL (what a whole class joining at once needs).
                    context = _student_context(request, session, question, answered=not fresh)
                    section = render(request, "quizzes/_poll_joined.html", context)
                    return push_url(section, reverse("quizzes:poll_student", args=[session.code]))
                return redirect("quizzes:poll_student", code=session.code)
    context = {"code": code, "nickname": nickname, "error": error}
    return render(request, "quizzes/poll_join.html", context, status=400 if error else 200)


def _student_context(
    request: HtmxHttpRequest, session: PollSession, question: Question | None = None, answered: bool = True
) -> dict:
    """``answered=False`` when the student cannot have answered yet (they just joined for the first time)."""
    question = question if question is not None else _current(session)
    guest = _guest(request, session)
    context = {"session": session, "question": question, "every": STUDENT_POLL_EVERY, "guest": guest}
    if question is None:
        return context
    mine = None
    if answered:
        person = {"guest": guest} if guest is not None else {"user": request.user}
        mine = PollResponse.objects.filter(session=session, question=question, **person).first()
    context.update(view=questions.public_view(question), mine=mine)
    if session.state == PollSession.State.REVEALED:
        spec = from_dict(question.spec)
        context["result"] = grade(spec, mine.response) if mine else None
        context["explanation"] = question.spec.get("explanation", "")
        # the phone marks the right choices and says the answer in words, as the projector does
        context.update(correct_ids=spec.correct_ids(), solution=spec.solution_text())
    return context


@require_GET
def student(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session, question = _live(code)
    if not _joined(request, session):
        return redirect(f"{reverse('quizzes:poll_join')}?code={session.code}")
    return render(request, "quizzes/poll_student.html", _student_context(request, session, question))


@require_GET
def student_state(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Polled by the student page with the version it shows; 204 (no swap) while nothing changed. The
    unchanged case is answered from the cache before authentication touches the database: it reveals
    nothing but "no change", and it is most of a class's requests."""
    shown = request.GET.get("v", "")
    cached = polls.cached_version(code.upper())
    if cached is not None and shown == str(cached):
        return HttpResponse(status=204)
    session, question = _live(code)
    if shown == str(session.version):
        return HttpResponse(status=204)
    if not _joined(request, session):
        return HttpResponse("Join the poll first.", status=403)
    response = render(
        request, "quizzes/_poll_student_body.html", _student_context(request, session, question)
    )
    if session.state == PollSession.State.ENDED:
        return HttpResponseStopPolling(response.content)
    return response


def _answer_refused(
    request: HtmxHttpRequest, session: PollSession, message: str, status: int
) -> HttpResponse:
    """The whole poll body with the reason, replacing the body rather than the small status line the answer
    form targets: the question may have moved on, and the student must see where the poll is now."""
    context = _student_context(request, session)
    context["error"] = message
    body = render(request, "quizzes/_poll_student_body.html", context, status=status)
    return reswap(retarget(body, "#poll-body"), "outerHTML")


@require_POST
def answer(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Record an answer. This is the hot path when a whole class answers at once: it reuses the cached
    session and question, and answers htmx with only the "answer received" line (and the button's new
    label), which is all that changes on the page."""
    session, question = _live(code)
    guest = _guest(request, session)
    if guest is None and not request.user.is_authenticated:
        return redirect(f"{reverse('quizzes:poll_join')}?code={session.code}")
    question_id = request.POST.get("question", "")
    if question is None or question_id != str(question.id):
        message = "That question is no longer open; your answer was not recorded."
        return _answer_refused(request, session, message, 409)
    response = response_from_post(question.kind, request.POST, questions.public_view(question))
    person = {"guest": guest} if guest is not None else {"user": request.user}
    try:
        if response is None:
            raise polls.PollError("Choose an answer first.", status=422)
        polls.poll_answer(
            session=session, question_id=question.id, response=response, question=question, **person
        )
    except polls.PollError as exc:
        return _answer_refused(request, session, exc.message, exc.status)
    if not request.htmx:
        return redirect("quizzes:poll_student", code=session.code)
    return render(request, "quizzes/_poll_answer_received.html")


# --- Instructors ---------------------------------------------------------------------------------------
@instructor_required
@require_http_methods(["GET", "POST"])
def create(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    groups = selectors.poll_question_groups(course=course)
    sequences = list(Quiz.objects.filter(course=course).order_by("kind", "title"))
    # Preselected: the course's first poll sequence (what "Create poll" runs unless questions are picked).
    preselected = next((quiz.id for quiz in sequences if quiz.kind == Quiz.Kind.POLLS), None)
    error = ""
    if request.method == "POST":
        sequence = request.POST.get("sequence", "")
        # Ticked questions win over the (preselected) sequence, as the page says.
        ids = [int(value) for value in request.POST.getlist("questions") if value.isdigit()]
        title = request.POST.get("title", "")
        if not ids and sequence.isdigit():
            quiz = get_object_or_404(Quiz, pk=int(sequence), course=course)
            ids = list(quiz.items.order_by("order").values_list("question_id", flat=True))
            title = quiz.title
        timer = request.POST.get("timer_s", "").strip()
        try:
            session = polls.poll_create(
                host=request.user,
                course=course,
                title=title,
                question_ids=ids,
                anonymous=request.POST.get("anonymous") == "on",
                competition=request.POST.get("competition") == "on",
                hide_results_while_open=request.POST.get("hide_results") == "on",
                timer_s=int(timer) if timer.isdigit() else None,
            )
        except polls.PollError as exc:
            error = exc.message
        else:
            return redirect("quizzes:poll_present", code=session.code)
    return render(
        request,
        "quizzes/poll_create.html",
        {
            "course": course,
            "groups": groups,
            "sequences": sequences,
            "preselected": preselected,
            "error": error,
            "picked": {int(value) for value in request.POST.getlist("questions") if value.isdigit()},
        },
        status=400 if error else 200,
    )


def _hosted(request: HtmxHttpRequest, code: str) -> PollSession:
    session = _session(code)
    if session.host_id != request.user.id and not request.user.is_superuser:
        raise PermissionDenied("Only the instructor who started this poll can run it.")
    return session


def _presenter_context(request: HtmxHttpRequest, session: PollSession) -> dict:
    question = _current(session)
    context = {
        "session": session,
        "question": question,
        "every": PRESENTER_POLL_EVERY,
        "join_url": request.build_absolute_uri(reverse("quizzes:poll_join")) + f"?code={session.code}",
        "participants": PollParticipant.objects.filter(session=session).count(),
    }
    if question is not None:
        spec = from_dict(question.spec)
        tally = polls.poll_tally(session=session, question_id=question.id)
        view = questions.public_view(question)
        bars = []
        for choice in view.get("choices", []):
            count = tally.counts.get(choice["id"], 0)
            bars.append(
                {
                    "id": choice["id"],
                    "text": choice["text"],
                    "count": count,
                    "percent": round(100 * count / tally.answered) if tally.answered else 0,
                    "correct": session.state == PollSession.State.REVEALED
                    and choice["id"] in spec.correct_ids(),
                }
            )
        context.update(
            view=view,
            tally=tally,
            bars=bars,
            # counts are left out of the page (not just hidden with CSS) while the class is still answering
            results_hidden=session.hide_results_while_open and session.state == PollSession.State.OPEN,
            explanation=spec.explanation if session.state == PollSession.State.REVEALED else "",
        )
        if not session.anonymous:
            context["who"] = selectors.poll_answers(session=session, question=question)
    if session.competition and session.state in (PollSession.State.REVEALED, PollSession.State.ENDED):
        context["leaderboard"] = polls.leaderboard(session=session)
    return context


@instructor_required
@require_GET
def present(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session = _hosted(request, code)
    return render(request, "quizzes/poll_present.html", _presenter_context(request, session))


@instructor_required
@require_GET
def present_live(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Polled every second by the presenter page; once the poll has ended, the last body is sent with htmx's
    "stop polling" status (286), and that body no longer polls either."""
    session = _hosted(request, code)
    response = render(request, "quizzes/_poll_present_body.html", _presenter_context(request, session))
    if session.state == PollSession.State.ENDED:
        return HttpResponseStopPolling(response.content)
    return response


ACTIONS = {
    "open": polls.poll_open,
    "close": polls.poll_close,
    "reveal": polls.poll_reveal,
    "next": polls.poll_next,
    "end": polls.poll_end,
    "results": polls.poll_toggle_results,
}


@instructor_required
@require_POST
def action(request: HtmxHttpRequest, code: str, name: str) -> HttpResponse:
    session = _hosted(request, code)
    if name not in ACTIONS:
        return HttpResponse("Unknown action.", status=404)
    context_error = ""
    try:
        ACTIONS[name](session=session)
    except polls.PollError as exc:
        context_error = exc.message
    context = _presenter_context(request, session)
    context["error"] = context_error
    if not request.htmx:
        return redirect("quizzes:poll_present", code=session.code)
    # htmx swaps only 2xx answers: the error is shown inside the controls instead.
    return render(request, "quizzes/_poll_action_result.html", context)


@instructor_required
@require_GET
def results(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session = _hosted(request, code)
    rows = selectors.poll_results(session=session)
    return render(request, "quizzes/poll_results.html", {"session": session, "rows": rows})


@instructor_required
@require_GET
def results_csv(request: HtmxHttpRequest, code: str) -> HttpResponse:
    session = _hosted(request, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="poll-{session.code}.csv"'
    writer = csv.writer(response)
    writer.writerow(["question", "student", "answer", "correct", "points", "answered_at", "changes"])
    order = {question_id: index for index, question_id in enumerate(session.question_ids)}
    answers = sorted(
        selectors.poll_answers(session=session),
        key=lambda row: (order.get(row.question_id, 0), row.name.lower()),
    )
    choice_texts: dict[int, dict[str, str]] = {}
    for row in answers:
        if row.question_id not in choice_texts:
            view = questions.public_view(row.question)
            choice_texts[row.question_id] = {c["id"]: c["text"] for c in view.get("choices") or []}
        cells = [
            row.question.title,
            "" if session.anonymous else row.name,
            selectors.answer_text(row.response, choice_texts[row.question_id]),
            row.correct,
            row.points,
            row.answered_at.isoformat(),
            row.changes,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return response


@instructor_required
@require_GET
def qr(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The join link as an SVG QR code, for the projector."""
    import io

    import segno

    session = _hosted(request, code)
    url = request.build_absolute_uri(reverse("quizzes:poll_join")) + f"?code={session.code}"
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
