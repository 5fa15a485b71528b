"""The ``AWS::Include`` transform: template snippets inserted where the transform stands.

What transform-aws-include.html documents and this copies: ``{"Fn::Transform": {"Name": "AWS::Include",
"Parameters": {"Location": "s3://bucket/file.yaml"}}}`` anywhere in the template except the Parameters and
AWSTemplateFormatVersion sections, or ``Transform: {Name: AWS::Include, Parameters: {Location: ...}}`` at the top
level. A value that is the transform becomes the snippet; a mapping that holds the transform beside other keys
(``Resources: {Fn::Transform: ..., Queue: ...}``) gets the snippet's keys merged in. The snippet is YAML or
JSON, read as CloudFormation reads YAML (``yaml_reading.py``).

``Location`` is an ``s3://`` URI (or an ``https://`` S3 URL) of an object in the account's S3, or a path
relative to the template's folder, which ``sam deploy`` uploads to S3 and rewrites (as it does CodeUri).
Snippets may include snippets, up to ``_MAX_DEPTH`` levels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from labs.runtime.cloudformation.yaml_reading import decode_text

__all__ = ["INCLUDE", "IncludeError", "expand_includes"]

INCLUDE = "AWS::Include"
_MAX_DEPTH = 5
_S3_URL = re.compile(r"^https://(?:s3[.-][a-z0-9-]*\.?amazonaws\.com|s3\.amazonaws\.com)/([^/]+)/(.+)$")
_NOT_THERE = ("Parameters", "AWSTemplateFormatVersion")


class IncludeError(ValueError):
    """An include that cannot be read: carries the message and the template ``path`` of the transform."""

    def __init__(self, message: str, path: list) -> None:
        super().__init__(message)
        self.message, self.path = message, list(path)


def expand_includes(template: dict, cloud: Any, code_dir: Path | None) -> dict:
    """``template`` with every ``AWS::Include`` replaced by its snippet (the top-level one merged in and
    taken out of ``Transform``); raises ``IncludeError``."""
    reader = _Reader(cloud, code_dir)
    declared = template.get("Transform")
    listed = declared if isinstance(declared, list) else [declared] if declared is not None else []
    includes = [t for t in listed if isinstance(t, dict) and t.get("Name") == INCLUDE]
    if includes:
        kept = [t for t in listed if t not in includes]
        template = {key: value for key, value in template.items() if key != "Transform"}
        if kept:
            template["Transform"] = kept
        for transform in includes:
            snippet = reader.snippet(transform, ["Transform"], 0)
            if not isinstance(snippet, dict):
                raise IncludeError(
                    "a top-level AWS::Include snippet must be a mapping of sections", ["Transform"]
                )
            template = {**template, **snippet}
    return {
        key: value if key in _NOT_THERE else reader.expand(value, [key], 0) for key, value in template.items()
    }


class _Reader:
    def __init__(self, cloud: Any, code_dir: Path | None) -> None:
        self.cloud, self.code_dir = cloud, code_dir

    def expand(self, value: Any, path: list, depth: int) -> Any:
        if isinstance(value, list):
            return [self.expand(item, [*path, index], depth) for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        transform = value.get("Fn::Transform")
        if isinstance(transform, dict) and transform.get("Name") == INCLUDE:
            snippet = self.snippet(transform, [*path, "Fn::Transform"], depth)
            rest = {k: v for k, v in value.items() if k != "Fn::Transform"}
            if not rest:
                return snippet
            if not isinstance(snippet, dict):
                raise IncludeError(
                    "this AWS::Include stands beside other keys, so its snippet must be a mapping", path
                )
            value = {**rest, **snippet}
        return {key: self.expand(item, [*path, key], depth) for key, item in value.items()}

    def snippet(self, transform: dict, path: list, depth: int) -> Any:
        if depth >= _MAX_DEPTH:
            raise IncludeError(f"AWS::Include nested more than {_MAX_DEPTH} levels deep", path)
        location = (transform.get("Parameters") or {}).get("Location")
        if not isinstance(location, str) or not location:
            raise IncludeError("AWS::Include needs Parameters.Location, an S3 URI or a local file", path)
        text = self._read(location, path)
        snippet, matches = decode_text(text)
        if matches:
            raise IncludeError(f"AWS::Include {location}: not YAML or JSON: {matches[0].message}", path)
        return self.expand(json.loads(json.dumps(snippet)), path, depth + 1)

    def _read(self, location: str, path: list) -> str:
        bucket_key = None
        if location.startswith("s3://"):
            bucket_key = location[5:].partition("/")[::2]
        elif (matched := _S3_URL.match(location)) is not None:
            bucket_key = (matched[1], matched[2])
        if bucket_key is not None:
            bucket, key = bucket_key
            try:
                body = self.cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
                return body.decode("utf-8")
            except Exception as error:  # noqa: BLE001 - S3's answer, or bytes that are not text
                message = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
                raise IncludeError(f"AWS::Include cannot read {location}: {message}", path) from None
        if "://" in location:
            raise IncludeError(f"AWS::Include Location {location!r} is not an S3 URI or a local file", path)
        if self.code_dir is None:
            raise IncludeError(
                f"AWS::Include {location!r} is a local path: deploy with a code directory", path
            )
        root = self.code_dir.resolve()
        file = (root / location).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            raise IncludeError(f"AWS::Include {location!r}: no such file beside the template", path)
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise IncludeError(f"AWS::Include {location!r} is not text", path) from None
