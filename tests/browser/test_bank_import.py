"""An instructor brings a Moodle XML bank into a course: upload, the preview (counts by type, every question
with its image, every warning), confirm; the bank page then lists the questions and the image is served."""

from pathlib import Path

import pytest

from courses.importing import import_course_dir
from quizzes.models import Question, QuestionFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EXPORT = Path(__file__).resolve().parents[1] / "quizzes" / "banks" / "moodle-export.xml"


def test_upload_preview_confirm(live_server, browser, instructor, content_dir, artifacts):
    import_course_dir(content_dir)
    base = live_server.url
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "teach")
    page.fill("#id_password", "teach-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/quizzes/author/demo/")
    page.click("text=Import questions")
    page.set_input_files("#file", str(EXPORT))
    page.click("main button:has-text('Preview')")
    page.wait_for_selector("#question-count")
    assert page.inner_text("#question-count") == "3 questions"
    assert "Single choice\t1" in page.inner_text("#counts")
    warnings = page.inner_text("#warnings")
    assert (
        "Line 62: question 'Explain cold starts' is essay ('essay'), which we do not have: not imported"
        in warnings
    )
    assert "Line 38: question 'Lambda icon': answer 1: <strong> dropped" in warnings
    assert page.locator(".preview-question").count() == 3
    assert "Which service has this icon?" in page.inner_text(".preview-question >> nth=0")
    # The image shows in the preview, served from the upload that waits for confirmation.
    page.wait_for_function("() => document.querySelector('.question-stem img').naturalWidth === 1")
    assert not Question.objects.exists()  # nothing saved before the instructor confirms
    page.screenshot(path=str(artifacts / "bank-import-preview.png"), full_page=True)

    page.click("main button:has-text('Import 3 questions')")
    page.wait_for_url(f"{base}/quizzes/author/demo/")
    assert "Imported 3 question(s) from moodle-export.xml." in page.inner_text("body")
    assert {q.title for q in Question.objects.all()} == {"Lambda icon", "All or nothing", "Memory"}

    image = QuestionFile.objects.get()
    page.goto(f"{base}/quizzes/author/demo/questions/{Question.objects.get(title='Lambda icon').id}/")
    loaded = page.evaluate(
        """async (url) => { const r = await fetch(url); return [r.status, r.headers.get('content-type')]; }""",
        image.get_absolute_url(),
    )
    assert loaded == [200, "image/png"]
