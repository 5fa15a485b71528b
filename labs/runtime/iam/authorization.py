"""Who makes a request from inside the account, and whether IAM lets them: the runtime's authorizer.

A handler's requests are made as its function's execution role, in an assumed-role session named after the
function (``function_principal``); a service such as Step Functions acts with its own role (``Cloud.client_as_role``).
``authorize`` checks every resource a request names (``wire.ParsedRequest``) against the role's identity
policies and, for Lambda, the function's resource-based policy, and answers with the service's own
AccessDenied error when they do not allow it. ``caller_identity`` answers STS GetCallerIdentity, which is
always allowed, as on AWS. Policies are read from moto's IAM backend at every request, so a policy changed by
a handler or a grader applies to the next call.
"""

from __future__ import annotations

from labs.runtime.core import wire
from labs.runtime.iam import service_access
from labs.runtime.iam.policy import Decision, access_denied_message, evaluate

__all__ = [
    "authorize",
    "caller_identity",
    "function_principal",
    "role_allows",
    "role_exists",
    "role_policies",
]


def function_principal(account_id: str, function, invocation_seq: int) -> dict:
    """The principal a function's requests are made as; ``invocation_seq`` is the trace record they point to."""
    role_name = str(function.role).rsplit("/", 1)[-1]
    return {
        "role_arn": str(function.role),
        "session_arn": f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{function.function_name}",
        "function_arn": function.function_arn,
        "invocation_seq": invocation_seq,
    }


def role_exists(account_id: str, role_arn: str) -> bool:
    from moto.iam.models import iam_backends

    try:
        iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto raises its own not-found error
        return False
    return True


def role_policies(account_id: str, role_arn: str) -> list:
    """The role's inline policies and the default versions of its managed policies (none if it is missing)."""
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - a missing role simply grants nothing
        return []
    documents: list = list(role.policies.values())
    for policy in role.managed_policies.values():
        documents += [version.document for version in policy.versions if version.is_default]
    return documents


def role_allows(account_id: str, role_arn: str, action: str, resource: str) -> Decision:
    """Whether the role's identity policies allow ``action`` on ``resource``."""
    context = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": account_id}
    try:
        return evaluate(role_policies(account_id, role_arn), action, resource, context)
    except ValueError:
        return evaluate([], action, resource, context)


def authorize(cloud, parsed: wire.ParsedRequest, principal: dict) -> tuple[int, dict, bytes] | None:
    """None when ``principal`` may make the request; otherwise the service's AccessDenied response."""
    if parsed.operation == "GetCallerIdentity":
        return None  # always allowed, as on AWS
    policies = role_policies(cloud.account_id, principal["role_arn"])
    context = {
        "aws:PrincipalArn": principal["role_arn"],
        "aws:RequestedRegion": parsed.region,
        "aws:PrincipalAccount": cloud.account_id,
    }
    for action, resource in parsed.checks():
        try:
            decision = evaluate(policies, action, resource, context)
        except ValueError:
            decision = evaluate([], action, resource, context)
        if decision.reason != "explicit_deny" and parsed.service == "lambda":
            decision = _with_function_policy(cloud, decision, action, resource, principal, context)
        if not decision.allowed:
            status, code = wire.ACCESS_DENIED[parsed.service]
            message = access_denied_message(principal["session_arn"], action, resource, decision)
            return wire.error_response(parsed.service, status, code, message)
    return None


def _with_function_policy(
    cloud, identity: Decision, action: str, resource: str, principal: dict, context: dict
) -> Decision:
    """Combine the identity decision with the function's resource-based policy (same account).

    Within one account either policy may allow the call; an explicit deny in either one wins.
    """
    name = resource.split(":function:", 1)[-1].split(":", 1)[0]
    document = service_access.function_policy_document(cloud, name)
    if document is None:
        return identity
    caller = {"arn": principal["role_arn"], "account": cloud.account_id}
    decision = evaluate([document], action, resource, context, caller=caller)
    if decision.reason == "explicit_deny":
        return Decision(False, "explicit_deny_resource")
    return decision if decision.allowed else identity


def caller_identity(cloud, principal: dict) -> tuple[int, dict, bytes]:
    """STS GetCallerIdentity for the principal's session, as STS answers it (XML)."""
    role_name = principal["role_arn"].rsplit("/", 1)[-1]
    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
        f"<Arn>{principal['session_arn']}</Arn><UserId>AROA{abs(hash(role_name)) % 10**16:016d}:"
        f"{principal['session_arn'].rsplit('/', 1)[-1]}</UserId><Account>{cloud.account_id}</Account>"
        f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{cloud.new_request_id()}</RequestId>"
        "</ResponseMetadata></GetCallerIdentityResponse>"
    )
    return 200, {"Content-Type": "text/xml"}, body.encode()
