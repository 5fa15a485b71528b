"""``labs.runtime.sns``: SNS subscription filter policies, the public path graders and tests use.

The code lives in ``notifications/filter_policies.py``; SNS deliveries are ``notifications/sns_delivery.py``.
"""

from labs.runtime.notifications.filter_policies import (
    CompiledFilterPolicy,
    InvalidFilterPolicyError,
    compile_filter_policy,
    filter_policy_matches,
)

__all__ = [
    "CompiledFilterPolicy",
    "InvalidFilterPolicyError",
    "compile_filter_policy",
    "filter_policy_matches",
]
