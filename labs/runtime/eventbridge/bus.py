"""Amazon EventBridge event buses: PutEvents, rules (patterns and schedules), targets, retries and DLQs.

moto keeps buses, rules and targets; ``backends/hooks.py`` sends every PutEvents of a ``Cloud``'s account
here, and so do S3 (EventBridge notifications) and Lambda destinations. What AWS documents and this module
copies (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html,
eb-transform-target-input.html, eb-rule-retry-policy.html, eb-rule-dlq.html, eb-use-resource-based.html):

- An event gets ``version`` "0", an ``id``, ``detail-type``, ``source``, ``account``, ``time`` (the entry's
  ``Time`` or now, to the second), ``region``, ``resources`` and ``detail``. Each enabled rule of the bus whose
  pattern matches (``eventbridge.compile_pattern``, every operator AWS documents) sends it to each target,
  asynchronously.
- A target gets the event, or ``Input`` (constant JSON), ``InputPath`` (a JSONPath into the event) or an
  ``InputTransformer`` (``InputPathsMap`` + ``InputTemplate`` with ``<name>`` placeholders and the predefined
  ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``, ``<aws.events.event>``,
  ``<aws.events.event.ingestion-time>``).
- Lambda, SQS and SNS targets need resource-based policies allowing ``events.amazonaws.com``; Step Functions
  targets are started with the target's ``RoleArn``; an event-bus target receives the event as it is.
- A failed delivery is retried with exponential backoff and jitter (seeded) up to ``RetryPolicy``'s
  ``MaximumRetryAttempts`` (default 185) and ``MaximumEventAgeInSeconds`` (default 86,400). A missing target or
  a missing permission is not retried. An event given up on goes to the target's dead-letter queue (the event,
  with RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE attributes) or is dropped; the trace shows which.
- Rules with ``ScheduleExpression`` fire on the simulated clock (``schedules``) as background events:
  ``run_for`` runs them, ``run_until_idle`` does not wait for them.
"""

from __future__ import annotations

import json
import time

from labs.runtime.eventbridge.patterns import InvalidEventPatternError, compile_pattern
from labs.runtime.eventbridge.schedules import InvalidScheduleError, compile_schedule
from labs.runtime.iam import service_access
from labs.runtime.stepfunctions.paths import NoMatchError, PathSyntaxError, compile_path

__all__ = ["EventBus", "transform_input"]

MAX_ENTRIES, MAX_REQUEST_BYTES = 10, 256 * 1024
DEFAULT_MAX_RETRY_ATTEMPTS, DEFAULT_MAX_EVENT_AGE_S = 185, 86400
_BACKOFF_CAP_S = 300.0


def _iso_s(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _entry_size(entry: dict) -> int:
    """PutEvents entry size as AWS counts it (Time 14 bytes, then the UTF-8 bytes of the text fields)."""
    size = 14 if entry.get("Time") else 0
    for field in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(field) or "").encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources") or [])


