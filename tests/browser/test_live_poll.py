"""An instructor runs a live poll; two students answer from their own browsers. The presenter's counts
update without a reload; after the reveal both students see whether they were right."""

import pytest

from accounts.roles import STUDENTS
from accounts.services import user_create
from courses.importing import import_course_dir
from courses.models import Course
from courses.services import enrollment_create
from quizzes.models import PollSession, Question
from quizzes.services import gift_import
from tests.browser.htmx import wait_until_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL = "::Invoke S3::How does Amazon S3 invoke a function?{=Asynchronously ~Synchronously ####S3 does not wait.}\n"


def log_in(context, base, username, password):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_live_poll_with_three_browsers(live_server, browser, instructor, content_dir, artifacts):
    import_course_dir(content_dir)
    course = Course.objects.get(slug="demo")
    gift_import(course=course, text=POLL)
    for name in ("ada", "bob"):
        enrollment_create(
            user=user_create(username=name, password="pw-123456-x", role=STUDENTS), course=course
        )
    base = live_server.url
    # the presenter on a projector-sized screen, the students on phones
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800})]
    contexts += [browser.new_context(viewport={"width": 390, "height": 844}) for _ in range(2)]
    host = log_in(contexts[0], base, "teach", "teach-pass-123")
    ada = log_in(contexts[1], base, "ada", "pw-123456-x")
    bob = log_in(contexts[2], base, "bob", "pw-123456-x")

    host.goto(f"{base}/quizzes/polls/new/demo/")
    host.click("summary:has-text('pick questions')")
    host.check(f"input[name=questions][value='{Question.objects.get().id}']")
    host.fill("#title", "Class poll")
    host.click("main button[type=submit]")
    host.wait_for_url("**/present/")
    code = PollSession.objects.get().code
    assert code in host.inner_text(".big-code")

    for page in (ada, bob):
        page.goto(f"{base}/quizzes/polls/join/")
        page.fill("#code", code.lower())
        page.click("main button[type=submit]")
        page.wait_for_selector("text=Waiting for the instructor")

    host.click("#present-controls button:has-text('Open question')")
    # Students' pages pick the question up by themselves (htmx polling), no reload.
    ada.wait_for_selector("text=Send answer", timeout=10000)
    bob.wait_for_selector("text=Send answer", timeout=10000)
    ada.check("input[name=response][value=a]")
    ada.click("text=Send answer")
    ada.wait_for_selector("text=Answer received")
    ada.wait_for_selector("#poll-submit:has-text('Change my answer')")
    assert ada.locator("#poll-body form").count() == 1  # the answer did not nest a second form
    host.wait_for_function(
        "() => document.querySelector('#answered-count').textContent.trim() === '1'", timeout=5000
    )
    bob.check("input[name=response][value=b]")
    bob.click("text=Send answer")
    bob.wait_for_selector("text=Answer received")
    host.wait_for_function(
        "() => document.querySelector('#answered-count').textContent.trim() === '2'", timeout=5000
    )
    # the classroom default: while the question is open the projector shows how many answered, not what
    assert host.locator("[data-choice]").count() == 0
    assert host.is_visible("text=Answers stay hidden until you close the question.")
    host.screenshot(path=str(artifacts / "poll-presenter.png"), full_page=True)

    host.click("#present-controls button:has-text('Close question')")
    host.wait_for_selector("#present-controls button:has-text('Reveal answer')")
    wait_until_settled(host)  # the swapped-in controls are wired when htmx settles
    host.wait_for_selector("[data-choice=a]")
    assert host.inner_text("[data-choice=a]") == "1" and host.inner_text("[data-choice=b]") == "1"
    host.click("#present-controls button:has-text('Reveal answer')")
    host.wait_for_selector(".bar.correct")
    ada.wait_for_selector("text=You were right", timeout=10000)
    bob.wait_for_selector("text=Not this time", timeout=10000)
    assert "S3 does not wait." in ada.inner_text("#poll-body")
    # the phone that was wrong marks the right choice and names it
    assert "The right answer: Asynchronously" in bob.inner_text("#poll-body")
    assert "{#" not in bob.inner_text("#poll-body")  # no template comment leaks onto the page
    assert "right answer" in bob.inner_text(".choice.is-correct") and "Asynchronously" in bob.inner_text(
        ".choice.is-correct"
    )
    host.click("#present-fullscreen")
    host.wait_for_function(
        "() => document.fullscreenElement && document.fullscreenElement.id === 'presenter'"
    )
    host.wait_for_selector("#present-fullscreen:has-text('Leave full screen')")
    host.screenshot(path=str(artifacts / "poll-presenter-fullscreen.png"))
    host.click("#present-fullscreen")
    host.wait_for_function("() => document.fullscreenElement === null")
    ada.screenshot(path=str(artifacts / "poll-student-right.png"), full_page=True)
    bob.screenshot(path=str(artifacts / "poll-student-wrong.png"), full_page=True)
    for context in contexts:
        context.close()


def test_a_guest_on_a_phone_joins_by_the_qr_link_with_a_nickname(
    live_server, browser, instructor, content_dir, artifacts
):
    """Kahoot-style: no account, the join link the QR code carries, a nickname; the whole poll on a phone."""
    import_course_dir(content_dir)
    gift_import(course=Course.objects.get(slug="demo"), text=POLL)
    base = live_server.url
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    host = log_in(desk, base, "teach", "teach-pass-123")
    host.goto(f"{base}/quizzes/polls/new/demo/")
    host.click("summary:has-text('pick questions')")
    host.check(f"input[name=questions][value='{Question.objects.get().id}']")
    host.click("main button[type=submit]")
    host.wait_for_url("**/present/")
    join_url = host.inner_text(".join-line strong").replace("localhost", "127.0.0.1")

    guest = phone.new_page()
    guest.goto(join_url)  # what scanning the QR code opens
    guest.fill("#nickname", "Zoe")
    guest.screenshot(path=str(artifacts / "poll-guest-join-phone.png"), full_page=True)
    guest.click("main button[type=submit]")
    guest.wait_for_selector("text=Waiting for the instructor")
    assert "you are Zoe (guest)" in guest.inner_text("#poll-area")

    host.click("#present-controls button:has-text('Open question')")
    guest.wait_for_selector("text=Send answer", timeout=10000)
    guest.check("input[name=response][value=b]")
    guest.click("text=Send answer")
    guest.wait_for_selector("text=Answer received")
    host.wait_for_function(
        "() => document.querySelector('#answered-count').textContent.trim() === '1'", timeout=5000
    )
    host.click("#present-controls button:has-text('Close question')")
    host.wait_for_selector("#present-controls button:has-text('Reveal answer')")
    wait_until_settled(host)  # the swapped-in controls are wired when htmx settles
    host.click("#present-controls button:has-text('Reveal answer')")
    guest.wait_for_selector("text=Not this time", timeout=10000)
    assert "The right answer: Asynchronously" in guest.inner_text("#poll-body")
    guest.screenshot(path=str(artifacts / "poll-guest-revealed-phone.png"), full_page=True)
    host.click("summary:has-text('Who answered')")
    assert "Zoe (guest)" in host.inner_text(".who-list")
    host.screenshot(path=str(artifacts / "poll-presenter-with-guest-desktop.png"), full_page=True)
    host.once("dialog", lambda dialog: dialog.accept())
    host.click("#present-controls button:has-text('End poll')")
    guest.wait_for_selector("text=This poll has ended", timeout=10000)
    desk.close(), phone.close()
