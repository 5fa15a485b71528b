from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.importing import ContentError, import_course_dir
from courses.models import Course, Lesson, Module
from tests.helpers import SOURCES_YAML, write_lesson

pytestmark = pytest.mark.django_db


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


def test_first_import_creates_course_modules_and_lessons(content_dir):
    output = run_import(content_dir)
    # a whole course is counted by kind on one line (the shipped one printed ~5,000 characters of names)
    assert "Created 6: 1 course, 2 modules, 3 lessons\n" in output and "intro" not in output
    verbose = StringIO()
    Course.objects.all().delete()
    call_command("import_course", str(content_dir), stdout=verbose, verbosity=2)
    assert "Created 6: 1 course, 2 modules, 3 lessons\n  course demo\n  module basics" in verbose.getvalue()
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
    assert "Updated 1: lesson second" in output  # a few changes are named
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
            "title: X\nmodule: nowhere\norder: 3\nminutes: 2\nobjectives:\n  - a\n" + SOURCES_YAML,
            "'nowhere' is not a module",
        ),
        (
            "title: X\nmodule: basics\norder: three\nminutes: 2\nobjectives:\n  - a\n" + SOURCES_YAML,
            "field 'order' must be int",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives: []\n" + SOURCES_YAML,
            "'objectives' must be a non-empty list",
        ),
        ("title: [unclosed\nmodule: basics\n", "line 3: invalid YAML"),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\ncolour: red\n"
            + SOURCES_YAML,
            "unknown field(s): colour",
        ),
        (
            "title: X\nmodule: basics\norder: 1\nminutes: 2\nobjectives:\n  - a\n" + SOURCES_YAML,
            "already has a lesson with order 1",
        ),
        # Every lesson names the AWS pages it relies on and when its facts were checked.
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n" + "verified: 2026-12\n",
            "missing required field 'sources'",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + SOURCES_YAML.replace("verified: 2026-12\n", ""),
            "missing required field 'verified'",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + "sources: []\nverified: 2026-12\n",
            "field 'sources' must list at least one",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + SOURCES_YAML.replace("2026-12", "December"),
            "field 'verified' must be the year and month",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + "sources:\n  - https://docs.aws.amazon.com/\nverified: 2026-12\n",
            "field 'sources[0]' must be a mapping with exactly title and url",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + SOURCES_YAML.replace("https://docs", "http://docs"),
            "field 'sources[0].url' must be an https:// URL",
        ),
        (
            "title: X\nmodule: basics\norder: 3\nminutes: 2\nobjectives:\n  - a\n"
            + "sources:\n  - title: ''\n    url: https://docs.aws.amazon.com/\nverified: 2026-12\n",
            "field 'sources[0].title' is empty",
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
        "---\ntitle: T\nmodule: basics\norder: 9\nminutes: 1\nobjectives:\n  - a\n" + SOURCES_YAML + "---\n\n"
    )
    with pytest.raises(ContentError, match="no body"):
        import_course_dir(content_dir)
    assert not Course.objects.exists()


def test_missing_course_file(tmp_path):
    with pytest.raises(ContentError, match="no course found"):
        import_course_dir(tmp_path)


def test_fact_tags_are_resolved_at_import(content_dir):
    (content_dir / "facts.yaml").write_text(
        "lambda:\n  timeout_max:\n    value: 900\n    unit: seconds\n    text: 15 minutes\n"
        "    source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html\n"
    )
    write_lesson(content_dir, "second", order=2, body="## Limits\n\nAt most {{ fact:lambda.timeout_max }}.")
    run_import(content_dir)
    lesson = Lesson.objects.get(slug="second")
    assert lesson.body == "## Limits\n\nAt most 15 minutes."
    assert lesson.sources == [
        {
            "title": "Lambda quotas",
            "url": "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
        }
    ]
    assert lesson.verified == "2026-12"
    # A changed number in facts.yaml reaches every lesson that states it on the next import.
    (content_dir / "facts.yaml").write_text(
        (content_dir / "facts.yaml").read_text().replace("15 minutes", "a quarter hour")
    )
    assert "Updated 1: lesson second" in run_import(content_dir)
    assert Lesson.objects.get(slug="second").body.endswith("At most a quarter hour.")


def test_an_unknown_fact_tag_is_an_error_naming_file_and_line(content_dir):
    path = write_lesson(
        content_dir, "second", order=2, body="## Limits\n\nFine.\n\nUp to {{ fact:lambda.nope }}."
    )
    line = path.read_text().splitlines().index("Up to {{ fact:lambda.nope }}.") + 1
    with pytest.raises(CommandError) as error:
        run_import(content_dir)
    assert f"second.md: line {line}: unknown fact 'lambda.nope'" in str(error.value)
    assert not Course.objects.exists()


def test_a_bad_facts_file_is_named(content_dir):
    (content_dir / "facts.yaml").write_text("lambda:\n  timeout_max:\n    value: 900\n    unit: seconds\n")
    with pytest.raises(ContentError) as error:
        import_course_dir(content_dir)
    assert error.value.path.name == "facts.yaml"
    assert "key 'lambda.timeout_max': missing 'source'" in str(error.value)
