"""Helpers shared by tests (importable, unlike conftest)."""

import textwrap
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent.parent / "courses" / "content"


def write_lesson(
    folder: Path,
    slug: str,
    *,
    title: str = "A lesson",
    module: str = "basics",
    order: int = 1,
    body: str = "Some text.\n\n## Part one\n\nMore text.",
    extra: str = "",
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
        ---
        """)
        + body
        + "\n",
        encoding="utf-8",
    )
    return path
