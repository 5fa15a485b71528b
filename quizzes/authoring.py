"""The question editor's form: flat POST fields to a ``spec`` dict and back. Rows hold choices (single,
multiple), accepted answers (short), numeric answers, or matching pairs, depending on the kind."""

from __future__ import annotations

import re

from django.http import QueryDict

from .spec import choice_id

ROWS = 8
ROW_FIELDS = (
    "text",
    "weight",
    "feedback",
    "pinned",
    "value",
    "tolerance",
    "minimum",
    "maximum",
    "left",
    "right",
)


def _tags(raw: str) -> list[str]:
    return [tag.strip() for tag in raw.replace("\n", ",").split(",") if tag.strip()]


HINT_SEPARATOR = "\n---\n"


def hints_from_text(raw: str) -> list[str]:
    """Hints typed in one box, separated by a line holding only ``---``."""
    text = raw.replace("\r\n", "\n").strip()
    return [hint.strip() for hint in re.split(r"\n---[ \t]*\n", f"\n{text}\n") if hint.strip()]


def hints_to_text(hints) -> str:
    return HINT_SEPARATOR.join(hints or [])


def _number(raw: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw  # kept as text so validation names the field
    return int(value) if value.is_integer() else value


def spec_data_from_post(post: QueryDict) -> dict:
    kind = post.get("kind", "single")
    data = {
        "kind": kind,
        "title": post.get("title", "").strip(),
        "stem": post.get("stem", "").strip(),
        "stem_format": post.get("stem_format", "markdown"),
        "explanation": post.get("explanation", "").strip(),
        "category": post.get("category", "").strip(),
        "tags": _tags(post.get("tags", "")),
        "hints": hints_from_text(post.get("hints", "")),
        "penalty": _number(post.get("penalty", "")) or 0,
    }
    rows = [{name: post.get(f"row-{index}-{name}", "") for name in ROW_FIELDS} for index in range(ROWS)]
    if kind in {"single", "multiple"}:
        data["choices"] = [
            {
                "id": choice_id(i),
                "text": row["text"].strip(),
                "weight": _number(row["weight"]) or 0,
                "feedback": row["feedback"].strip(),
                "pinned": row["pinned"] == "on",  # keeps its place when choices are shuffled
            }
            for i, row in enumerate(row for row in rows if row["text"].strip())
        ]
        if kind == "multiple":
            data["scoring"] = post.get("scoring", "partial")
    elif kind == "truefalse":
        data.update(
            answer=post.get("answer", "true") == "true",
            right_feedback=post.get("right_feedback", "").strip(),
            wrong_feedback=post.get("wrong_feedback", "").strip(),
        )
    elif kind == "short":
        data["answers"] = [
            {
                "text": row["text"].strip(),
                "weight": _number(row["weight"]) or 100,
                "feedback": row["feedback"].strip(),
            }
            for row in rows
            if row["text"].strip()
        ]
        data["case_sensitive"] = post.get("case_sensitive") == "on"
    elif kind == "numeric":
        answers = []
        for row in rows:
            if not any(row[name].strip() for name in ("value", "minimum", "maximum")):
                continue
            answer = {"weight": _number(row["weight"]) or 100, "feedback": row["feedback"].strip()}
            if row["minimum"].strip() or row["maximum"].strip():
                answer.update(minimum=_number(row["minimum"]), maximum=_number(row["maximum"]))
            else:
                answer.update(value=_number(row["value"]), tolerance=_number(row["tolerance"]) or 0)
            answers.append(answer)
        data["answers"] = answers
        data["wrong_feedback"] = post.get("wrong_feedback", "").strip()
    elif kind == "matching":
        data["pairs"] = [
            {"left": row["left"].strip(), "right": row["right"].strip()}
            for row in rows
            if row["left"].strip() or row["right"].strip()
        ]
        data["distractors"] = [
            item.strip() for item in post.get("distractors", "").splitlines() if item.strip()
        ]
    return data


def rows_from_spec(data: dict) -> list[dict]:
    """Editor rows for an existing question (always ROWS of them, blanks at the end)."""
    kind = data.get("kind")
    items: list[dict] = []
    if kind in {"single", "multiple"}:
        items = [
            {
                "text": c["text"],
                "weight": c.get("weight", 0),
                "feedback": c.get("feedback", ""),
                "pinned": c.get("pinned", False),
            }
            for c in data.get("choices", [])
        ]
    elif kind in {"short", "numeric"}:
        items = [dict(answer) for answer in data.get("answers", [])]
    elif kind == "matching":
        items = [dict(pair) for pair in data.get("pairs", [])]
    items = [{key: ("" if value is None else value) for key, value in item.items()} for item in items]
    return items + [{} for _ in range(max(0, ROWS - len(items)))]


def errors_by_field(errors: list[tuple[str, str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Split (field, message) pairs into row errors ("row-<n>") or field errors, and the rest."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for field, message in errors:
        head = field.split(".")[0]
        if "[" in head:
            name, index = head.rstrip("]").split("[")
            key = f"row-{index}" if name in {"choices", "answers", "pairs"} else name
            by_field.setdefault(key, []).append(
                f"{field.split('.')[-1] if '.' in field else name}: {message}"
            )
        elif head:
            by_field.setdefault(head, []).append(message)
        else:
            general.append(message)
    return by_field, general
