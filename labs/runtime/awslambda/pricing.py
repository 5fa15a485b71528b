"""Lambda's public on-demand prices, in one dated table, and the cost of one invocation.

Prices are US East (N. Virginia), Tier 1, as listed on https://aws.amazon.com/lambda/pricing/ (checked
2025-11). Since 2025-08-01 the INIT phase of on-demand functions is billed like the invoke phase, so a cold
start's Init Duration is part of its billed duration.
"""

from __future__ import annotations

__all__ = ["PRICES", "PRICES_AS_OF", "invocation_cost_usd"]

PRICES_AS_OF = "2025-11"
PRICES = {
    "request_usd": 0.20 / 1_000_000,
    "gb_second_usd": {"x86_64": 0.0000166667, "arm64": 0.0000133334},
}


def invocation_cost_usd(billed_ms: int, memory_mb: int, architecture: str = "x86_64") -> float:
    """Cost of one request with ``billed_ms`` of billed duration at ``memory_mb`` of configured memory."""
    gb_seconds = (billed_ms / 1000) * (memory_mb / 1024)
    return PRICES["request_usd"] + gb_seconds * PRICES["gb_second_usd"][architecture]
