import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in that same
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


# Installed in every page before the page's own scripts: reports each Content-Security-Policy violation.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at "
    + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


class PolicyWatchedBrowser:
    """The Playwright browser, with every context watched for Content-Security-Policy trouble: violations
    (the `securitypolicyviolation` event and Chromium's "Refused to ..." console errors) and our pages
    served without the header. The fixture fails the test that met any of them."""

    def __init__(self, browser):
        self._browser = browser
        self.problems: list[str] = []
        self.contexts = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.expose_function("__cspViolation", lambda text: self.problems.append(f"violation: {text}"))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)
        context.on("response", self._response)
        self.contexts.append(context)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def _response(self, response) -> None:
        ours = response.request.resource_type == "document" and response.url.startswith("http://localhost")
        if ours and "content-security-policy" not in response.headers:
            self.problems.append(f"no Content-Security-Policy header on {response.url}")

    def drain(self) -> None:
        """Let events already sent by the pages reach the handlers above."""
        for context in self.contexts:
            for page in context.pages:
                if not page.is_closed():
                    page.wait_for_timeout(100)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        raw = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        watched = PolicyWatchedBrowser(raw)
        try:
            yield watched
            watched.drain()
        finally:
            raw.close()
        assert not watched.problems, "Content-Security-Policy problems:\n" + "\n".join(watched.problems)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
