"""AWS managed policies (``arn:aws:iam::aws:policy/...``), there to attach as on AWS.

moto loads AWS's managed policies into an account only when asked to globally (slow, for every account); here
the one a role attaches is loaded on demand, from moto's own copy of AWS's policy documents (which includes,
for instance, AWSLambdaBasicExecutionRole and AWSLambdaBasicDurableExecutionRolePolicy).
"""

from __future__ import annotations

import functools
import json
from typing import Any

__all__ = ["aws_managed_policy_arns", "ensure_aws_managed_policy"]


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)  # parsed once per process


def ensure_aws_managed_policy(account_id: str, arn: str) -> None:
    """Load the AWS managed policy ``arn`` into the account's IAM, if it is one and moto knows it."""
    if not isinstance(arn, str) or ":iam::aws:policy/" not in arn:
        return
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account_id]["global"]
    if arn in backend.managed_policies:
        return
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policies().get(name)
    if data is not None:
        policy = AWSManagedPolicy.from_data(name, account_id, "us-east-1", data)
        backend.managed_policies[policy.arn] = policy


@functools.cache
def _arns() -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, f"arn:aws:iam::aws:policy{data.get('Path', '/')}{name}")
        for name, data in _aws_managed_policies().items()
    )


def aws_managed_policy_arns() -> dict[str, str]:
    """AWS managed policy names and their ARNs (path included), as the SAM transform resolves ``Policies: [Name]``
    on AWS, where it reads them from IAM."""
    return dict(_arns())
