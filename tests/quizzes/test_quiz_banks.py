"""Question banks through the site and the command line: upload -> preview (nothing saved) -> confirm (all or
nothing), images stored and served safely, Moodle XML and QTI downloads read back to the same questions, the
import_moodle_xml / export_moodle_xml commands."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import INSTRUCTORS
from accounts.services import user_create
from quizzes.bank_formats import detect_format
from quizzes.gift import parse_gift, read_gift
from quizzes.models import Question, QuestionFile, Quiz
from quizzes.moodle_xml import read_moodle_xml
from quizzes.qti import read_qti
from quizzes.spec import from_dict

pytestmark = pytest.mark.django_db
BANKS = Path(__file__).parent / "banks"
EXPORT = (BANKS / "moodle-export.xml").read_bytes()


@pytest.fixture
def author(client, instructor, course):
    client.force_login(instructor)
    return client


def preview(author, name: str, data: bytes, **extra):
    return author.post(
        reverse("quizzes:bank_import", args=["demo"]), {"file": SimpleUploadedFile(name, data), **extra}
    )


def test_preview_shows_counts_stems_choices_and_every_warning_and_saves_nothing(author, course):
    response = preview(author, "bank.xml", EXPORT)
    body = response.content.decode()
    assert response.status_code == 200
    assert not Question.objects.exists() and not QuestionFile.objects.exists()
    assert "Moodle XML" in body and "3 questions" in body
    assert response.context["counts"] == [("Multiple response", 1), ("Numeric", 1), ("Single choice", 1)]
    assert "Which service has this icon?" in body and "<li><p>Lambda</p></li>" in body
    assert "Line 62: question &#x27;Explain cold starts&#x27; is essay (&#x27;essay&#x27;)" in body
    assert "8 warnings" in body


def test_confirm_imports_exactly_what_was_previewed_with_images_served_safely(author, course):
    quiz = Quiz.objects.create(course=course, slug="imported", title="Imported")
    token = preview(author, "bank.xml", EXPORT, quiz=str(quiz.id)).context["token"]
    response = author.post(
        reverse("quizzes:bank_confirm", args=["demo"]), {"token": token, "quiz": str(quiz.id)}
    )
    assert response.status_code == 302
    assert Question.objects.count() == 3 and quiz.items.count() == 3
    icon = Question.objects.get(title="Lambda icon")
    stored = QuestionFile.objects.get()
    url = reverse("quizzes:question_file", args=[stored.sha256, stored.name])
    assert f'src="{url}"' in icon.spec["stem"]
    served = author.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert author.get(reverse("quizzes:question_file", args=[stored.sha256, "other.png"])).status_code == 404
    # A confirmed upload cannot be imported twice.
    again = author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token}, follow=True)
    assert "upload the file again" in again.content.decode()
    assert Question.objects.count() == 3


def test_images_need_a_login(client, author, course):
    token = preview(author, "bank.xml", EXPORT).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    stored = QuestionFile.objects.get()
    client.logout()
    response = client.get(reverse("quizzes:question_file", args=[stored.sha256, stored.name]))
    assert response.status_code == 302


def test_a_token_belongs_to_its_instructor(author, course):
    token = preview(author, "bank.xml", EXPORT).context["token"]
    author.force_login(user_create(username="other", password="other-pass-123", role=INSTRUCTORS))
    response = author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token}, follow=True)
    assert "belongs to someone else" in response.content.decode()
    assert not Question.objects.exists()


def test_a_bad_file_shows_every_error_with_its_line_and_saves_nothing(author, course):
    xml = b"<quiz>\n<question type='multichoice'><name><text>Q</text></name><questiontext><text>s</text></questiontext>\n<answer fraction='0'><text>a</text></answer><answer fraction='0'><text>b</text></answer></question></quiz>"
    response = preview(author, "bad.xml", xml)
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported from bad.xml (Moodle XML)." in body
    assert "Line 2: question &#x27;Q&#x27;: choices: exactly one choice must be correct" in body
    hostile = preview(author, "lol.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><quiz>&a;</quiz>')
    assert (
        hostile.status_code == 400 and "a DTD (&lt;!DOCTYPE&gt;) is not allowed" in hostile.content.decode()
    )
    assert not Question.objects.exists()


def test_a_file_without_importable_questions_is_refused_at_confirm(author, course):
    xml = b"<quiz><question type='essay'><name><text>E</text></name></question></quiz>"
    response = preview(author, "essay.xml", xml)
    assert "0 questions" in response.content.decode()
    confirmed = author.post(
        reverse("quizzes:bank_confirm", args=["demo"]), {"token": response.context["token"]}, follow=True
    )
    assert (
        "Nothing was imported: the file contains no questions that can be imported"
        in confirmed.content.decode()
    )


def test_format_detection():
    assert detect_format("a.xml", b"<?xml version='1.0'?><quiz/>") == "moodle_xml"
    assert detect_format("a.xml", b"\xef\xbb\xbf<questestinterop/>") == "qti"
    assert detect_format("a.zip", b"PK\x03\x04...") == "qti"
    assert detect_format("a.txt", b"::Q::x{T}") == "gift"
    assert detect_format("bank", b"::Q::x{T}") == "gift"
    assert detect_format("html-first.gift", b"<p>Is it?</p>{T}") == "gift"


def test_downloads_read_back_as_the_same_questions(author, course, check):
    token = preview(author, "bank.xml", EXPORT).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    before = [from_dict(q.spec) for q in Question.objects.order_by("id")]
    xml = author.get(reverse("quizzes:moodle_xml_export", args=["demo"]))
    assert xml["Content-Disposition"] == 'attachment; filename="demo-bank.xml"'
    assert b'<file name="lambda-icon.png" path="/" encoding="base64">' in xml.content
    qti = author.get(reverse("quizzes:qti_export", args=["demo"]) + f"?quiz={check.id}")
    assert qti["Content-Type"] == "application/zip"
    assert [q.title for q in read_qti(qti.content).questions] == ["Invocation of S3", "Max memory"]
    full_qti = author.get(reverse("quizzes:qti_export", args=["demo"])).content
    Question.objects.all().delete()
    token = preview(author, "again.xml", xml.content).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    assert [from_dict(q.spec) for q in Question.objects.order_by("id")] == before
    Question.objects.all().delete()
    token = preview(author, "again-qti.zip", full_qti).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    assert [from_dict(q.spec) for q in Question.objects.order_by("id")] == before


def test_students_cannot_import_or_export(client, student, course):
    client.force_login(student)
    for name in ("bank_import", "moodle_xml_export", "qti_export"):
        assert client.get(reverse(f"quizzes:{name}", args=["demo"])).status_code == 403
    assert client.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": "x"}).status_code == 403


def test_moodle_xml_commands(tmp_path, course, check):
    out = StringIO()
    call_command("export_moodle_xml", "--quiz", "check-intro", stdout=out)
    assert "<name>\n      <text>Invocation of S3</text>" in out.getvalue()
    path = tmp_path / "bank.xml"
    path.write_text(out.getvalue(), encoding="utf-8")
    quiz = Quiz.objects.create(course=course, slug="copy", title="Copy")
    done = StringIO()
    call_command("import_moodle_xml", str(path), "--course", "demo", "--quiz", "copy", stdout=done)
    assert "Imported 2 question(s) into demo and added to quiz copy." in done.getvalue()
    assert [from_dict(item.question.spec) for item in quiz.items.order_by("order")] == [
        from_dict(item.question.spec) for item in check.items.order_by("order")
    ]
    warnings = StringIO()
    call_command(
        "import_moodle_xml",
        str(BANKS / "moodle-export.xml"),
        "--course",
        "demo",
        stdout=StringIO(),
        stderr=warnings,
    )
    assert "moodle-export.xml:62: warning: question 'Explain cold starts' is essay" in warnings.getvalue()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<quiz>\n<question type='truefalse'><name><text>T</text></name></question></quiz>")
    with pytest.raises(
        CommandError, match=r"Nothing was imported.\n.*bad.xml:2: question 'T': a true/false question needs"
    ):
        call_command("import_moodle_xml", str(bad), "--course", "demo")
    with pytest.raises(CommandError, match="exactly one"):
        call_command("export_moodle_xml")
    with pytest.raises(CommandError, match="No question has the tag 'nope'"):
        call_command("export_moodle_xml", "--tag", "nope")


def test_preview_images_are_served_only_to_the_instructor_who_uploaded(author, client, course):
    response = preview(author, "bank.xml", EXPORT)
    (stored,) = response.context["bank"].files.values()
    url = reverse(
        "quizzes:bank_staged_file", args=["demo", response.context["token"], stored.sha256, stored.name]
    )
    assert url in response.content.decode()
    served = author.get(url)
    assert (
        served.status_code == 200 and served["Content-Type"] == "image/png" and served.content == stored.data
    )
    assert served["X-Content-Type-Options"] == "nosniff"
    author.force_login(user_create(username="other", password="other-pass-123", role=INSTRUCTORS))
    assert author.get(url).status_code == 404


def test_editing_an_imported_question_keeps_its_format_hints_and_penalty(author, course):
    token = preview(author, "bank.xml", EXPORT).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    icon = Question.objects.get(title="Lambda icon")
    page = author.get(reverse("quizzes:question_edit", args=["demo", icon.id])).content.decode()
    assert '<option value="html" selected>html</option>' in page
    assert "&lt;p&gt;Greek letter.&lt;/p&gt;\n---\nThink of functions." in page
    form = {
        "kind": "single",
        "title": icon.title,
        "stem": icon.spec["stem"],
        "stem_format": "html",
        "hints": "<p>Greek letter.</p>\n---\nThink of functions.",
        "penalty": "0.3333333",
        "tags": "lambda, icons",
        "category": "AWS/Lambda",
        "explanation": icon.spec["explanation"],
        "row-0-text": "Lambda",
        "row-0-weight": "100",
        "row-0-feedback": icon.spec["choices"][0]["feedback"],
        "row-1-text": "S3",
        "row-1-weight": "0",
    }
    assert author.post(reverse("quizzes:question_edit", args=["demo", icon.id]), form).status_code == 302
    icon.refresh_from_db()
    assert from_dict(icon.spec) == from_dict(Question.objects.get(pk=icon.pk).spec)
    assert (icon.spec["stem_format"], icon.spec["hints"], icon.spec["penalty"]) == (
        "html",
        ["<p>Greek letter.</p>", "Think of functions."],
        0.3333333,
    )
    bad = author.post(reverse("quizzes:question_edit", args=["demo", icon.id]), {**form, "penalty": "2"})
    assert bad.status_code == 400 and "must be a number from 0 to 1" in bad.content.decode()


def test_an_upload_without_a_file_or_over_the_limit_is_refused(author, course):
    empty = author.post(reverse("quizzes:bank_import", args=["demo"]), {})
    assert empty.status_code == 400 and "Choose a file to upload." in empty.content.decode()
    huge = preview(author, "huge.xml", b"<quiz>" + b" " * (21 * 1024 * 1024) + b"</quiz>")
    assert huge.status_code == 400 and "The file is 21.0 MB; the limit is 20 MB." in huge.content.decode()
    assert not Question.objects.exists()


def test_gift_download_names_the_questions_whose_images_it_cannot_carry(author, course):
    token = preview(author, "bank.xml", EXPORT).context["token"]
    author.post(reverse("quizzes:bank_confirm", args=["demo"]), {"token": token})
    text = author.get(reverse("quizzes:gift_export", args=["demo"])).content.decode()
    assert text.startswith(
        "// GIFT cannot carry images; these questions show some: Lambda icon. Export Moodle XML to keep them.\n\n"
    )
    assert len(parse_gift(text)) == 3


def test_moodle_id_numbers_and_marks_are_reported_when_left_out():
    xml = b"""<quiz><question type="truefalse"><name><text>Q</text></name><questiontext><text>s</text></questiontext>
