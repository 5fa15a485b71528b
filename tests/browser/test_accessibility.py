"""axe-core (bundled by axe-playwright-python) on the main pages, at desktop and phone widths: no serious or
critical violation. A failure lists each rule, its impact, help URL and the first offending elements."""

import pytest

from accounts.roles import STUDENTS
from accounts.services import user_create
from courses.models import Course
from courses.services import enrollment_create
from quizzes import polls
from quizzes.models import Question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}


def log_in(context, base, username, password):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def blocking_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return found


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_main_pages_have_no_serious_accessibility_violations(
    live_server, browser, catalog, instructor, artifacts, width
):
    course = Course.objects.get(slug="serverless")
    ada = user_create(username="ada", password="pw-123456-x", role=STUDENTS)
    enrollment_create(user=ada, course=course)
    poll = polls.poll_create(
        host=instructor,
        course=course,
        title="Class poll",
        question_ids=[Question.objects.filter(course=course).first().id],
    )
    base = live_server.url
    anonymous = browser.new_context(viewport=VIEWPORTS[width]).new_page()
    student = log_in(browser.new_context(viewport=VIEWPORTS[width]), base, "ada", "pw-123456-x")
    teacher = log_in(browser.new_context(viewport=VIEWPORTS[width]), base, "teach", "teach-pass-123")
    pages = [
        (anonymous, "home", "/"),
        (anonymous, "login", "/accounts/login/"),
        (anonymous, "poll-join-guest", f"/quizzes/polls/join/?code={poll.code}"),
        (student, "course", "/courses/serverless/"),
        (student, "lesson", "/courses/serverless/handler-anatomy/"),
        (student, "quiz", "/quizzes/course/serverless/study-notes-checks/"),
        (student, "lab", "/labs/squared-number/"),
        (student, "poll-join", "/quizzes/polls/join/"),
        (teacher, "presenter", f"/quizzes/polls/{poll.code}/present/"),
        (teacher, "poll-start", "/quizzes/polls/new/serverless/"),
    ]
    problems = {}
    for page, name, path in pages:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
        found = blocking_violations(page)
        if found:
            problems[name] = found
            page.screenshot(path=str(artifacts / f"a11y-{name}-{width}.png"), full_page=True)
    assert problems == {}, "\n".join(f"{name}: {line}" for name, lines in problems.items() for line in lines)


def test_keyboard_users_can_leave_the_lab_editor(live_server, browser, catalog):
    """Tab indents inside the code editor, so Esc then Tab must move on (no keyboard trap, WCAG 2.1.2), and
    tabbing into the editor's scroll area hands focus to the editor."""
    user_create(username="ada", password="pw-123456-x", role=STUDENTS)
    page = log_in(browser.new_context(viewport=VIEWPORTS["desktop"]), live_server.url, "ada", "pw-123456-x")
    page.goto(f"{live_server.url}/labs/squared-number/")
    page.click(".CodeMirror-code")
    inside = "() => Boolean(document.activeElement.closest('.CodeMirror'))"
    assert page.evaluate(inside)
    page.keyboard.press("Tab")  # indents, stays in the editor
    assert page.evaluate(inside)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert not page.evaluate(inside), page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    page.keyboard.press("Shift+Tab")  # back onto the scroll area: focus goes into the editor again
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
