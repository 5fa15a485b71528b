"""Deep linking against the test platform: the instructor picks items in our picker, the platform checks
our signed response and makes the links and graded columns, and grades then land in those columns."""

import re

import pytest

from labs.models import Submission
from lti import services
from lti.models import Context, LineItem
from tests.lti.conftest import parse_form

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def open_picker(lms, browser):
    answer = browser.launch(
        lms.login_params(user="u-teacher", context_id="lms-course-1", message_type="LtiDeepLinkingRequest")
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith("/lti/deep-link/?launch=")
    return answer.headers["Location"]


def test_an_instructor_adds_a_lab_a_quiz_and_a_lesson_and_grades_land_in_those_columns(
    tool, lms, lab, quiz, browser_factory, eager_tasks
):
    teacher = browser_factory()
    picker = teacher.get(open_picker(lms, teacher))
    assert picker.status_code == 200
    assert "Squared number" in picker.text and "graded out of 10" in picker.text
    assert "Final quiz" in picker.text and "graded out of 100" in picker.text
    launch_id = re.search(r'name="launch" value="([^"]+)"', picker.text).group(1)
    lesson_ref = re.search(r'value="(lesson:\d+)"', picker.text).group(1)
    chosen = [f"lab:{lab.pk}", f"quiz:{quiz.pk}", lesson_ref]
    answer = teacher.http.post(
        f"{teacher.tool_url}/lti/deep-link/",
        data={"csrfmiddlewaretoken": teacher.http.cookies["csrftoken"], "launch": launch_id, "item": chosen},
    )
    assert answer.status_code == 200
    action, fields = parse_form(answer.text)
    assert action == lms.url("/contexts/lms-course-1/deep-link-return")
    done = teacher.http.post(action, data=fields)
    assert "3 link(s) in the course" in done.text

    links = {link["title"]: link for link in lms.contexts["lms-course-1"].links}
    assert set(links) == {"Squared number", "Final quiz", "Introduction"}
    assert links["Squared number"]["lineItem"] == {
        "scoreMaximum": 10,
        "label": "Squared number",
        "resourceId": f"lab:{lab.pk}",
        "tag": "serverless-learning",
    }
    assert links["Final quiz"]["lineItem"]["scoreMaximum"] == 100
    assert "lineItem" not in links["Introduction"]
    assert all(
        link["type"] == "ltiResourceLink" and link["url"].endswith("/lti/launch/") for link in links.values()
    )
    assert Context.objects.get(context_id="lms-course-1").course == lab.lesson.course

    # A student follows the lab link the LMS now shows; their grade goes to the deep-linked column.
    student_browser = browser_factory()
    opened = student_browser.launch(
        lms.login_params(
            user="u-student", context_id="lms-course-1", custom=links["Squared number"]["custom"]
        )
    )
    assert opened.headers["Location"] == "/labs/squared-number/"
    student = Context.objects.get(context_id="lms-course-1").members.get(subject="u-student").user
    Submission.objects.create(user=student, lab=lab, files={}, status="graded", score=7, max_score=10)
    services.scores_changed(student, lab)
    assert lms.contexts["lms-course-1"].lineitem_posts == 0  # found by resourceId, not created again
    lab_column = links["Squared number"]["lineitem"]
    assert LineItem.objects.get(kind="lab").url == lab_column
    scores = lms.contexts["lms-course-1"].scores[lab_column.rsplit("/", 1)[1]]
    assert [s["scoreGiven"] for s in scores] == [7]


def test_a_student_cannot_deep_link(tool, lms, course, browser_factory):
    answer = browser_factory().launch(
        lms.login_params(user="u-student", context_id="lms-course-1", message_type="LtiDeepLinkingRequest")
    )
    assert answer.status_code == 403
    assert "Only instructors can add content" in answer.text


def test_the_picker_belongs_to_its_launch(tool, lms, lab, browser_factory):
    teacher = browser_factory()
    open_picker(lms, teacher)
    assert teacher.get("/lti/deep-link/?launch=lti1p3-launch-forged").status_code == 400
    anonymous = browser_factory()
    assert anonymous.get("/lti/deep-link/?launch=x").status_code == 302  # to the login page


def test_picking_nothing_is_refused_with_a_message(tool, lms, lab, browser_factory):
    teacher = browser_factory()
    picker = teacher.get(open_picker(lms, teacher))
    launch_id = re.search(r'name="launch" value="([^"]+)"', picker.text).group(1)
    answer = teacher.http.post(
        f"{teacher.tool_url}/lti/deep-link/",
        data={"csrfmiddlewaretoken": teacher.http.cookies["csrftoken"], "launch": launch_id},
    )
    assert answer.status_code == 400 and "Pick at least one item" in answer.text


def test_the_picker_post_needs_the_csrf_token(tool, lms, lab, browser_factory):
    teacher = browser_factory()
    picker = teacher.get(open_picker(lms, teacher))
    launch_id = re.search(r'name="launch" value="([^"]+)"', picker.text).group(1)
    answer = teacher.http.post(
        f"{teacher.tool_url}/lti/deep-link/", data={"launch": launch_id, "item": [f"lab:{lab.pk}"]}
    )
    assert answer.status_code == 403
