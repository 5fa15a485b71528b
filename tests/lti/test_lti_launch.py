"""Login initiation and launch against the test platform, and every refusal."""

import pytest
from django.contrib.auth.models import User

from accounts.roles import is_instructor
from courses.models import Enrollment
from lti.models import Context, Identity
from tests.helpers import frame_ancestors

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_student_launch_logs_in_links_by_issuer_and_subject_and_opens_the_lab(
    tool, lms, lab, browser_factory
):
    browser = browser_factory()
    answer = browser.launch(
        lms.login_params(user="u-student", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == "/labs/squared-number/"
    identity = Identity.objects.get(issuer=lms.issuer, subject="u-student")
    user = identity.user
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Student", "ada@example.edu")
    assert not is_instructor(user)
    context = Context.objects.get(context_id="lms-course-1")
    assert context.course == lab.lesson.course
    assert Enrollment.objects.filter(user=user, course=context.course).exists()
    page = browser.get("/labs/squared-number/")
    assert page.status_code == 200 and "Squared number" in page.text
    # framed by the LMS that launched this session, and by nobody else
    assert frame_ancestors(page) == f"frame-ancestors 'self' {lms.issuer}"
    assert "X-Frame-Options" not in page.headers


def test_the_same_lms_subject_is_the_same_user_and_an_email_never_links_accounts(
    tool, lms, lab, browser_factory
):
    local = User.objects.create_user(username="ada", email="ada@example.edu", password="x-long-pass-1")
    params = {"user": "u-student", "context_id": "lms-course-1", "custom": {"item": f"lab:{lab.pk}"}}
    assert browser_factory().launch(lms.login_params(**params)).status_code == 302
    assert browser_factory().launch(lms.login_params(**params)).status_code == 302
    identity = Identity.objects.get(issuer=lms.issuer, subject="u-student")
    assert identity.user != local
    assert Identity.objects.count() == 1
    assert User.objects.filter(email="ada@example.edu").count() == 2


def test_an_lms_instructor_becomes_an_instructor_here(tool, lms, course, browser_factory):
    browser = browser_factory()
    answer = browser.launch(lms.login_params(user="u-teacher", context_id="lms-course-1"))
    user = Identity.objects.get(subject="u-teacher").user
    assert is_instructor(user)
    # no item and no course linked yet: the instructor is sent to link one
    context = Context.objects.get(context_id="lms-course-1")
    assert answer.headers["Location"] == f"/lti/contexts/{context.pk}/"
    assert browser.get(answer.headers["Location"]).status_code == 200


def test_a_student_of_an_unlinked_lms_course_is_told_so(tool, lms, course, browser_factory):
    answer = browser_factory().launch(lms.login_params(user="u-student", context_id="lms-course-1"))
    assert answer.status_code == 409
    assert "has not linked this LMS course" in answer.text


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"foreign_key": True}, "Signature verification failed"),
        ({"aud": "someone-else"}, "Registration not found"),
        ({"exp": -120}, "Signature has expired"),
        ({"deployment_id": "dep-unknown"}, "Unable to find deployment"),
    ],
    ids=["bad-signature", "wrong-audience", "expired", "unknown-deployment"],
)
def test_a_bad_id_token_is_refused_and_logs_nobody_in(tool, lms, lab, browser_factory, tamper, reason):
    browser = browser_factory()
    answer = browser.launch(
        lms.login_params(
            user="u-student", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"}, tamper=tamper
        )
    )
    assert answer.status_code == 403
    assert reason in answer.text
    assert not Identity.objects.exists()
    assert browser.get("/labs/squared-number/").status_code == 302  # not logged in


def test_a_replayed_id_token_is_refused(tool, lms, lab, browser_factory):
    browser = browser_factory()
    action, fields = browser.login(lms.login_params(user="u-student", context_id="lms-course-1"))
    assert browser.post_form(action, fields).status_code in (302, 409)
    replay = browser.post_form(action, fields)
    assert replay.status_code == 403
    assert "replayed nonce" in replay.text
    # from another browser (no state cookie) it is refused too
    assert browser_factory().post_form(action, fields).status_code == 403


