"""Function URL configurations: the five control-plane actions, served here rather than by moto.

moto 5.2.5 stores one URL per function, refuses ``Qualifier``, has no ListFunctionUrlConfigs, answers
``InvokeMode`` as ``Buffered``, drops it on update and lets a second CreateFunctionUrlConfig replace the
first. So the ``Cloud`` sends these actions to ``FunctionUrls.handle`` and the data plane (``serving.py``)
reads the configurations kept here. Behaviour copied from AWS:

- The URL is ``https://<url-id>.lambda-url.<region>.on.aws/`` (urls-invocation.html), the id 32 lower-case
  letters and digits, and never changes for the life of the configuration; a URL made again after a delete
  is a new one (urls-configuration.html, "Deleting function URLs").
- ``Qualifier`` is an alias name or ``$LATEST`` (API_CreateFunctionUrlConfig.html: pattern
  ``(^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))``): a version number is refused; the alias must exist.
- ``AuthType`` is ``AWS_IAM`` or ``NONE``; ``InvokeMode`` ``BUFFERED`` (the default) or
  ``RESPONSE_STREAM``; ``Cors.MaxAge`` at most 86400 (API_Cors.html).
- A second URL for the same function and qualifier is a ResourceConflictException; reading, updating or
  deleting one that does not exist is a ResourceNotFoundException.
"""

from __future__ import annotations

import json
import re
import string
import time
from dataclasses import dataclass, field

from moto.awslambda.exceptions import UnknownFunctionException

from labs.runtime.core import wire

__all__ = ["OPERATIONS", "FunctionUrl", "FunctionUrls"]

OPERATIONS = frozenset(
    {
        "CreateFunctionUrlConfig",
        "GetFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "DeleteFunctionUrlConfig",
        "ListFunctionUrlConfigs",
    }
)
_QUALIFIER = re.compile(r"^(\$LATEST|(?!\d+$)[a-zA-Z0-9_-]{1,128})$")
_AUTH_TYPES = ("AWS_IAM", "NONE")
_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
_CORS_KEYS = {"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge"}
_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class FunctionUrl:
    """One function URL: ``url_id``, the function's name and ``qualifier`` (None for ``$LATEST``)."""

    url_id: str
    function_name: str
    function_arn: str  # qualified with the alias when there is one
    qualifier: str | None
    auth_type: str
    invoke_mode: str
    cors: dict | None
    region: str
    created: str
    last_modified: str = ""
    owner: object = field(default=None, repr=False, compare=False)  # moto's function: a new one has no URLs

    @property
    def url(self) -> str:
        return f"https://{self.url_id}.lambda-url.{self.region}.on.aws/"

    @property
    def domain_name(self) -> str:
        return f"{self.url_id}.lambda-url.{self.region}.on.aws"

    def describe(self) -> dict:
        """The configuration as the API answers it."""
        answer = {
            "FunctionUrl": self.url,
            "FunctionArn": self.function_arn,
            "AuthType": self.auth_type,
            "CreationTime": self.created,
            "LastModifiedTime": self.last_modified or self.created,
            "InvokeMode": self.invoke_mode,
        }
        if self.cors is not None:
            answer["Cors"] = self.cors
        return answer


def _error(status: int, code: str, message: str) -> tuple[int, dict, bytes]:
    return wire.error_response("lambda", status, code, message)


def _ok(status: int, document: dict | None) -> tuple[int, dict, bytes]:
    body = b"" if document is None else json.dumps(document).encode()
    return status, {"Content-Type": "application/json"}, body


class _Invalid(Exception):
    """A request AWS refuses; carries the error response."""

    def __init__(self, response: tuple[int, dict, bytes]) -> None:
        super().__init__(response[2].decode())
        self.response = response


def _check_settings(params: dict, creating: bool) -> None:
    auth_type = params.get("AuthType")
    if (creating or auth_type is not None) and auth_type not in _AUTH_TYPES:
        raise _Invalid(
            _error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{auth_type}' at 'authType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(_AUTH_TYPES)}]",
            )
        )
    mode = params.get("InvokeMode")
    if mode is not None and mode not in _INVOKE_MODES:
        raise _Invalid(
            _error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{mode}' at 'invokeMode' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(_INVOKE_MODES)}]",
            )
        )
    cors = params.get("Cors")
    if cors is None:
        return
    unknown = sorted(set(cors) - _CORS_KEYS) if isinstance(cors, dict) else ["(not an object)"]
    if unknown:
        raise _Invalid(_error(400, "InvalidParameterValueException", f"Cors: unknown fields {unknown}"))
    max_age = cors.get("MaxAge")
    if max_age is not None and not (isinstance(max_age, int) and 0 <= max_age <= 86400):
        raise _Invalid(
            _error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{max_age}' at 'cors.maxAge' failed to satisfy "
                "constraint: Member must have value less than or equal to 86400",
            )
        )


