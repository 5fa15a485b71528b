"""The course's numbers in one table: ``courses/content/<course>/facts.yaml``, and ``{{ fact:key }}`` tags.

Pure Python (no Django), so lab graders and the lab catalog can read the same numbers the lessons state::

    from courses.facts import fact, fact_text
    fact("sqs.lambda_max_receive_count_min")   # -> 5
    fact_text("lambda.timeout_max")            # -> "15 minutes"

A tag in Markdown or GIFT is replaced by its text when content is imported::

    {{ fact:lambda.timeout_max }}        15 minutes      (the fact's ``text``, else "<value> <unit>")
    {{ fact:lambda.timeout_max|value }}  900             (the value, with thousands separators)
    {{ fact:lambda.memory_max|raw }}     10240           (the bare number, for GIFT numeric answers)
    {{ fact:lambda.memory_max|unit }}    MB

``FactError`` names the file and line of a bad tag, or the file and key of a bad entry in facts.yaml.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = [
    "FACTS_FILE",
    "FORMS",
    "Fact",
    "FactError",
    "content_dir",
    "fact",
    "fact_text",
    "load_facts",
    "course_facts",
    "resolve_tags",
]

FACTS_FILE = "facts.yaml"
FORMS = ("text", "value", "raw", "unit")
FACT_FIELDS = {"value", "unit", "text", "source", "changed", "pattern"}
_KEY = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_CHANGED = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (19|20)\d\d$")
# Anything that opens like a tag; checked strictly below so a typo is an error, never left in the page.
TAG_OPEN = re.compile(r"\{\{\s*fact\s*:")
TAG = re.compile(r"\{\{\s*fact:(?P<key>[^\s|}]+)(?:\|(?P<form>[^\s}]+))?\s*\}\}")


class FactError(ValueError):
    """Bad facts or a bad tag: ``path`` is the file, ``line`` the line (0 when unknown), ``problem`` what."""

    def __init__(self, path: Path | str, problem: str, line: int = 0) -> None:
        self.path, self.problem, self.line = Path(path), problem, line
        where = f"line {line}: " if line else ""
        super().__init__(f"{self.path}: {where}{problem}")


@dataclass(frozen=True)
class Fact:
    key: str
    value: int | float
    unit: str
    source: str
    text: str = ""
    changed: str = ""
    pattern: str = ""

    def render(self, form: str = "text") -> str:
        if form == "raw":
            return str(self.value)
        if form == "value":
            return f"{self.value:,}"
        if form == "unit":
            return self.unit
        return self.text or f"{self.value:,} {self.unit}"


def content_dir() -> Path:
    """Where course folders live: ``$COURSE_CONTENT_DIR`` (as the Django settings read it), else the repo's."""
    configured = os.environ.get("COURSE_CONTENT_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parent / "content"


def _fact(path: Path, key: str, entry: object) -> Fact:
    if not _KEY.match(key):
        raise FactError(path, f"key {key!r}: not <service>.<quantity> in lowercase snake_case")
    if not isinstance(entry, dict):
        raise FactError(path, f"key {key!r}: must be a mapping with value, unit and source")
    unknown = set(entry) - FACT_FIELDS
    if unknown:
        raise FactError(path, f"key {key!r}: unknown field(s) {', '.join(sorted(unknown))}")
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FactError(path, f"key {key!r}: 'value' must be a number, got {value!r}")
    for name in ("unit", "source"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise FactError(path, f"key {key!r}: missing '{name}'")
    if not entry["source"].startswith("https://"):
        raise FactError(path, f"key {key!r}: 'source' must be an https:// URL")
    changed = str(entry.get("changed", ""))
    if changed and not _CHANGED.match(changed):
        raise FactError(path, f"key {key!r}: 'changed' must read like 'Nov 2025', got {changed!r}")
    pattern = str(entry.get("pattern", ""))
    if pattern:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise FactError(path, f"key {key!r}: 'pattern' is not a regex ({exc})") from None
        if compiled.groups != 1:
            raise FactError(path, f"key {key!r}: 'pattern' needs exactly one group (the number)")
    return Fact(
        key=key,
        value=value,
        unit=entry["unit"].strip(),
        source=entry["source"].strip(),
        text=str(entry.get("text", "")).strip(),
        changed=changed,
        pattern=pattern,
    )


def load_facts(path: Path) -> dict[str, Fact]:
    """Read and validate one facts.yaml. A missing file is an empty table. Raises ``FactError``."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise FactError(path, f"invalid YAML: {getattr(exc, 'problem', exc)}", line) from exc
    if not isinstance(data, dict):
        raise FactError(path, "must be a mapping of service: {quantity: fact}")
    facts: dict[str, Fact] = {}
    for service, group in data.items():
        if service == "verified":
            continue
        if not isinstance(group, dict):
            raise FactError(path, f"{service!r}: must be a mapping of quantity: fact")
        for quantity, entry in group.items():
            key = f"{service}.{quantity}"
            facts[key] = _fact(path, key, entry)
    return facts


@functools.lru_cache(maxsize=16)
def _cached(path: Path, mtime_ns: int) -> dict[str, Fact]:
    return load_facts(path)


def course_facts(course_dir: Path) -> dict[str, Fact]:
    """The facts of the course in ``course_dir`` (cached until the file changes)."""
    path = course_dir / FACTS_FILE
    return _cached(path, path.stat().st_mtime_ns if path.is_file() else 0)


def _lookup(key: str, course: str) -> Fact:
    facts = course_facts(content_dir() / course)
    if key not in facts:
        raise KeyError(f"no fact {key!r} in {content_dir() / course / FACTS_FILE}")
    return facts[key]


def fact(key: str, course: str = "serverless") -> int | float:
    """The number behind ``key``, in its unit. Raises ``KeyError`` for an unknown key."""
    return _lookup(key, course).value


def fact_text(key: str, course: str = "serverless") -> str:
    """How ``key`` reads in a sentence (what ``{{ fact:key }}`` renders)."""
    return _lookup(key, course).render()


def resolve_tags(text: str, facts: dict[str, Fact], path: Path | str, first_line: int = 1) -> str:
    """Replace every ``{{ fact:key[|form] }}`` in ``text``. ``first_line`` is the file line where ``text``
    starts, so errors point at the right line. Raises ``FactError`` for an unknown key or form, or a tag
    that does not close."""

    def line_of(offset: int) -> int:
        return first_line + text.count("\n", 0, offset)

    for opening in TAG_OPEN.finditer(text):
        tag = TAG.match(text, opening.start())
        if tag is None:
            raise FactError(
                path, "malformed fact tag (write {{ fact:service.quantity }})", line_of(opening.start())
            )
        if tag.group("key") not in facts:
            raise FactError(path, f"unknown fact {tag.group('key')!r}", line_of(tag.start()))
        form = tag.group("form") or "text"
        if form not in FORMS:
            raise FactError(
                path, f"unknown form {form!r} of fact tag (one of {', '.join(FORMS)})", line_of(tag.start())
            )
    return TAG.sub(lambda m: facts[m.group("key")].render(m.group("form") or "text"), text)
