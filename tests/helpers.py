"""Helpers shared by tests (importable, unlike conftest)."""

import textwrap
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent.parent / "courses" / "content"
# Every lesson needs the AWS pages it relies on and the month they were checked.
SOURCES_YAML = (
    "sources:\n"
    "  - title: Lambda quotas\n"
    "    url: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html\n"
    "verified: 2026-12\n"
)


def write_lesson(
    folder: Path,
    slug: str,
    *,
    title: str = "A lesson",
    module: str = "basics",
    order: int = 1,
    body: str = "Some text.\n\n## Part one\n\nMore text.",
    extra: str = "",
    sources: str = SOURCES_YAML,
) -> Path:
    path = folder / f"{slug}.md"
    path.write_text(
        textwrap.dedent(f"""\
        ---
        title: {title}
        module: {module}
        order: {order}
        minutes: 5
        objectives:
          - Learn one thing
        {extra}
        """)
        + sources
        + "---\n"
        + body
        + "\n",
        encoding="utf-8",
    )
    return path


def csp_directives(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: 'directive sources'} (requests or Django responses)."""
    header = response.headers.get("Content-Security-Policy", "")
    parts = [part.strip() for part in header.split(";") if part.strip()]
    return {part.split()[0]: part for part in parts}


def frame_ancestors(response) -> str | None:
    """The policy's frame-ancestors directive; the rest of the site-wide policy must be there too."""
    directives = csp_directives(response)
    assert directives.get("default-src") == "default-src 'self'", directives
    return directives.get("frame-ancestors")
