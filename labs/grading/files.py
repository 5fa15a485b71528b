"""The one rule for submitted files, shared by the web process and the grader.

The web process checks a draft, a submission or a test run against the ``Lab`` row's ``editable_files``
(it never loads a lab folder or imports a grader to do so); grading checks the same rule again against
the lab's folder, in case the lab changed since the files were saved. Pure Python: no Django, no runtime.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_FILE_BYTES", "validate_files"]

MAX_FILE_BYTES = 256 * 1024


def validate_files(editable: Sequence[str], files: object) -> None:
    """``files`` holds exactly the ``editable`` file names, each text of at most 256 KB without NUL.

    Raises ``ValueError`` naming the file."""
    if not isinstance(files, dict):
        raise ValueError("files must map each file name to its text")
    for name in files:
        if name not in editable:
            raise ValueError(f"{name}: this lab has no editable file of that name ({', '.join(editable)})")
    for name in editable:
        if not isinstance(files.get(name), str):
            raise ValueError(f"{name}: missing from the submission")
        if len(files[name].encode("utf-8")) > MAX_FILE_BYTES:
            raise ValueError(f"{name}: larger than {MAX_FILE_BYTES // 1024} KB")
        if "\x00" in files[name]:
            # PostgreSQL cannot store U+0000 in text or jsonb: refused here, never a failed save (a 500).
            raise ValueError(f"{name}: contains a NUL character (\\x00); remove it and save again")
