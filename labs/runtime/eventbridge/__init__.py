"""Amazon EventBridge: event patterns (``patterns``: validate once, then match), event buses with rules,
targets, retries and dead-letter queues (``bus``), and ``rate()`` / ``cron()`` schedules (``schedules``).

The pattern language is the public face (graders, SNS filter policies and event source filters use it):
``compile_pattern`` raises ``InvalidEventPatternError`` with the JSON path; ``matches(pattern, event)``.
Importing this package loads only ``patterns``.
"""

from labs.runtime.eventbridge.patterns import (
    CompiledPattern,
    InvalidEventPatternError,
    compile_pattern,
    matches,
)

__all__ = ["CompiledPattern", "InvalidEventPatternError", "compile_pattern", "matches"]
