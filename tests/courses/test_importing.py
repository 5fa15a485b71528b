from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.importing import ContentError, import_course_dir
from courses.models import Course, Lesson, Module
from tests.helpers import write_lesson

pytestmark = pytest.mark.django_db


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


def test_first_import_creates_course_modules_and_lessons(content_dir):
    output = run_import(content_dir)
    assert "Created" in output
    course = Course.objects.get(slug="demo")
    assert [m.slug for m in Module.objects.filter(course=course)] == ["basics", "advanced"]
    lessons = list(Lesson.objects.filter(course=course).order_by("module__order", "order"))
    assert [lesson.slug for lesson in lessons] == ["intro", "second", "deep"]
    intro = lessons[0]
    assert intro.objectives == ["Learn one thing"] and intro.minutes == 5
    assert "lambda_handler" not in intro.search_text  # code is not indexed as prose
    assert len(intro.content_hash) == 64


def test_second_import_changes_nothing_and_says_so(content_dir):
    run_import(content_dir)
    before = list(Lesson.objects.values_list("id", "content_hash", "title"))
    output = run_import(content_dir)
    assert output.startswith("No changes: 3 lesson(s) already up to date.")
    assert list(Lesson.objects.values_list("id", "content_hash", "title")) == before


def test_edited_file_updates_its_lesson(content_dir):
    run_import(content_dir)
    write_lesson(content_dir, "second", title="Second steps, revised", order=2, body="New body text.")
    output = run_import(content_dir)
    assert "Updated 1: lesson second" in output
    lesson = Lesson.objects.get(slug="second")
    assert lesson.title == "Second steps, revised" and lesson.body == "New body text."


def test_removed_file_unpublishes_and_readding_republishes(content_dir):
    run_import(content_dir)
    saved = (content_dir / "second.md").read_text()
    (content_dir / "second.md").unlink()
    assert "Unpublished 1: lesson second" in run_import(content_dir)
    assert Lesson.objects.get(slug="second").is_published is False
    (content_dir / "second.md").write_text(saved)
    assert "Updated 1: lesson second" in run_import(content_dir)
    assert Lesson.objects.get(slug="second").is_published is True


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("title: X\nmodule: basics\norder: 3\nobjectives:\n  - a\n", "missing required field 'minutes'"),
        (
            "title: X\nmodule: nowhere\norder: 3\nminutes: 2\nobjectives:\n  - a\n",
            "'nowhere' is not a module",
        ),
        (
            "title: X\nmodule: basics\norder: three\nminutes: 2\nobjectives:\n  - a\n",
            "field 'order' must be int",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives: []\n",
            "'objectives' must be a non-empty list",
        ),
        ("title: [unclosed\nmodule: basics\n", "line 3: invalid YAML"),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\ncolour: red\n",
            "unknown field(s): colour",
        ),
        (
            "title: X\nmodule: basics\norder: 1\nminutes: 2\nobjectives:\n  - a\n",
            "already has a lesson with order 1",
        ),
    ],
)
def test_bad_front_matter_names_file_and_problem_and_changes_nothing(content_dir, front_matter, expected):
    run_import(content_dir)
    before = list(Lesson.objects.values_list("slug", "title", "content_hash", "is_published"))
    (content_dir / "intro.md").write_text(
        (content_dir / "intro.md").read_text().replace("title: Introduction", "title: Introduction v2")
    )
    (content_dir / "broken.md").write_text(f"---\n{front_matter}---\nBody\n")
    with pytest.raises(CommandError) as error:
        run_import(content_dir)
    assert "broken.md" in str(error.value)
    assert expected in str(error.value)
    assert "nothing was changed" in str(error.value)
    # The valid edit to intro.md was not half-applied either.
    assert list(Lesson.objects.values_list("slug", "title", "content_hash", "is_published")) == before


def test_missing_front_matter_and_empty_body(content_dir):
    (content_dir / "plain.md").write_text("Just text, no front matter\n")
    with pytest.raises(ContentError, match="line 1: missing front matter"):
        import_course_dir(content_dir)
    (content_dir / "plain.md").write_text(
        "---\ntitle: T\nmodule: basics\norder: 9\nminutes: 1\nobjectives:\n  - a\n---\n\n"
    )
    with pytest.raises(ContentError, match="no body"):
        import_course_dir(content_dir)
    assert not Course.objects.exists()


def test_missing_course_file(tmp_path):
    with pytest.raises(ContentError, match="no course found"):
        import_course_dir(tmp_path)
