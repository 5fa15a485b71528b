"""Where each value of a JSON text sits: JSON pointers mapped to line numbers, for errors that say where.

Python's json module parses without positions; ``line_numbers`` walks a text already known to be valid
JSON once and records the line each value starts on, so a problem found on the parsed data (a pointer such
as ``/States/A/Next``) can name its line in the file the student wrote.
"""

from __future__ import annotations

import re
from json.decoder import scanstring

__all__ = ["escape_pointer", "line_numbers", "nearest_line"]

_LITERAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")


def line_numbers(text: str) -> dict[str, int]:
    """Map each JSON pointer of a (valid) JSON text to the line its value starts on (1-based)."""
    lines: dict[str, int] = {}
    newlines = [index for index, char in enumerate(text) if char == "\n"]

    def line_of(position: int) -> int:
        low, high = 0, len(newlines)
        while low < high:
            middle = (low + high) // 2
            if newlines[middle] < position:
                low = middle + 1
            else:
                high = middle
        return low + 1

    def skip(position: int) -> int:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        return position

    def value(position: int, pointer: str) -> int:
        position = skip(position)
        lines[pointer] = line_of(position)
        char = text[position]
        if char == "{":
            position = skip(position + 1)
            if text[position] == "}":
                return position + 1
            while True:
                key, position = scanstring(text, skip(position) + 1)
                position = skip(position) + 1  # the colon
                position = skip(value(position, f"{pointer}/{escape_pointer(key)}"))
                if text[position] == "}":
                    return position + 1
                position += 1
        if char == "[":
            position, index = skip(position + 1), 0
            if text[position] == "]":
                return position + 1
            while True:
                position = skip(value(position, f"{pointer}/{index}"))
                index += 1
                if text[position] == "]":
                    return position + 1
                position += 1
        if char == '"':
            return scanstring(text, position + 1)[1]
        return position + _LITERAL.match(text, position).end() - position

    value(0, "")
    return lines


def nearest_line(lines: dict[str, int], pointer: str) -> int | None:
    """The line of ``pointer``, or of its nearest ancestor that has one."""
    while pointer:
        pointer = pointer.rsplit("/", 1)[0]
        if pointer in lines:
            return lines[pointer]
    return lines.get("")


def escape_pointer(name: str) -> str:
    """A key as one JSON pointer segment (RFC 6901: ~ and / escaped)."""
    return name.replace("~", "~0").replace("/", "~1")
