"""An instructor writes a question in Chromium at desktop and phone widths: labels sit above full-width
fields, the preview shows the whole question as students see it (and can be tried without being reset),
and a bad row's error appears right under that row (issue 18)."""

import pytest

from courses.importing import import_course_dir
from quizzes.models import Question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("name", "viewport"), [("desk", (1280, 900)), ("phone", (390, 844))])
def test_question_editor_preview_and_errors(
    live_server, browser, instructor, content_dir, artifacts, name, viewport
):
    import_course_dir(content_dir)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/quizzes/author/demo/questions/new/")
    page.fill("#id_username", "teach")
    page.fill("#id_password", "teach-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/questions/new/")

    title = page.locator("#title").bounding_box()
    label = page.locator("label[for=title]").bounding_box()
    assert label["y"] + label["height"] <= title["y"] + 1  # the label above its field
    form_width = page.locator("#question-form .author-grid > div").first.bounding_box()["width"]
    assert title["width"] >= form_width - 2  # the field as wide as its column

    page.fill("#title", "Cold starts")
    page.fill("#stem", "What is a **cold start**?")
    page.fill("input[name=row-0-text]", "A new execution environment")
    page.fill("input[name=row-0-weight]", "100")
    page.fill("input[name=row-1-text]", "A warm environment")
    page.fill("input[name=row-1-weight]", "nope")
    page.fill("input[name=row-2-text]", "None of the above")
    page.check("input[name=row-2-pinned]")
    preview = page.locator("#question-preview")
    page.wait_for_function(
        "() => document.querySelectorAll('#question-preview input[type=radio]').length === 3"
    )
    assert preview.locator("strong", has_text="cold start").count() == 1
    # Pinned (the box was ticked last): it stays last whatever the shuffled order.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#question-preview label.choice span')].pop()?.innerText === 'None of the above'"
    )
    preview.locator("label.choice", has_text="A warm environment").click()
    page.wait_for_timeout(700)  # longer than the preview's delay: trying it must not re-render it
    assert preview.locator("input[type=radio]:checked").count() == 1
    page.screenshot(path=str(artifacts / f"question-editor-preview-{name}.png"), full_page=True)

    page.click("text=Save question")
    page.wait_for_load_state()
    error = page.locator("#row-1-error")
    assert "weight: must be a number" in error.inner_text()
    row = page.locator("input[name=row-1-text]").bounding_box()
    next_row = page.locator("input[name=row-2-text]").bounding_box()
    assert row["y"] < error.bounding_box()["y"] < next_row["y"]
    assert page.locator("input[name=row-2-pinned]").is_checked()
    page.locator("#row-1-error").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"question-editor-error-{name}.png"), full_page=True)

    page.fill("input[name=row-1-weight]", "0")
    page.click("text=Save question")
    page.wait_for_url("**/quizzes/author/demo/")
    saved = Question.objects.get(title="Cold starts")
    assert [c.get("pinned", False) for c in saved.spec["choices"]] == [False, False, True]
    assert errors == []