def transform_input(target: dict, event: dict, rule_arn: str, rule_name: str) -> str:
    """The text a target receives for ``event``; raises ``ValueError`` naming the bad field."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        try:
            return json.dumps(compile_path(target["InputPath"]).value(event))
        except NoMatchError:
            return "null"
        except PathSyntaxError as error:
            raise ValueError(f"InputPath: {error}") from None
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    values: dict = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": event,
        "aws.events.event.json": event,
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        try:
            values[name] = compile_path(path).value(event)
        except NoMatchError:
            values[name] = None
        except PathSyntaxError as error:
            raise ValueError(f"InputTransformer.InputPathsMap.{name}: {error}") from None
    return _fill_template(str(transformer.get("InputTemplate", "")), values)


def _fill_template(template: str, values: dict) -> str:
    """Replace ``<name>`` placeholders: inside a JSON string a value goes in as text, elsewhere as JSON."""
    out, in_string, i = [], False, 0
    while i < len(template):
        char = template[i]
        if char == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        if char == "<":
            end = template.find(">", i)
            name = template[i + 1 : end] if end > 0 else ""
            if name in values:
                value = values[name]
                if in_string:
                    text = value if isinstance(value, str) else json.dumps(value)
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(json.dumps(value))
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


class EventBus:
    """The EventBridge buses of one account: events in, rules matched, targets delivered."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self._patterns: dict[str, object] = {}
        self._schedules: dict[str, object] = {}  # rule arn -> its next Scheduled firing

    def _backend(self):
        from moto.events.models import events_backends

        return events_backends[self.cloud.account_id][self.cloud.region]

    # -- events in ------------------------------------------------------------------------------------------
    def put_events(self, backend, entries: list[dict]) -> list[dict]:
        """PutEvents (through ``backends/hooks.py``): validate each entry as AWS does, answer at once, route later."""
        from moto.events.exceptions import ValidationException

        if len(entries) > MAX_ENTRIES:
            raise ValidationException(
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy "
                "constraint: Member must have length less than or equal to 10"
            )
        if sum(_entry_size(entry) for entry in entries) > MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        results = []
        for entry in entries:
            problem = self._entry_problem(entry)
            if problem:
                results.append(problem)
                continue
            bus_name = backend._normalize_event_bus_arn(entry.get("EventBusName"))
            backend.describe_event_bus(bus_name)  # raises ResourceNotFoundException, as AWS does
            event = self._event(entry)
            results.append({"EventId": event["id"]})
            self.cloud.after_call(
                lambda cause, b=bus_name, e=event: self.route(b, e, cause), label=f"eventbridge {bus_name}"
            )
        return results

    def put_service_event(self, entry: dict, cause: int | None, bus_name: str = "default") -> None:
        """An event an AWS service (S3) sends to a bus of this account."""
        self.route(bus_name, self._event(entry), cause)

    @staticmethod
    def _entry_problem(entry: dict) -> dict | None:
        for field in ("Source", "DetailType", "Detail"):
            if not entry.get(field):
                return {
                    "ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {field} is not valid. Reason: {field} is a required argument.",
                }
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        return None

    def _event(self, entry: dict) -> dict:
        when = entry.get("Time")
        epoch = when.timestamp() if hasattr(when, "timestamp") else float(when or self.cloud.clock())
        return {
            "version": "0",
            "id": self.cloud.new_request_id(),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self.cloud.account_id,
            "time": _iso_s(epoch),
            "region": self.cloud.region,
            "resources": list(entry.get("Resources") or []),
            "detail": json.loads(entry["Detail"]),
        }

    # -- rules ----------------------------------------------------------------------------------------------
    def route(self, bus_name: str, event: dict, cause: int | None) -> None:
        """Match ``event`` against every enabled rule of ``bus_name`` and deliver it to their targets."""
        received = self.cloud.trace.event_received(
            self.cloud.clock(),
            cause=cause,
            bus=bus_name,
            event_id=event["id"],
            source=event["source"],
            detail_type=event["detail-type"],
        )
        try:
            bus = self._backend().describe_event_bus(bus_name)
        except Exception:  # noqa: BLE001 - the bus was deleted meanwhile: nothing receives the event
            return
        for rule in list(bus.rules.values()):
            raw = rule.event_pattern._raw_pattern
            if rule.state != "ENABLED" or not raw:
                continue
            matched = self._pattern(raw).matches(event)
            decide = self.cloud.trace.rule_matched if matched else self.cloud.trace.rule_not_matched
            decision = decide(
                self.cloud.clock(),
                cause=received["seq"],
                rule=rule.arn,
                event_id=event["id"],
            )
            if matched:
                for target in list(rule.targets):
                    self._deliver(
                        rule, target, event, decision["seq"], attempt=0, first_at=self.cloud.clock()
                    )

    def _pattern(self, raw: str):
        if raw not in self._patterns:
            try:
                self._patterns[raw] = compile_pattern(raw)
            except InvalidEventPatternError:
                self._patterns[raw] = compile_pattern({"labs-never-matches": ["\u0000"]})
        return self._patterns[raw]

    # -- targets --------------------------------------------------------------------------------------------
    def _deliver(self, rule, target: dict, event: dict, cause: int, *, attempt: int, first_at: float) -> None:
        arn = str(target.get("Arn", ""))
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        try:
            body = transform_input(target, event, rule.arn, rule.name)
        except ValueError as error:
            self._give_up(rule, target, event, cause, "INVALID_PARAMETER", str(error))
            return
        problem, retriable = None, True
        if service in ("lambda", "sqs", "sns"):
            problem = service_access.check_service_may_send(
                self.cloud, "events.amazonaws.com", service, arn, rule.arn
            )
            retriable = problem is None
        if problem is None:
            try:
                self._send(rule, target, service, arn, body, event, cause)
            except Exception as error:  # noqa: BLE001 - a failed call to the target, retried as AWS does
                problem = f"{type(error).__name__}: {error}"
                code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
                # AWS does not retry what retrying cannot fix: a missing target or a missing permission
                retriable = not (
                    code.startswith("AccessDenied") or "NotFound" in code or "DoesNotExist" in code
                )
        if problem is None:
            self.cloud.trace.delivery(
                self.cloud.clock(),
                cause=cause,
                source="events",
                target=arn,
                rule=rule.arn,
                attempt=attempt,
            )
            return
        policy = target.get("RetryPolicy") or {}
        max_attempts = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
        max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))
        delay = self.cloud.random.uniform(0.5, 1.0) * min(2.0**attempt, _BACKOFF_CAP_S)
        failed = self.cloud.trace.delivery_failed(
            self.cloud.clock(),
            cause=cause,
            source="events",
            target=arn,
            rule=rule.arn,
            attempt=attempt,
            error=problem,
            retriable=retriable,
        )
        if retriable and attempt < max_attempts and self.cloud.clock() + delay - first_at <= max_age:
            self.cloud.scheduler.call_later(
                delay,
                lambda: self._deliver(
                    rule, target, event, failed["seq"], attempt=attempt + 1, first_at=first_at
                ),
                label=f"eventbridge retry {arn}",
            )
            return
        code = "RETRIES_EXHAUSTED" if retriable else "NO_PERMISSIONS_OR_NOT_FOUND"
        self._give_up(rule, target, event, failed["seq"], code, problem)

    def _send(self, rule, target: dict, service: str, arn: str, body: str, event: dict, cause: int) -> None:
        if service in ("lambda", "sqs", "sns"):
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            service_access.send_with_faults(self.cloud, service, arn, body, cause, group_id=group)
        elif service == "states":
            role = target.get("RoleArn") or rule.role_arn
            if not role:
                raise PermissionError(
                    "a Step Functions target needs a RoleArn that may states:StartExecution"
                )
            client = self.cloud.client_as_role("stepfunctions", role, "events")
            client.start_execution(stateMachineArn=arn, input=body)
        elif service == "events" and ":event-bus/" in arn:
            self.route(arn.split(":event-bus/", 1)[1], event, cause)
        elif service == "logs":
            rule._send_to_cw_log_group(arn.split(":log-group:", 1)[1].split(":", 1)[0], json.loads(body))
        else:
            raise ValueError(f"target {arn} is not a type the runtime simulates")

    def _give_up(self, rule, target: dict, event: dict, cause: int, code: str, message: str) -> None:
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter:
            self.cloud.trace.event_dropped(
                self.cloud.clock(),
                cause=cause,
                rule=rule.arn,
                target=target.get("Arn"),
                error=message,
            )
            return
        attributes = {
            "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
            "TARGET_ARN": {"DataType": "String", "StringValue": str(target.get("Arn"))},
            "ERROR_CODE": {"DataType": "String", "StringValue": code},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": message[:1024]},
        }
        service_access.deliver(
            self.cloud,
            "sqs",
            dead_letter,
            json.dumps(event),
            cause,
            source="events",
            source_arn=rule.arn,
            message_attributes=attributes,
        )

    # -- schedules ------------------------------------------------------------------------------------------
    def sync_schedules(self) -> None:
        """Make the simulated clock's schedule match the account's scheduled rules (after any Events call)."""
        wanted = {}
        for bus in self._backend().event_buses.values():
            for rule in bus.rules.values():
                if rule.scheduled_expression and rule.state == "ENABLED":
                    wanted[rule.arn] = rule
        for arn in list(self._schedules):
            if arn not in wanted:
                self.cloud.scheduler.cancel(self._schedules.pop(arn))
        for arn, rule in wanted.items():
            if arn not in self._schedules:
                self._schedule_next(rule, compile_schedule(rule.scheduled_expression), self.cloud.clock())

    def _schedule_next(self, rule, next_after, after: float) -> None:
        when = next_after(after)
        if when is None:
            self._schedules.pop(rule.arn, None)
            return

        def fire() -> None:
            self._schedule_next(rule, next_after, when)
            entry = {"Source": "aws.events", "DetailType": "Scheduled Event", "Detail": "{}", "Time": when}
            event = self._event({**entry, "Resources": [rule.arn]})
            fired = self.cloud.trace.schedule_fired(when, cause=None, rule=rule.arn, event_id=event["id"])
            for target in list(rule.targets):
                self._deliver(rule, target, event, fired["seq"], attempt=0, first_at=when)

        self._schedules[rule.arn] = self.cloud.scheduler.call_at(
            when, fire, label=f"schedule {rule.name}", background=True
        )


