"""Waiting for htmx in browser tests.

htmx puts swapped-in content into the page at once but wires its attributes (hx-get, hx-trigger, ...)
only when the swap settles, 20 ms later. A test that waits for the new text and then acts at once can
act on an element htmx has not wired yet, and the action does nothing; a person cannot click that fast,
a test on a busy machine can."""

# htmx marks new content with htmx-added and the target with htmx-settling until its settle tasks
# (which wire the new elements) have run; htmx-swapping and htmx-request cover the swap and request.
_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def wait_until_settled(page) -> None:
    """Return once no htmx request, swap or settle is in progress on the page."""
    page.wait_for_function(f"() => !document.querySelector({_BUSY!r})")
