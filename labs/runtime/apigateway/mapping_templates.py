"""API Gateway mapping templates: Velocity (VTL) with API Gateway's variables, rendered by airspeed.

What api-gateway-mapping-template-reference.html documents and this copies:

- ``$input.body`` (the payload as text), ``$input.json(path)`` (the JSON text at a JSONPath, ``'$'`` for all),
  ``$input.path(path)`` (the value itself, to iterate or read fields), ``$input.params()`` (``path``,
  ``querystring`` and ``header`` maps) and ``$input.params(name)`` (path, then query string, then header);
- ``$util.escapeJavaScript``, ``$util.parseJson``, ``$util.urlEncode`` / ``urlDecode``,
  ``$util.base64Encode`` / ``base64Decode``;
- ``$context`` (``requestId``, ``apiId``, ``stage``, ``httpMethod``, ``resourcePath``, ``path``, ``accountId``,
  ``domainName``, ``identity.sourceIp``, ``requestTimeEpoch``) and ``$stageVariables``;
- Velocity itself (``#set``, ``#if`` / ``#else``, ``#foreach`` with ``$foreach.hasNext``) is airspeed's.

A template that does not render raises ``MappingError`` with airspeed's message (API Gateway answers 500).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

from labs.runtime.apigateway.proxy import Call
from labs.runtime.stepfunctions.paths import NoMatchError, PathSyntaxError, compile_path

__all__ = ["MappingError", "render"]


class MappingError(ValueError):
    """A mapping template that does not render: carries airspeed's or the JSONPath's message."""


class _Input:
    def __init__(self, body: str, call: Call | None) -> None:
        self.body = body
        self._call = call

    def _data(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            return self.body

    def path(self, expression: str) -> Any:
        try:
            return compile_path(expression).value(self._data())
        except NoMatchError:
            return None
        except PathSyntaxError as error:
            raise MappingError(f"$input.path({expression!r}): {error}") from None

    def json(self, expression: str) -> str:
        return json.dumps(self.path(expression))

    def params(self, name: str | None = None) -> Any:
        call = self._call
        groups = {
            "path": dict(call.path_parameters) if call else {},
            "querystring": dict(call.query) if call else {},
            "header": dict(call.headers) if call else {},
        }
        if name is None:
            return groups
        for group in groups.values():
            if name in group:
                return group[name]
        return ""


class _Util:
    @staticmethod
    def escapeJavaScript(text: Any) -> str:  # noqa: N802 - the name templates call
        escaped = json.dumps(str(text))[1:-1]
        return escaped.replace("'", "\\'")

    @staticmethod
    def parseJson(text: str) -> Any:  # noqa: N802 - the name templates call
        try:
            return json.loads(text)
        except ValueError as error:
            raise MappingError(f"$util.parseJson: {error}") from None

    @staticmethod
    def urlEncode(text: Any) -> str:  # noqa: N802 - the name templates call
        return quote_plus(str(text))

    @staticmethod
    def urlDecode(text: Any) -> str:  # noqa: N802 - the name templates call
        return unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: Any) -> str:  # noqa: N802 - the name templates call
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: Any) -> str:  # noqa: N802 - the name templates call
        return base64.b64decode(str(text)).decode("utf-8", "replace")


def _context(call: Call) -> dict[str, Any]:
    return {
        "requestId": call.request_id,
        "apiId": call.api_id,
        "stage": call.stage,
        "httpMethod": call.method,
        "resourcePath": call.resource_path,
        "resourceId": call.resource_id,
        "path": call.stage_path,
        "accountId": call.account_id,
        "domainName": call.domain_name,
        "identity": {"sourceIp": call.source_ip},
        "requestTimeEpoch": int(call.time_s * 1000),
    }


def render(template: str, body: str, call: Call) -> str:
    """``template`` rendered with ``body`` as ``$input`` for the request ``call``; raises ``MappingError``."""
    namespace = {
        "input": _Input(body, call),
        "util": _Util(),
        "context": _context(call),
        "stageVariables": dict(call.stage_variables),
    }
    try:
        return airspeed.Template(template).merge(namespace)
    except MappingError:
        raise
    except Exception as error:  # noqa: BLE001 - airspeed's syntax and evaluation errors alike
        raise MappingError(f"the mapping template does not render: {error}") from None
