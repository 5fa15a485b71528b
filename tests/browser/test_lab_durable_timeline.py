"""A graded submission whose trace holds Lambda durable executions, read in a real browser at desktop and
phone widths (axe-core finds nothing serious): each execution is a list of invocations (first run, replays) with what each checkpointed, the
step whose code ran again after an interruption is marked, and nothing overflows the phone's width.
Screenshots go to test-artifacts/."""

import pytest

from tests.browser.htmx import wait_until_settled
from tests.browser.test_accessibility import blocking_violations
from tests.browser.test_lab_flow import live_server_login
from tests.labs.durable_runs import graded_with_durable_trace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height", "label"), [(1400, 1000, "desk"), (390, 844, "phone")])
def test_a_student_reads_a_durable_execution(
    live_server, browser, student, squared, artifacts, width, height, label
):
    submission = graded_with_durable_trace(student, squared)
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.context.add_cookies(live_server_login(live_server, student))
    page.goto(f"{live_server.url}{submission.get_absolute_url()}")
    wait_until_settled(page)

    summaries = page.locator("details.durable-execution > summary").all_inner_texts()
    assert [text.split(":")[0] for text in summaries] == [
        "Durable execution order-1 of orders",
        "Durable execution order-2 of orders",
    ]
    first = page.locator("ol.durable-timeline[aria-label='Invocations of durable execution order-1']")
    assert first.is_visible()  # the first execution opens; the others are folded
    assert not page.locator("ol.durable-timeline[aria-label$='order-2']").is_visible()
    headings = first.locator("h4").all_inner_texts()
    assert headings[0].startswith("+0 s") and "Invocation 1" in headings[0] and "first run" in headings[0]
    assert "Invocation 2" in headings[1] and "replay" in headings[1]
    assert any(text.startswith("+1 day") and "Invocation 3" in text for text in headings)
    reran = first.locator("li.durable-operation.lost")
    assert reran.count() == 1 and reran.inner_text().startswith("ran again")
    assert "its code ran again, because invocation 1 ran it" in reran.inner_text()
    assert (
        first.get_by_text("Replay: Lambda ran the handler again from the top.").count() == len(headings) - 1
    )

    # the phone shows it without sideways scrolling
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.locator("details.durable-execution > summary").nth(1).click()
    assert page.locator("ol.durable-timeline[aria-label$='order-2']").is_visible()
    found = blocking_violations(page)  # axe-core: no serious or critical violation
    assert found == [], "\n".join(found)
    first.scroll_into_view_if_needed()
    page.locator("details.durable-execution").first.screenshot(
        path=str(artifacts / f"lab-result-durable-{label}.png")
    )
