"""Names and Role Provisioning: an instructor imports the LMS roster (paged) into the linked course; the
instructor pages are for instructors only."""

import pytest

from accounts.roles import is_instructor
from courses.models import Enrollment
from lti.models import Context, Identity, Member
from tests.lti.platform import LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def post(browser, path: str):
    return browser.http.post(
        browser.tool_url + path,
        data={"csrfmiddlewaretoken": browser.http.cookies["csrftoken"]},
        allow_redirects=False,
    )


def test_an_instructor_imports_the_lms_roster_into_the_course(tool, lms, lab, browser_factory):
    roster = lms.contexts["lms-course-1"].members
    roster += [
        {
            "user_id": "u-3",
            "roles": [LEARNER],
            "given_name": "Cy",
            "family_name": "Three",
            "status": "Active",
        },
        {"user_id": "u-4", "roles": [LEARNER], "status": "Inactive"},
        {
            "user_id": "u-ta",
            "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            "status": "Active",
        },
    ]
    teacher = browser_factory()
    teacher.launch(
        lms.login_params(user="u-teacher", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    )
    context = Context.objects.get(context_id="lms-course-1")
    answer = post(teacher, f"/lti/contexts/{context.pk}/roster/")
    assert answer.status_code == 302
    page = teacher.get(f"/lti/contexts/{context.pk}/")
    assert "Roster imported: 3 new, 1 already here, 1 inactive skipped." in page.text
    assert set(Member.objects.filter(context=context).values_list("subject", flat=True)) == {
        "u-teacher",
        "u-student",
        "u-3",
        "u-ta",
    }
    cy = Identity.objects.get(subject="u-3").user
    assert (cy.first_name, cy.last_name) == ("Cy", "Three")
    assert Enrollment.objects.filter(user=cy, course=context.course).exists()
    assert is_instructor(Identity.objects.get(subject="u-ta").user)
    assert not Identity.objects.filter(subject="u-4").exists()
    # importing again adds nobody
    post(teacher, f"/lti/contexts/{context.pk}/roster/")
    assert "Roster imported: 0 new, 4 already here" in teacher.get(f"/lti/contexts/{context.pk}/").text
    assert (
        lms.token_requests >= 2
    )  # each import asked the platform for an access token with our signed assertion


def test_a_refused_roster_shows_the_lms_reason(tool, lms, lab, browser_factory):
    teacher = browser_factory()
    teacher.launch(
        lms.login_params(user="u-teacher", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    )
    context = Context.objects.get(context_id="lms-course-1")
    Context.objects.filter(pk=context.pk).update(memberships_url=lms.url("/contexts/gone/memberships"))
    post(teacher, f"/lti/contexts/{context.pk}/roster/")
    assert (
        "The LMS refused the roster: HTTP 404: no such context"
        in teacher.get(f"/lti/contexts/{context.pk}/").text
    )


def test_instructor_pages_refuse_students_and_anonymous_users(tool, lms, lab, browser_factory):
    student = browser_factory()
    student.launch(
        lms.login_params(user="u-student", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    )
    context = Context.objects.get(context_id="lms-course-1")
    assert student.get("/lti/contexts/").status_code == 403
    assert student.get(f"/lti/contexts/{context.pk}/").status_code == 403
    assert post(student, f"/lti/contexts/{context.pk}/roster/").status_code == 403
    assert post(student, f"/lti/contexts/{context.pk}/resend/").status_code == 403
    assert student.get("/lti/platforms/").status_code == 302
    anonymous = browser_factory()
    assert anonymous.get("/lti/contexts/").status_code == 302
    assert (
        anonymous.http.post(f"{anonymous.tool_url}/lti/contexts/{context.pk}/roster/").status_code == 403
    )  # CSRF
