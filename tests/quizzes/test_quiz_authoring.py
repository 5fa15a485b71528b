"""Instructor authoring pages: permissions, field-level validation, preview, quiz ordering, GIFT upload (with its
preview) and download (round trip), management commands."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from quizzes.models import Question, Quiz
from quizzes.spec import from_dict
from tests.quizzes.conftest import CHECK_GIFT

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, instructor, course):
    client.force_login(instructor)
    return client


def single_post(**overrides):
    data = {
        "kind": "single",
        "title": "Cold starts",
        "stem": "What is a **cold start**?",
        "explanation": "Init.",
        "tags": "lambda, perf",
        "row-0-text": "A new environment",
        "row-0-weight": "100",
        "row-1-text": "A warm one",
        "row-1-weight": "0",
        "row-1-feedback": "No.",
    }
    data.update(overrides)
    return data


def test_students_get_403_everywhere(client, student, course):
    client.force_login(student)
    for url in [
        reverse("quizzes:author_home"),
        reverse("quizzes:author_bank", args=["demo"]),
        reverse("quizzes:question_new", args=["demo"]),
        reverse("quizzes:quiz_new", args=["demo"]),
        reverse("quizzes:gift_import", args=["demo"]),
        reverse("quizzes:gift_export", args=["demo"]),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("quizzes:preview"), {"stem": "x"}).status_code == 403


def test_anonymous_is_sent_to_login(client, course):
    response = client.get(reverse("quizzes:author_bank", args=["demo"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_edit_duplicate_delete_question(author, course):
    response = author.post(reverse("quizzes:question_new", args=["demo"]), single_post())
    assert response.status_code == 302
    question = Question.objects.get(title="Cold starts")
    assert question.tags == ["lambda", "perf"] and from_dict(question.spec).correct_ids() == ["a"]
    edit_url = reverse("quizzes:question_edit", args=["demo", question.id])
    page = author.get(edit_url).content.decode()
    assert 'value="A new environment"' in page
    author.post(edit_url, single_post(title="Cold starts (v2)"))
    question.refresh_from_db()
    assert question.title == "Cold starts (v2)"
    author.post(reverse("quizzes:question_duplicate", args=["demo", question.id]))
    assert Question.objects.filter(title="Cold starts (v2) (copy)").exists()
    author.post(reverse("quizzes:question_delete", args=["demo", question.id]))
    assert not Question.objects.filter(pk=question.id).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"row-1-weight": "100"}, "exactly one"),
        ({"row-0-weight": "0"}, "exactly one"),
        ({"stem": ""}, "stem"),
        ({"title": ""}, "title"),
    ],
)
def test_single_choice_validation_is_field_level(author, course, overrides, message):
    response = author.post(reverse("quizzes:question_new", args=["demo"]), single_post(**overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please fix the problems marked below." in body and 'class="field-error"' in body
    assert message in body.lower() or message in body
    assert not Question.objects.exists()


def test_numeric_tolerance_must_not_be_negative(author, course):
    data = {
        "kind": "numeric",
        "title": "Memory",
        "stem": "Max MB?",
        "row-0-value": "10240",
        "row-0-tolerance": "-1",
        "row-0-weight": "100",
    }
    response = author.post(reverse("quizzes:question_new", args=["demo"]), data)
    assert response.status_code == 400 and "must not be negative" in response.content.decode()


def test_multiple_response_needs_a_right_choice(author, course):
    data = {
        "kind": "multiple",
        "title": "Pollers",
        "stem": "Which?",
        "row-0-text": "SQS",
        "row-0-weight": "-50",
        "row-1-text": "SNS",
        "row-1-weight": "0",
    }
    response = author.post(reverse("quizzes:question_new", args=["demo"]), data)
    assert response.status_code == 400 and not Question.objects.exists()


def test_preview_renders_markdown_and_sanitizes(author):
    html = author.post(
        reverse("quizzes:preview") + "?field=stem",
        {"stem": "**bold** <script>alert(1)</script>\n\n```python\nx = 1\n```"},
    ).content.decode()
    assert "<strong>bold</strong>" in html and "<script" not in html and 'class="highlight"' in html


def test_quiz_create_and_reorder(author, course):
    author.post(reverse("quizzes:question_new", args=["demo"]), single_post(title="Q1"))
    author.post(reverse("quizzes:question_new", args=["demo"]), single_post(title="Q2"))
    response = author.post(
        reverse("quizzes:quiz_new", args=["demo"]),
        {
            "title": "Weekly",
            "slug": "weekly",
            "kind": "quiz",
            "attempts_allowed": 0,
            "pass_mark": 60,
            "draw_count": 0,
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    quiz = Quiz.objects.get(slug="weekly")
    q1, q2 = Question.objects.get(title="Q1"), Question.objects.get(title="Q2")
    reorder = reverse("quizzes:quiz_reorder", args=["demo", quiz.id])
    author.post(reorder, {"action": "add", "question": q1.id})
    author.post(reorder, {"action": "add", "question": q2.id})
    author.post(reorder, {"action": "up", "question": q2.id})
    assert list(quiz.items.order_by("order").values_list("question__title", flat=True)) == ["Q2", "Q1"]
    author.post(reorder, {"action": "remove", "question": q2.id})
    assert list(quiz.items.values_list("question__title", flat=True)) == ["Q1"]
    bad = author.post(
        reverse("quizzes:quiz_new", args=["demo"]),
        {
            "title": "Dup",
            "slug": "weekly",
            "kind": "check",
            "attempts_allowed": 0,
            "pass_mark": 160,
            "draw_count": 0,
        },
    )
    body = bad.content.decode()
    assert bad.status_code == 400
    assert "Another quiz of this course has this slug." in body and "percentage" in body
    assert "A knowledge check belongs to a lesson." in body


def upload_and_confirm(author, name: str, data: bytes):
    """Upload a bank (the preview answers 200 and saves nothing), then confirm it."""
    upload = SimpleUploadedFile(name, data)
    preview = author.post(reverse("quizzes:gift_import", args=["demo"]), {"file": upload})
    assert preview.status_code == 200
    token = preview.context["token"]
    return author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})


def test_gift_upload_and_download_round_trip(author, course):
    assert upload_and_confirm(author, "bank.gift", CHECK_GIFT.encode()).status_code == 302
    assert Question.objects.count() == 2
    exported = author.get(reverse("quizzes:gift_export", args=["demo"])).content.decode()
    specs_before = [from_dict(q.spec) for q in Question.objects.order_by("id")]
    Question.objects.all().delete()
    upload_and_confirm(author, "again.gift", exported.encode())
    assert [from_dict(q.spec) for q in Question.objects.order_by("id")] == specs_before


def test_malformed_gift_names_the_line_and_saves_nothing(author, course):
    text = "::Fine::Ok?{=yes ~no}\n\n::Broken::Which?{=a ~b\n"
    upload = SimpleUploadedFile("bad.gift", text.encode(), content_type="text/plain")
    response = author.post(reverse("quizzes:gift_import", args=["demo"]), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported from bad.gift" in body and "Line 3" in body
    assert not Question.objects.exists()


def test_oversized_and_binary_uploads_are_refused(author, course):
    big = SimpleUploadedFile("big.gift", b"x" * (1024 * 1024 + 1))
    response = author.post(reverse("quizzes:gift_import", args=["demo"]), {"file": big})
    assert (
        response.status_code == 400 and "the file is 1.0 MB; the limit is 1 MB" in response.content.decode()
    )
    binary = SimpleUploadedFile("bin.gift", b"\xff\xfe\x00bad")
    assert (
        "not UTF-8"
        in author.post(reverse("quizzes:gift_import", args=["demo"]), {"file": binary}).content.decode()
    )
    assert not Question.objects.exists()


def test_management_commands(tmp_path, course, check):
    out = StringIO()
    call_command("export_gift", "--quiz", "check-intro", stdout=out)
    assert "::Invocation of S3::" in out.getvalue()
    path = tmp_path / "bank.gift"
    path.write_text(out.getvalue())
    quiz = Quiz.objects.create(course=course, slug="copy", title="Copy")
    call_command("import_gift", str(path), "--course", "demo", "--quiz", "copy", stdout=StringIO())
    assert quiz.items.count() == 2
    bad = tmp_path / "bad.gift"
    bad.write_text("::X::Essay?{}\n\n::Y::Pick {=a =b ~c}\n")
    with pytest.raises(CommandError, match=r"bad.gift:3: more than one answer marked ="):
        call_command("import_gift", str(bad), "--course", "demo")
    essay = tmp_path / "essay.gift"
    essay.write_text("::X::Essay?{}\n")
    warnings = StringIO()
    with pytest.raises(
        CommandError, match=r"essay.gift: the file contains no questions that can be imported"
    ):
        call_command("import_gift", str(essay), "--course", "demo", stderr=warnings)
    mixed = tmp_path / "mixed.gift"
    mixed.write_text("::X::Essay?{}\n\n::Y::Fine.{T}\n")
    call_command("import_gift", str(mixed), "--course", "demo", stdout=StringIO(), stderr=warnings)
    assert (
        "mixed.gift:1: warning: 'X' is an essay ({} with no answers), which we do not have"
        in warnings.getvalue()
    )
    with pytest.raises(CommandError, match="exactly one"):
        call_command("export_gift")