def test_event_pattern_answer(body: bytes) -> tuple[bool | None, str | None]:
    """TestEventPattern with this runtime's matcher (the one rules use): ``(result, None)``, or
    ``(None, "Code:message")`` for a pattern that is not valid or an event that is not a JSON object."""
    try:
        request = json.loads(body or b"{}")
        event = json.loads(request.get("Event") or "")
    except (ValueError, AttributeError, TypeError):
        return None, "InvalidEventPatternException:Event is not valid JSON"
    if not isinstance(event, dict):
        return (
            None,
            "InvalidEventPatternException:Event is not valid. Reason: the event must be a JSON object",
        )
    try:
        return compile_pattern(request.get("EventPattern") or "").matches(event), None
    except InvalidEventPatternError as error:
        return None, f"InvalidEventPatternException:{error}"


def validate_rule_request(body: bytes) -> str | None:
    """PutRule's checks the runtime makes before moto stores the rule: the pattern and the schedule."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    if request.get("EventPattern"):
        try:
            compile_pattern(request["EventPattern"])
        except InvalidEventPatternError as error:
            return f"InvalidEventPatternException:{error}"
    if request.get("ScheduleExpression"):
        try:
            compile_schedule(request["ScheduleExpression"])
        except InvalidScheduleError as error:
            return f"ValidationException:{error}"
    return None
