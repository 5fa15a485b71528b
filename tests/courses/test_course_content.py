"""Every lesson shipped in courses/content imports and renders."""

import pytest

from courses.importing import find_course_dirs, import_course_dir, parse_course_dir
from courses.models import Lesson
from courses.rendering import render_markdown
from tests.helpers import CONTENT_DIR

LESSON_FILES = sorted(CONTENT_DIR.glob("*/*.md"))


def test_content_folder_has_the_serverless_course():
    sources = [parse_course_dir(path) for path in find_course_dirs(CONTENT_DIR)]
    serverless = next(source for source in sources if source.slug == "serverless")
    assert len(serverless.lessons) >= 31
    assert {"glossary", "step-functions", "invocation-models", "handler-anatomy"} <= {
        lesson.slug for lesson in serverless.lessons
    }
    # Every module of the course has lessons.
    assert {lesson.module for lesson in serverless.lessons} == {slug for slug, _ in serverless.modules}


@pytest.mark.parametrize("path", LESSON_FILES, ids=[path.stem for path in LESSON_FILES])
def test_lesson_renders(path):
    source = next(lesson for lesson in parse_course_dir(path.parent).lessons if lesson.path == path)
    result = render_markdown(source.body)
    assert result.toc, "a lesson needs ## sections for its table of contents"
    assert "<script" not in result.html
    assert "Summary" in [entry.title for entry in result.toc] or source.slug == "glossary"


@pytest.mark.django_db
def test_whole_content_imports():
    import_course_dir(CONTENT_DIR)
    assert Lesson.objects.filter(course__slug="serverless", is_published=True).count() == len(
        list((CONTENT_DIR / "serverless").glob("*.md"))
    )
