"""A student takes a graded quiz in Chromium at desktop and phone widths: the choices come in the attempt's
own shuffled order with the pinned "None of the above" last, the order survives an autosave and a reload,
and the review names the real choice that was picked (issue 18)."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from courses.services import enrollment_create
from quizzes.models import Attempt, Question, Quiz
from quizzes.services import gift_import
from tests.quizzes.test_choice_shuffling import PINNED_GIFT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {"a": "Amazon EC2", "b": "Amazon RDS", "c": "AWS Lambda", "d": "Amazon EKS", "e": "None of the above"}


def _shown(page) -> list[str]:
    return [
        text.strip() for text in page.locator("form.attempt-question label.choice span").all_inner_texts()
    ]


@pytest.mark.parametrize(("name", "viewport"), [("desk", (1280, 900)), ("phone", (390, 844))])
def test_shuffled_choices_stay_put_and_grade_by_choice(
    live_server, browser, student, content_dir, artifacts, name, viewport
):
    import_course_dir(content_dir)
    course = Course.objects.get(slug="demo")
    quiz = Quiz.objects.create(course=course, slug="pinned", title="Pinned quiz", kind=Quiz.Kind.QUIZ)
    gift_import(course=course, text=PINNED_GIFT, quiz=quiz)
    enrollment_create(user=student, course=course)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/quizzes/course/demo/pinned/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("button[type=submit]")
    page.click("text=Start attempt")
    page.wait_for_url("**/attempt/*/")

    attempt = Attempt.objects.get(user=student)
    order = attempt.choice_orders[str(Question.objects.get(title="Which services").id)]
    shown = _shown(page)
    assert shown == [TEXTS[choice_id] for choice_id in order]
    assert shown[-1] == "None of the above"  # pinned by the author

    page.locator("form.attempt-question label.choice", has_text="AWS Lambda").click()
    page.locator("form.attempt-question .saved").wait_for()
    page.reload()
    assert _shown(page) == shown
    assert page.locator("form.attempt-question input[name=response]:checked").get_attribute("value") == "c"
    page.screenshot(path=str(artifacts / f"quiz-shuffled-choices-{name}.png"), full_page=True)

    page.click("text=Finish attempt…")
    page.wait_for_url("**/summary/")
    page.click("text=Submit all and finish")
    page.wait_for_url("**/review/")
    content = page.content()
    assert "<strong>Your answer:</strong> AWS Lambda" in content
    assert "100%" in content
    page.screenshot(path=str(artifacts / f"quiz-shuffled-review-{name}.png"), full_page=True)
    assert errors == []