def test_a_launch_without_the_state_cookie_is_refused(tool, lms, browser_factory):
    action, fields = browser_factory().login(lms.login_params(user="u-student", context_id="lms-course-1"))
    answer = browser_factory().post_form(action, fields)
    assert answer.status_code == 403 and "State not found" in answer.text
    assert "open the link in a new tab or window" in answer.text


def test_login_from_an_unregistered_issuer_or_client_is_refused(tool, lms, browser_factory):
    params = lms.login_params(user="u-student", context_id="lms-course-1")
    browser = browser_factory()
    for changed in ({"iss": "https://evil.example"}, {"client_id": "not-ours"}):
        answer = browser.http.post(
            f"{browser.tool_url}/lti/login/", data={**params, **changed}, allow_redirects=False
        )
        assert answer.status_code == 400
        assert "Could not find registration details" in answer.text


def test_the_platform_rotating_its_keys_is_followed(tool, lms, lab, browser_factory):
    params = {"user": "u-student", "context_id": "lms-course-1", "custom": {"item": f"lab:{lab.pk}"}}
    assert browser_factory().launch(lms.login_params(**params)).status_code == 302
    assert lms.jwks_requests == 1
    assert browser_factory().launch(lms.login_params(**params)).status_code == 302
    assert lms.jwks_requests == 1  # cached
    lms.rotate_keys(keep_old=False)
    assert browser_factory().launch(lms.login_params(**params)).status_code == 302
    assert lms.jwks_requests == 2  # the unknown kid made us read the key set again


def test_pages_of_a_session_not_launched_from_an_lms_cannot_be_framed(client, student, lab):
    client.force_login(student)
    page = client.get("/labs/squared-number/")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert frame_ancestors(page) is None  # the site-wide policy has no frame-ancestors: X-Frame-Options rules


def _session_with(client, user, lti: dict | None):
    client.force_login(user)
    session = client.session
    if lti is not None:
        session["lti"] = lti
    session.save()


def test_an_lti_session_gets_samesite_none_secure_cookies_over_https_and_others_keep_lax(
    client, student, lab
):
    _session_with(client, student, {"origins": ["https://lms.example.edu"], "context": None, "deep_link": ""})
    framed = client.get("/labs/squared-number/", secure=True)
    cookie = framed.cookies["csrftoken"]
    assert cookie["samesite"] == "None" and cookie["secure"]
    assert frame_ancestors(framed) == "frame-ancestors 'self' https://lms.example.edu"

    client.logout()
    _session_with(client, student, None)
    plain = client.get("/labs/squared-number/", secure=True)
    assert plain.cookies["csrftoken"]["samesite"] == "Lax"
    assert plain.headers["X-Frame-Options"] == "DENY"


def test_one_lms_course_stays_linked_to_one_course(tool, lms, lab, browser_factory, eager_tasks):
    from courses.models import Course, Lesson, Module
    from labs.models import Lab, Submission
    from lti import services

    other = Course.objects.create(slug="other", title="Other course")
    module = Module.objects.create(course=other, slug="m", title="M", order=1)
    lesson = Lesson.objects.create(
        course=other, module=module, slug="l", title="L", order=1, minutes=1, body="x", content_hash="y"
    )
    other_lab = Lab.objects.create(
        slug="other-lab", title="Other lab", lesson=lesson, points=5, instructions_html=""
    )
    student = browser_factory()
    student.launch(
        lms.login_params(user="u-student", context_id="lms-course-1", custom={"item": f"lab:{lab.pk}"})
    )
    user = Identity.objects.get(subject="u-student").user
    Submission.objects.create(user=user, lab=lab, files={}, status="graded", score=3, max_score=10)
    services.scores_changed(user, lab)  # the context now has a grade column for the first course
    answer = student.launch(
        lms.login_params(user="u-student", context_id="lms-course-1", custom={"item": f"lab:{other_lab.pk}"})
    )
    assert answer.status_code == 409
    assert "already linked to Serverless on AWS" in answer.text
    assert Context.objects.get(context_id="lms-course-1").course == lab.lesson.course
