"""Fixtures for the LTI tests: a real LTI 1.3 platform on 127.0.0.1 (tests/lti/platform.py), our tool on
pytest-django's live server, a course with a lab and a graded quiz, and a requests-based "browser" that
follows the real OIDC launch flow between the two."""

from __future__ import annotations

import html.parser
import os

import pytest

from config.celery_app import app as celery_app
from courses.models import Course, Lesson, Module
from labs.models import Lab
from lti.services import platform_register
from quizzes.models import Quiz
from quizzes.services import gift_import
from tests.lti.platform import INSTRUCTOR, LEARNER, Platform

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in the test thread

QUIZ_GIFT = """::Memory::What is the maximum memory of a Lambda function, in MB?{#10240:0}

::Timeout::What is the maximum timeout of a Lambda function, in seconds?{#900:0}
"""


@pytest.fixture
def lms():
    platform = Platform()
    yield platform
    platform.close()


@pytest.fixture
def project_celery():
    """The project's Celery app is the current one (shared tasks resolve to the current app, and a test
    elsewhere may have made another Celery instance current)."""
    from celery import _state

    previous = _state.get_current_app()
    celery_app.set_current()
    yield celery_app
    previous.set_current()


@pytest.fixture
def eager_tasks(project_celery):
    """Celery tasks run in the test process as they are sent (retries included)."""
    previous = project_celery.conf.task_always_eager
    project_celery.conf.task_always_eager = True
    yield
    project_celery.conf.task_always_eager = previous


@pytest.fixture
def course(transactional_db) -> Course:
    course = Course.objects.create(slug="serverless", title="Serverless on AWS")
    module = Module.objects.create(course=course, slug="basics", title="Basics", order=1)
    Lesson.objects.create(
        course=course,
        module=module,
        slug="intro",
        title="Introduction",
        order=1,
        minutes=5,
        body="Hi.",
        content_hash="x",
    )
    return course


@pytest.fixture
def lab(course) -> Lab:
    return Lab.objects.create(
        slug="squared-number",
        title="Squared number",
        lesson=Lesson.objects.get(slug="intro"),
        points=10,
        instructions_html="<p>Square it.</p>",
        content_hash="h",
        editable_files=["handler.py"],
        starter_files={"handler.py": "def lambda_handler(event, context):\n    return None\n"},
    )


@pytest.fixture
def quiz(course) -> Quiz:
    quiz = Quiz.objects.create(course=course, slug="final", title="Final quiz", kind=Quiz.Kind.QUIZ)
    gift_import(course=course, text=QUIZ_GIFT, quiz=quiz)
    return quiz


@pytest.fixture
def tool(live_server, lms):
    """Our tool registered with the platform (manual registration), and the platform with us."""
    lms.add_tool(live_server.url)
    platform = platform_register(**lms.registration_args())
    lms.add_context(
        "lms-course-1",
        "Cloud 101 (LMS)",
        members=[
            {
                "user_id": "u-student",
                "roles": [LEARNER],
                "name": "Ada Student",
                "given_name": "Ada",
                "family_name": "Student",
                "email": "ada@example.edu",
            },
            {
                "user_id": "u-teacher",
                "roles": [INSTRUCTOR],
                "name": "Tim Teacher",
                "given_name": "Tim",
                "family_name": "Teacher",
                "email": "tim@example.edu",
            },
        ],
    )
    return platform


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action", "")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def parse_form(text: str) -> tuple[str, dict[str, str]]:
    parser = _FormParser()
    parser.feed(text)
    return parser.action, parser.fields


class LmsBrowser:
    """A cookie-keeping HTTP client that does what a browser does in an LTI launch."""

    def __init__(self, tool_url: str) -> None:
        import requests

        self.tool_url = tool_url
        self.http = requests.Session()

    def login(self, params: dict):
        """POST the login initiation; returns the platform's auto-submitting id_token form (action, fields)."""
        answer = self.http.post(f"{self.tool_url}/lti/login/", data=params, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:500]
        auth = self.http.get(answer.headers["Location"], allow_redirects=False)
        assert auth.status_code == 200, auth.text[:500]
        return parse_form(auth.text)

    def post_form(self, action: str, fields: dict):
        return self.http.post(action, data=fields, allow_redirects=False)

    def launch(self, params: dict):
        action, fields = self.login(params)
        return self.post_form(action, fields)

    def get(self, path: str, **kwargs):
        url = path if path.startswith("http") else self.tool_url + path
        return self.http.get(url, allow_redirects=False, **kwargs)


@pytest.fixture
def browser_factory(live_server):
    return lambda: LmsBrowser(live_server.url)
