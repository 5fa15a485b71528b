"""Which reader a question-bank file needs, and reading it into a ``Bank`` whatever its format:
Moodle GIFT (text), Moodle XML (``<quiz>``) or a QTI package from Canvas (``quizzes.qti``).
Every failure is a BankError with lines, so callers handle one error type."""

from __future__ import annotations

from .gift import GiftError, read_gift
from .interchange import Bank, BankError
from .moodle_xml import MAX_XML_BYTES, read_moodle_xml
from .qti import read_qti

MAX_GIFT_BYTES = 1024 * 1024
LABELS = {"gift": "Moodle GIFT", "moodle_xml": "Moodle XML", "qti": "QTI package (Canvas)"}
LIMITS = {"gift": MAX_GIFT_BYTES, "moodle_xml": MAX_XML_BYTES, "qti": MAX_XML_BYTES}


def detect_format(name: str, data: bytes) -> str:
    """``gift``, ``moodle_xml`` or ``qti``. A ``.gift`` or ``.txt`` name is GIFT (its text may well start
    with ``<p>``); otherwise a ZIP is a QTI package, XML holding ``<questestinterop>`` is QTI, other XML is
    Moodle XML, and anything else is read as GIFT."""
    if name.lower().endswith((".gift", ".txt")):
        return "gift"
    if data.startswith(b"PK\x03\x04"):
        return "qti"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "qti" if b"<questestinterop" in data[:65536] else "moodle_xml"
    return "gift"


def read_bank(data: bytes, file_format: str) -> Bank:
    """The questions of ``data`` in ``file_format``. Raises BankError (line 0: the file as a whole)."""
    limit = LIMITS[file_format]
    if len(data) > limit:
        raise BankError(
            0, f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {limit // 1024 // 1024} MB"
        )
    if file_format == "gift":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BankError(0, f"the file is not UTF-8 text (byte {exc.start})") from None
        try:
            found = read_gift(text)
        except GiftError as exc:
            raise BankError(exc.line, exc.message, errors=exc.errors) from None
        return Bank(questions=found.questions, warnings=found.warnings)
    if file_format == "qti":
        return read_qti(data)
    return read_moodle_xml(data)


__all__ = ["LABELS", "LIMITS", "detect_format", "read_bank"]
