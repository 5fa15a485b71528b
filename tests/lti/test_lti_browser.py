"""In Chromium: a student opens the LMS course page of the test platform, which launches our tool in an
iframe (login initiation, OIDC auth, form_post of the id_token); the lab opens inside the frame."""

from pathlib import Path

import pytest

from lti.models import Identity
from lti.services import platform_register
from tests.lti.platform import LEARNER, Platform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def same_site_lms(live_server):
    platform = Platform(host="localhost")
    yield platform
    platform.close()


def test_a_student_launches_the_lab_inside_the_lms_iframe(
    live_server, same_site_lms, lab, chromium, tmp_path
):
    lms = same_site_lms
    assert live_server.url.startswith("http://localhost:")
    lms.add_tool(live_server.url)
    platform_register(**lms.registration_args())
    lms.add_context(
        "lms-course-1",
        "Cloud 101 (LMS)",
        members=[{"user_id": "u-student", "roles": [LEARNER], "given_name": "Ada", "family_name": "Student"}],
    )
    page = chromium.new_page()
    page.goto(lms.url(f"/contexts/lms-course-1/page?user=u-student&context=lms-course-1&item=lab:{lab.pk}"))
    frame = page.frame_locator("#tool")
    frame.locator("h1", has_text="Squared number").wait_for(timeout=15000)
    # the tool's page was allowed inside the LMS's frame, and only there
    tool_frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    assert tool_frame.url == f"{live_server.url}/labs/squared-number/"
    user = Identity.objects.get(issuer=lms.issuer, subject="u-student").user
    assert user.username.startswith("ada-student-")
    assert user.username in frame.locator("header").inner_text()  # logged in inside the frame
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "lti-launch-in-iframe.png"))
