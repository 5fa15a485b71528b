"""Deployment packages: the .zip that CreateFunction's ``Code.ZipFile`` takes, from files or a folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

__all__ = ["zip_directory", "zip_files"]


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """A .zip holding ``files`` (name -> text or bytes), names in the order given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_directory(directory: Path) -> bytes:
    """A .zip of every file under ``directory`` (``__pycache__`` left out), paths relative to it."""
    files = {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    return zip_files(files)
