import pytest
from django.core.cache import cache
from django.urls import reverse

from courses.importing import import_course_dir
from courses.models import Enrollment, Lesson, LessonProgress
from courses.services import enrollment_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(content_dir):
    import_course_dir(content_dir)
    return Lesson.objects.get(slug="intro").course


@pytest.fixture
def enrolled(client, student, course):
    enrollment_create(user=student, course=course)
    client.force_login(student)
    return client


def lesson_url(slug):
    return reverse("courses:lesson", args=["demo", slug])


def complete_url(slug):
    return reverse("courses:lesson_complete", args=["demo", slug])


def test_lesson_requires_login(client, course):
    response = client.get(lesson_url("intro"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lesson_requires_enrollment_for_students(client, student, course):
    client.force_login(student)
    response = client.get(lesson_url("intro"))
    assert response.status_code == 302 and response["Location"] == reverse("courses:course", args=["demo"])


def test_instructor_can_read_without_enrolling(client, instructor, course):
    client.force_login(instructor)
    assert client.get(lesson_url("intro")).status_code == 200


def test_enroll_then_course_page_shows_progress(client, student, course):
    client.force_login(student)
    response = client.post(reverse("courses:enroll", args=["demo"]))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=student, course=course).exists()
    page = client.get(reverse("courses:course", args=["demo"])).content.decode()
    assert "Course progress: <strong>0</strong> of 3 lessons" in page
    assert "Start: Introduction" in page


def test_lesson_page_has_outline_neighbours_objectives_and_highlighting(enrolled):
    page = enrolled.get(lesson_url("second")).content.decode()
    assert 'aria-current="page">Second steps</a>' in page
    assert 'rel="prev">← Introduction' in page and 'rel="next">Deep dive →' in page
    assert "<li>Learn one thing</li>" in page and "5 min read" in page
    assert 'id="knowledge-check"' in page
    intro = enrolled.get(lesson_url("intro")).content.decode()
    assert '<span class="k">def</span>' in intro
    assert "mermaid" not in intro  # the diagram script loads only where a lesson has a diagram
    deep = enrolled.get(lesson_url("deep")).content.decode()
    assert "vendor/mermaid-11.17.2.min.js" in deep and '<pre class="mermaid">' in deep


def test_mark_complete_with_htmx_returns_fragment_and_moves_progress(enrolled, student):
    response = enrolled.post(complete_url("intro"), {"complete": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "You completed this lesson" in body
    assert 'id="course-progress" class="progress-block" hx-swap-oob="true"' in body
    assert 'aria-valuenow="33"' in body
    assert LessonProgress.objects.filter(user=student, lesson__slug="intro").count() == 1
    # Double submit is idempotent.
    enrolled.post(complete_url("intro"), {"complete": "1"}, HTTP_HX_REQUEST="true")
    assert LessonProgress.objects.filter(user=student).count() == 1
    # Undo.
    body = enrolled.post(complete_url("intro"), {"complete": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Mark complete" in body and 'aria-valuenow="0"' in body
    assert not LessonProgress.objects.filter(user=student).exists()


def test_mark_complete_without_htmx_redirects_back(enrolled):
    response = enrolled.post(complete_url("intro"), {"complete": "1"})
    assert response.status_code == 302 and response["Location"] == lesson_url("intro")


def test_mark_complete_rejects_get_and_non_enrolled(client, student, course):
    client.force_login(student)
    assert client.post(complete_url("intro"), {"complete": "1"}).status_code == 403
    assert client.get(complete_url("intro")).status_code == 405
    assert not LessonProgress.objects.exists()


def test_mark_complete_enforces_csrf(student, course):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    enrollment_create(user=student, course=course)
    strict.force_login(student)
    response = strict.post(complete_url("intro"), {"complete": "1"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert not LessonProgress.objects.exists()


def test_resume_points_at_last_opened_lesson(enrolled):
    enrolled.get(lesson_url("deep"))
    page = enrolled.get(reverse("courses:course", args=["demo"])).content.decode()
    assert "Resume: Deep dive" in page


def test_unpublished_lesson_is_404(enrolled, content_dir):
    (content_dir / "deep.md").unlink()
    import_course_dir(content_dir)
    assert enrolled.get(lesson_url("deep")).status_code == 404


def test_lesson_view_uses_the_render_cache(enrolled, monkeypatch):
    from courses import rendering

    cache.clear()
    enrolled.get(lesson_url("intro"))
    monkeypatch.setattr(rendering, "render_markdown", lambda text: pytest.fail("rendered on a warm cache"))
    assert enrolled.get(lesson_url("intro")).status_code == 200


def test_search_finds_title_and_text_full_and_fragment(client, course):
    page = client.get(reverse("courses:search"), {"q": "steps"}).content.decode()
    assert "<html" in page and "Second steps" in page and "1 lesson match" in page
    fragment = client.get(
        reverse("courses:search"), {"q": "welcome"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment and "Introduction" in fragment
    assert "0 lessons match" in client.get(reverse("courses:search"), {"q": "zzzz"}).content.decode()


def test_unknown_url_gets_404_in_site_layout(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and 'class="site-header"' in body


def test_cached_lesson_page_never_goes_stale(enrolled, content_dir):
    cache.clear()
    enrolled.get(lesson_url("intro"))  # sets the CSRF cookie
    first = enrolled.get(lesson_url("intro")).content.decode()
    assert "Mark complete" in first
    enrolled.post(complete_url("intro"), {"complete": "1"})
    after = enrolled.get(lesson_url("intro")).content.decode()
    assert "You completed this lesson" in after and 'aria-valuenow="33"' in after
    # An import that edits the lesson shows up on the next view.
    from courses import page_cache
    from tests.helpers import write_lesson

    write_lesson(content_dir, "intro", title="Introduction, edited", order=1, body="Fresh words.")
    import_course_dir(content_dir)
    page_cache._content_memo["at"] = -1e9  # the once-a-second check, without sleeping
    edited = enrolled.get(lesson_url("intro")).content.decode()
    assert "Introduction, edited" in edited and "Fresh words." in edited


def test_cached_page_is_per_user(enrolled, course, instructor):
    from django.test import Client

    cache.clear()
    enrolled.get(lesson_url("intro"))
    enrolled.get(lesson_url("intro"))
    other = Client()
    other.force_login(instructor)
    other.get(lesson_url("intro"))
    page = other.get(lesson_url("intro")).content.decode()
    assert "teach" in page and ">stu<" not in page.replace(" ", "")


def test_role_change_in_admin_refreshes_cached_pages(enrolled, student, course):
    from accounts.roles import INSTRUCTORS, role_group

    cache.clear()
    enrolled.get(lesson_url("intro"))
    assert 'badge">instructor' not in enrolled.get(lesson_url("intro")).content.decode()
    student.groups.add(role_group(INSTRUCTORS))
    assert 'badge">instructor' in enrolled.get(lesson_url("intro")).content.decode()


def test_lesson_page_ends_with_its_sources_and_when_they_were_checked(enrolled):
    page = enrolled.get(lesson_url("second")).content.decode()
    assert '<h2 id="sources-title">Sources · checked 2026-12</h2>' in page
    link = (
        '<a href="https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html" '
        'rel="noopener noreferrer">Lambda quotas</a>'
    )
    assert link in page
    # At the end: after the lesson body, before the knowledge check.
    assert (
        page.index('class="lesson-body"') < page.index("lesson-sources") < page.index('id="knowledge-check"')
    )


def test_a_lesson_row_without_sources_shows_no_empty_section(enrolled):
    Lesson.objects.filter(slug="second").update(sources=[], verified="")
    cache.clear()
    page = enrolled.get(lesson_url("second")).content.decode()
    assert "lesson-sources" not in page and "Sources ·" not in page
