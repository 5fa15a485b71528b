"""Who may call a function URL (urls-auth.html), decided before the function is invoked.

- ``AWS_IAM``: the request must be signed with SigV4; an unsigned one is 403 ``{"Message":"Forbidden"}``.
  Checking the signature and the caller's IAM policies is not simulated: a signed request is answered with
  a 500 that says so, never let through unchecked.
- ``NONE``: "your function's resource-based policy is always in effect and must grant public access": it
  must allow everyone (``Principal: "*"``) ``lambda:InvokeFunctionUrl`` (``lambda:FunctionUrlAuthType`` is
  ``NONE`` for these requests) and, for function URLs made since October 2025, ``lambda:InvokeFunction``
  too (``lambda:InvokedViaFunctionUrl`` is true). A URL on an alias is governed by the alias's policy
  (AddPermission with ``Qualifier``). Anything less is 403 ``{"Message":"Forbidden"}``.
"""

from __future__ import annotations

import json
import re

from moto.awslambda.models import lambda_backends

from labs.runtime.apigateway.proxy import Call
from labs.runtime.functionurls.config import FunctionUrl
from labs.runtime.iam.policy import evaluate

__all__ = ["Answer", "authorize"]

_SIGNED = re.compile(r"^AWS4-HMAC-SHA256 ", re.IGNORECASE)


class Answer(Exception):
    """Lambda answered the request itself (no invocation, or a failed one): status, body and why."""

    def __init__(self, status: int, body: bytes, reason: str, content_type: str = "application/json") -> None:
        super().__init__(reason)
        self.status, self.body, self.reason, self.content_type = status, body, reason, content_type


def _forbidden(reason: str) -> Answer:
    return Answer(403, b'{"Message":"Forbidden"}', reason)


def _forbidden(reason: str) -> Answer:
    return Answer(403, b'{"Message":"Forbidden"}', reason)


def authorize(cloud, config: FunctionUrl, call: Call) -> None:
    if config.auth_type == "AWS_IAM":
        if not _SIGNED.match(call.header("authorization") or ""):
            raise _forbidden("AuthType AWS_IAM: the request is not signed with SigV4")
        message = (
            "valid on AWS, not simulated here: SigV4-signed requests to a function URL with AuthType AWS_IAM "
            "(the signature and the caller's IAM policies are not checked); use AuthType NONE"
        )
        raise Answer(500, json.dumps({"Message": message}).encode(), message)
    statements = _policy_statements(cloud, config.function_name)
    resource = config.function_arn
    caller = {"service": "", "arn": "anonymous", "account": ""}
    context = {"lambda:FunctionUrlAuthType": "NONE", "lambda:InvokedViaFunctionUrl": "true"}
    for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"):
        if not evaluate([{"Statement": statements}], action, resource, context, caller).allowed:
            raise _forbidden(
                f"AuthType NONE: the function's resource-based policy does not allow {action} to everyone"
            )


def _policy_statements(cloud, function_name: str) -> list[dict]:
    """The function's resource-based policy, with what moto leaves as request fields made into the
    conditions AWS writes (AddPermission's ``FunctionUrlAuthType`` and ``InvokedViaFunctionUrl``)."""
    try:
        wire_format = lambda_backends[cloud.account_id][cloud.region].get_policy(function_name)
        statements = json.loads(json.loads(wire_format)["Policy"]).get("Statement", [])
    except Exception:  # noqa: BLE001 - moto raises its own error when the function has no policy
        return []
    normalized = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        condition = {k: dict(v) for k, v in (statement.get("Condition") or {}).items()}
        if "FunctionUrlAuthType" in statement:
            auth_type = statement.pop("FunctionUrlAuthType")
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = auth_type
        if "InvokedViaFunctionUrl" in statement:
            via = statement.pop("InvokedViaFunctionUrl")
            condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = str(via).lower()
        if condition:
            statement["Condition"] = condition
        if isinstance(statement.get("Resource"), str):  # moto writes ":$LATEST" where AWS writes none
            statement["Resource"] = statement["Resource"].removesuffix(":$LATEST")
        normalized.append(statement)
    return normalized
