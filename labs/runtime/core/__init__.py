"""What every service of the runtime stands on: the simulated clock (``scheduler``), the trace, the runtime's
errors, AWS's wire format on the host (``wire``), fault injection, pooled host clients and JSON locations."""
