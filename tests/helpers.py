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