<idnumber>Q-7</idnumber><defaultgrade>2.0000000</defaultgrade>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question></quiz>"""
    assert read_moodle_xml(xml).warnings == [
        (2, "question 'Q': its ID number 'Q-7' was left out"),
        (2, "question 'Q': its default mark 2.0000000 was left out: every question counts the same here"),
    ]
    found = read_gift("// [id:Q-7] [tag:x]\n::Q::s{T}")
    assert found.warnings == [(1, "its ID number [id:Q-7] was left out")]


def test_qti_commands(tmp_path, course, check):
    package = tmp_path / "check.zip"
    out = StringIO()
    call_command("export_qti", "--quiz", "check-intro", "--output", str(package), stdout=out)
    assert f"Wrote 2 question(s) to {package}." in out.getvalue()
    quiz = Quiz.objects.create(course=course, slug="from-canvas", title="From Canvas")
    call_command("import_qti", str(package), "--course", "demo", "--quiz", "from-canvas", stdout=StringIO())
    assert [from_dict(item.question.spec) for item in quiz.items.order_by("order")] == [
        from_dict(item.question.spec) for item in check.items.order_by("order")
    ]
    warnings = StringIO()
    canvas = BANKS / "canvas-quiz.xml"
    call_command("import_qti", str(canvas), "--course", "demo", stdout=StringIO(), stderr=warnings)
    assert "canvas-quiz.xml:181: warning: question 'Explain' is an essay" in warnings.getvalue()
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_qti", "--quiz", "check-intro", "--output", str(tmp_path / "missing" / "x.zip"))
    with pytest.raises(CommandError, match="No course 'nope'"):
        call_command("import_qti", str(package), "--course", "nope")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_qti", str(tmp_path / "absent.zip"), "--course", "demo")
    with pytest.raises(CommandError, match="No quiz 'absent' in course 'demo'"):
        call_command("import_qti", str(package), "--course", "demo", "--quiz", "absent")
