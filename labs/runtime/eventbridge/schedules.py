"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)``, compiled once, then asked for the next time.

What AWS documents (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):

- ``rate(value unit)``: a positive whole number and ``minute``/``minutes``, ``hour``/``hours``, ``day``/``days``
  (singular for 1, plural otherwise, as AWS insists).
- ``cron(minutes hours day-of-month month day-of-week year)``, in UTC, six fields. Either day-of-month or
  day-of-week must be ``?``. Supported: ``*``, ``?``, lists ``a,b``, ranges ``a-b``, steps ``*/n`` and ``a/n``,
  month and weekday names (``JAN``, ``MON``), ``L`` (last day of the month), weekday numbers 1-7 = SUN-SAT.
  ``W`` and ``#`` are rejected with a clear error rather than guessed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["InvalidScheduleError", "compile_schedule"]

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIELDS = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
)
_SEARCH_DAYS = 366 * 5


class InvalidScheduleError(ValueError):
    """The expression is not valid; the message says which part and why (as PutRule's ValidationException)."""


def compile_schedule(expression: str) -> Callable[[float], float | None]:
    """Validate ``expression`` and return ``next_after(epoch_s)``: the first firing strictly after that time
    (None when a cron expression with a year list never fires again). Raises ``InvalidScheduleError``."""
    expression = (expression or "").strip()
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise InvalidScheduleError(
                "Parameter ScheduleExpression is not valid: the rate must be positive."
            )
        if (value == 1) != (not unit.endswith("s")):
            raise InvalidScheduleError(
                f"Parameter ScheduleExpression is not valid: use '{unit.rstrip('s')}' for 1 and "
                f"'{unit.rstrip('s')}s' for other values."
            )
        period = value * _UNIT_S[unit.rstrip("s")]
        return lambda after: after + period
    if expression.startswith("cron(") and expression.endswith(")"):
        return _compile_cron(expression[5:-1])
    raise InvalidScheduleError(
        "Parameter ScheduleExpression is not valid: expected rate(value unit) or cron(minutes hours "
        f"day-of-month month day-of-week year), got {expression!r}."
    )


def _compile_cron(body: str) -> Callable[[float], float | None]:
    parts = body.split()
    if len(parts) != 6:
        raise InvalidScheduleError(
            f"Parameter ScheduleExpression is not valid: cron needs 6 fields, got {len(parts)}."
        )
    minutes, hours, day_of_month, months = (
        _values(text, name, low, high, names)
        for text, (name, low, high, names) in zip(parts, _FIELDS, strict=False)
    )
    dom_text, dow_text, year_text = parts[2], parts[4], parts[5]
    if (dom_text == "?") == (dow_text == "?"):
        raise InvalidScheduleError(
            "Parameter ScheduleExpression is not valid: exactly one of day-of-month and day-of-week must be '?'."
        )
    last_day = dom_text == "L"
    weekdays = None if dow_text == "?" else _values(dow_text, "day-of-week", 1, 7, _DAYS)
    years = None if year_text == "*" else _values(year_text, "year", 1970, 2199, {})

    def day_matches(day: datetime) -> bool:
        if years is not None and day.year not in years:
            return False
        if day.month not in months:
            return False
        if weekdays is not None:
            return (day.isoweekday() % 7) + 1 in weekdays  # AWS: 1 = Sunday
        if last_day:
            return day.day == calendar.monthrange(day.year, day.month)[1]
        return day.day in day_of_month

    def next_after(after: float) -> float | None:
        start = datetime.fromtimestamp(int(after) // 60 * 60 + 60, UTC)
        day = start.replace(hour=0, minute=0)
        for _ in range(_SEARCH_DAYS):
            if day_matches(day):
                for hour in sorted(hours):
                    for minute in sorted(minutes):
                        moment = day.replace(hour=hour, minute=minute)
                        if moment >= start:
                            return moment.timestamp()
            day += timedelta(days=1)
        return None

    return next_after


def _values(text: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    if "W" in text.upper().replace("WED", "") or "#" in text:
        raise InvalidScheduleError(
            f"Parameter ScheduleExpression is not valid: {name} {text!r} uses W or #, not simulated."
        )
    values: set[int] = set()
    for item in text.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            step = _number(step_text, name, 1, high)
        if item in ("*", "?", "L"):
            start, end = low, high
        elif "-" in item:
            first, last = item.split("-", 1)
            start, end = _number(first, name, low, high, names), _number(last, name, low, high, names)
        else:
            start = _number(item, name, low, high, names)
            end = high if step > 1 else start
        values.update(range(start, end + 1, step))
    return values


def _number(text: str, name: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    value = (names or {}).get(text.upper())
    if value is None:
        try:
            value = int(text)
        except ValueError:
            raise InvalidScheduleError(
                f"Parameter ScheduleExpression is not valid: {name} {text!r} is not a number."
            ) from None
    if not low <= value <= high:
        raise InvalidScheduleError(
            f"Parameter ScheduleExpression is not valid: {name} {value} is outside {low}-{high}."
        )
    return value