class FunctionUrls:
    """The account's function URLs, keyed by (function name, qualifier); ``by_id`` for the data plane."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._urls: dict[tuple[str, str | None], FunctionUrl] = {}

    def by_id(self, url_id: str) -> FunctionUrl | None:
        """The URL with this id whose function still exists (a deleted function takes its URLs along)."""
        for key, url in list(self._urls.items()):
            if url.url_id == url_id:
                if self._function(url.function_name) is not url.owner:
                    del self._urls[key]
                    return None
                return url
        return None

    def _forget_urls_of_deleted(self, name: str, function) -> None:
        """A function deleted and made again under its name starts without the old one's URLs."""
        for key, url in list(self._urls.items()):
            if key[0] == name and url.owner is not function:
                del self._urls[key]

    def _function(self, name: str):
        try:
            return self.cloud.lambda_.get_function(name)
        except UnknownFunctionException:
            return None

    def handle(self, parsed: wire.ParsedRequest) -> tuple[int, dict, bytes]:
        """Serve one control-plane request (``parsed.operation`` is one of ``OPERATIONS``)."""
        params = dict(parsed.params)
        name_or_arn = str(params.get("FunctionName", ""))
        if name_or_arn.startswith("arn:") and name_or_arn.count(":") == 7:  # a qualified ARN names its alias
            name_or_arn, _, arn_qualifier = name_or_arn.rpartition(":")
            params.setdefault("Qualifier", arn_qualifier)
        function = self._function(name_or_arn)
        if function is None:
            arn = f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{name_or_arn}"
            return _error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        name = function.function_name
        self._forget_urls_of_deleted(name, function)
        try:
            if parsed.operation == "ListFunctionUrlConfigs":
                configs = [url.describe() for (owner, _), url in self._urls.items() if owner == name]
                return _ok(200, {"FunctionUrlConfigs": configs})
            qualifier = self._qualifier(function, params.get("Qualifier"))
            key = (name, qualifier)
            if parsed.operation == "CreateFunctionUrlConfig":
                return self._create(function, key, params)
            url = self._urls.get(key)
            if url is None:
                return _error(404, "ResourceNotFoundException", "The resource you requested does not exist.")
            if parsed.operation == "GetFunctionUrlConfig":
                return _ok(200, url.describe())
            if parsed.operation == "DeleteFunctionUrlConfig":
                del self._urls[key]
                return _ok(204, None)
            _check_settings(params, creating=False)
            url.auth_type = params.get("AuthType") or url.auth_type
            url.invoke_mode = params.get("InvokeMode") or url.invoke_mode
            if "Cors" in params:
                url.cors = params["Cors"]
            url.last_modified = self._now()
            return _ok(200, url.describe())
        except _Invalid as invalid:
            return invalid.response

    def _qualifier(self, function, qualifier: object) -> str | None:
        if qualifier is None or qualifier == "$LATEST":
            return None
        if not isinstance(qualifier, str) or not _QUALIFIER.match(qualifier):
            raise _Invalid(
                _error(
                    400,
                    "ValidationException",
                    f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "(^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))",
                )
            )
        try:
            self.cloud.lambda_.get_function(function.function_name, qualifier)
        except UnknownFunctionException:
            raise _Invalid(
                _error(
                    404,
                    "ResourceNotFoundException",
                    f"Alias not found: arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:"
                    f"{function.function_name}:{qualifier}",
                )
            ) from None
        return qualifier

    def _create(self, function, key: tuple[str, str | None], params: dict) -> tuple[int, dict, bytes]:
        _check_settings(params, creating=True)
        name, qualifier = key
        base_arn = f"arn:aws:lambda:{self.cloud.region}:{self.cloud.account_id}:function:{name}"
        arn = f"{base_arn}:{qualifier}" if qualifier else base_arn
        if key in self._urls:
            return _error(
                409,
                "ResourceConflictException",
                f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
                "FunctionUrlConfig exists for this Lambda function",
            )
        url = FunctionUrl(
            url_id="".join(self.cloud.ids.choice(_ID_ALPHABET) for _ in range(32)),
            function_name=name,
            function_arn=arn,
            qualifier=qualifier,
            auth_type=params["AuthType"],
            invoke_mode=params.get("InvokeMode") or "BUFFERED",
            cors=params.get("Cors"),
            region=self.cloud.region,
            created=self._now(),
            owner=function,
        )
        self._urls[key] = url
        return _ok(201, url.describe())

    def _now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(self.cloud.clock()))

    def clear(self) -> None:
        self._urls.clear()
