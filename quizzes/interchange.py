"""What every question-bank format reads into: questions, the warnings an instructor must see before
confirming (what could not come across, with its line), and the images the questions embed.

Images travel inside the text as ``@@FILE@@/<sha256>/<name>``; ``quizzes.services.bank_import`` stores
them and swaps the reference for the address they are served from. Only raster images whose bytes say
what they are (PNG, JPEG, GIF, WebP) are kept: an SVG can carry script, and anything else is reported.
Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .spec import QuestionSpec

FILE_REF = "@@FILE@@/"
FILE_REF_PATTERN = re.compile(r"@@FILE@@/([0-9a-f]{64})/([^\s\"'<>)]+)")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class BankError(ValueError):
    """A question bank that cannot be imported. ``errors`` lists every problem as ``(line, message)``
    pairs in line order (line 0: the file as a whole); ``line``/``message`` are the first."""

    def __init__(self, line: int, message: str, errors: list[tuple[int, str]] | None = None):
        self.errors = sorted(errors or [(line, message)], key=lambda error: error[0])
        self.line, self.message = self.errors[0]
        more = f" (and {len(self.errors) - 1} more problems)" if len(self.errors) > 1 else ""
        where = f"line {self.line}: " if self.line else ""
        super().__init__(f"{where}{self.message}{more}")


@dataclass(frozen=True)
class BankFile:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def ref(self) -> str:
        return f"{FILE_REF}{self.sha256}/{self.name}"


@dataclass
class Bank:
    """Questions read from a file, with the line each starts on, warnings and embedded images."""

    questions: list[QuestionSpec] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    files: dict[str, BankFile] = field(default_factory=dict)  # by sha256

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for question in self.questions:
            found[question.kind] = found.get(question.kind, 0) + 1
        return found


def image_type(data: bytes) -> str | None:
    """The content type of a PNG, JPEG, GIF or WebP image, from its first bytes; None for anything else."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def safe_file_name(name: str) -> str:
    """A file name fit for an address and a download: the last path part, letters, digits, ``.-_``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-") or "file"
    return cleaned[:100]


__all__ = ["FILE_REF", "FILE_REF_PATTERN", "Bank", "BankError", "BankFile", "image_type", "safe_file_name"]
