"""Images in question texts: between the address they are served from (``/quizzes/files/<sha256>/<name>``,
in stored questions) and the ``@@FILE@@/<sha256>/<name>`` references that the bank formats read and write
(``quizzes.interchange``)."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from .interchange import FILE_REF, FILE_REF_PATTERN, BankFile
from .models import QuestionFile


def _map_strings(data: Any, change) -> Any:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, list):
        return [_map_strings(item, change) for item in data]
    if isinstance(data, dict):
        return {key: _map_strings(value, change) for key, value in data.items()}
    return data


def url_prefix() -> str:
    """The start of every stored image's address (``/quizzes/files/``)."""
    return reverse("quizzes:question_file", args=["0" * 64, "x"]).removesuffix(f"{'0' * 64}/x")


def map_refs(data: dict, prefix: str) -> dict:
    """A spec dict whose file references ``@@FILE@@/<sha256>/<name>`` start with ``prefix`` instead."""
    return _map_strings(data, lambda text: text.replace(FILE_REF, prefix))


def with_file_urls(data: dict) -> dict:
    """A spec dict whose file references point at the address the images are served from."""
    return map_refs(data, url_prefix())


def with_file_refs(data: dict) -> tuple[dict, dict[str, BankFile]]:
    """A stored spec dict with its image addresses turned back into references, and those images."""
    pattern = re.compile(re.escape(url_prefix()) + r"([0-9a-f]{64})/")
    data = _map_strings(data, lambda text: pattern.sub(lambda m: f"{FILE_REF}{m.group(1)}/", text))
    wanted: set[str] = set()
    _map_strings(data, lambda text: wanted.update(m.group(1) for m in FILE_REF_PATTERN.finditer(text)))
    files = {
        stored.sha256: BankFile(name=stored.name, content_type=stored.content_type, data=bytes(stored.data))
        for stored in QuestionFile.objects.filter(sha256__in=wanted)
    }
    return data, files
