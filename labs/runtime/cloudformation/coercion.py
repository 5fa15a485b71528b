"""The type conversions CloudFormation makes between a template's values and the API it calls.

A template is JSON data, and CloudFormation converts scalars to the type each property has: a number or a
boolean where a string is expected becomes its text (``Environment.Variables.PORT: 8080`` is ``"8080"``;
aws-properties-lambda-function-environment.html types the variables "Object of String"), and the text of
a number or boolean where a number or boolean is expected becomes that value. ``Ref`` of a ``Number``
parameter is a string (parameters-section-structure.html: "when you use the parameter elsewhere in your
template (for example, by using the Ref intrinsic function), the parameter value becomes a string"), so
``MemorySize: !Ref Memory`` is ``"512"`` until the property's type makes it 512 again.

Here the property's type is the API's: every call a deploy makes goes through ``CoercingClient``, which
converts each argument to the type of botocore's input shape before botocore validates it. A value that
cannot be converted (``"many"`` for an integer) is left as written and refused by the API's validation,
as CloudFormation refuses it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CoercingClient", "coerce", "scalar_text"]

_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def scalar_text(value: Any) -> Any:
    """A number's or boolean's text as CloudFormation writes it (``true``, ``8080``, ``0.5``); else ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def coerce(value: Any, shape: Any) -> Any:
    """``value`` with each scalar converted to the type of botocore's ``shape`` where CloudFormation would."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {key: coerce(item, members[key]) if key in members else item for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [coerce(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {str(scalar_text(key)): coerce(item, shape.value) for key, item in value.items()}
    if kind == "string":
        return scalar_text(value)
    if kind in ("integer", "long"):
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
    if kind in ("float", "double") and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


class CoercingClient:
    """A boto3 client whose operations convert their keyword arguments with ``coerce`` first."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        operation = self._client.meta.method_to_api_mapping.get(name)
        if operation is None:
            return method
        shape = self._client.meta.service_model.operation_model(operation).input_shape

        def call(**kwargs: Any) -> Any:
            return method(**coerce(kwargs, shape))

        return call
