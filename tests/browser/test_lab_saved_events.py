"""Saved test events in a real browser, at desktop and phone widths: a student writes an event, saves it
under a name, picks a sample, picks the saved event back (box and name box filled), sees a bad event
refused with the parser's message, deletes it (after confirming), and after a reload the menu names the
event the box holds. Screenshots go to test-artifacts/."""

import pytest

from labs.models import PlaygroundRun, SavedEvent
from tests.browser.htmx import wait_until_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height", "label"), [(1400, 1000, "desk"), (390, 844, "phone")])
def test_a_student_saves_picks_and_deletes_test_events(
    live_server, browser, student, squared, artifacts, width, height, label
):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "stu")
    page.fill("#id_password", "stu-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/labs/squared-number/")
    page.wait_for_selector(".CodeMirror")

    page.fill("#playground-event-text", '{"number": 99}')
    page.fill("#saved-event-name", "big-number")
    page.keyboard.press("Enter")  # Enter in the name box saves (it must not run the checks)
    page.wait_for_selector("#playground-picker >> text=Saved as big-number.")
    wait_until_settled(page)
    assert page.input_value("#playground-sample") == "saved:big-number"
    assert SavedEvent.objects.get(user=student).event == {"number": 99}
    assert page.locator("#submission.empty").count() == 1  # no checks were run

    page.select_option("#playground-sample", "s3-put")
    page.wait_for_function("() => document.querySelector('#playground-event-text').value.includes('aws:s3')")
    wait_until_settled(page)
    page.select_option("#playground-sample", "saved:big-number")
    page.wait_for_function("() => document.querySelector('#playground-event-text').value.includes('99')")
    wait_until_settled(page)
    assert page.input_value("#saved-event-name") == "big-number"

    page.fill("#playground-event-text", '{"number": }')
    page.click("#saved-event-save")
    page.wait_for_selector("#playground-picker [role=alert]")
    wait_until_settled(page)
    assert "not valid JSON: Expecting value at line 1, column 12" in page.inner_text("#playground-picker")
    assert SavedEvent.objects.get(user=student).event == {"number": 99}  # unchanged
    page.locator("#playground-picker").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"lab-saved-events-refused-{label}.png"), full_page=False)

    page.on("dialog", lambda dialog: dialog.accept())  # "Delete the saved event chosen in the menu?"
    page.click("button:has-text('Delete saved event')")
    page.wait_for_selector("#playground-picker >> text=Deleted big-number.")
    wait_until_settled(page)
    assert not SavedEvent.objects.exists()
    assert page.input_value("#playground-sample") == ""
    assert '"number": 5' in page.input_value("#playground-event-text")  # box and menu agree

    # After a test run, a reload shows the last test's event, and the menu says so.
    PlaygroundRun.objects.create(
        user=student, lab=squared, handler="app.lambda_handler", files={"app.py": ""}, event={"number": 7}
    )
    page.select_option("#playground-sample", "s3-put")
    page.wait_for_function("() => document.querySelector('#playground-event-text').value.includes('aws:s3')")
    wait_until_settled(page)
    page.reload()
    page.wait_for_selector(".CodeMirror")
    assert page.input_value("#playground-sample") == "last"
    assert '"number": 7' in page.input_value("#playground-event-text")
    page.locator("#playground-picker").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"lab-saved-events-{label}.png"), full_page=False)


@pytest.mark.parametrize(("width", "height", "label"), [(1400, 1000, "desk"), (390, 844, "phone")])
def test_reset_to_starter_asks_then_brings_the_starter_back(
    live_server, browser, student, squared, artifacts, width, height, label
):
    from labs.models import Draft
    from tests.browser.test_lab_flow import live_server_login

    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.context.add_cookies(live_server_login(live_server, student))
    page.goto(f"{live_server.url}/labs/squared-number/")
    page.wait_for_selector(".CodeMirror")
    starter = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    page.evaluate("document.querySelector('.CodeMirror').CodeMirror.setValue('# my own attempt\\n')")
    page.wait_for_selector("#draft-status >> text=Draft saved", timeout=10000)
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel": nothing changes
    page.click("#draft-reset")
    assert Draft.objects.get(user=student).files["app.py"] == "# my own attempt\n"
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.locator("#draft-reset").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"lab-reset-{label}.png"), full_page=False)
    with page.expect_navigation():  # the server tells htmx to reload the page
        page.click("#draft-reset")
    page.wait_for_selector(".CodeMirror")
    assert "starter files" in messages[0]
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()") == starter
    assert not Draft.objects.exists()
