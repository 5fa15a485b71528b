"""Service-to-service deliveries and the resource-based policies that allow them.

When S3, SNS or EventBridge sends to a Lambda function, an SQS queue or an SNS topic, AWS checks the target's
resource-based policy for the sending service's principal (``s3.amazonaws.com``, ``sns.amazonaws.com``,
``events.amazonaws.com``), usually with an ``aws:SourceArn`` condition naming the bucket, topic or rule. A
function needs ``lambda:AddPermission`` for that principal, a queue an ``sqs:SendMessage`` statement in its
``Policy`` attribute, a topic an ``sns:Publish`` statement. Forgetting one is among the most common mistakes in
event-driven designs, so the runtime enforces it exactly where AWS does and says which policy is missing.
"""

from __future__ import annotations

import json

from labs.runtime.iam.policy import Decision, evaluate

__all__ = ["check_service_may_send", "deliver", "function_policy_document", "send", "send_with_faults"]

_ACTIONS = {"lambda": "lambda:InvokeFunction", "sqs": "sqs:SendMessage", "sns": "sns:Publish"}


def function_policy_document(cloud, function_name: str) -> dict | None:
    """The function's resource-based policy as AWS shows it, or None when it has none (or does not exist)."""
    from moto.awslambda.models import lambda_backends

    try:
        wire_format = lambda_backends[cloud.account_id][cloud.region].get_policy(function_name)
        document = json.loads(json.loads(wire_format)["Policy"])
    except Exception:  # noqa: BLE001 - no such function, or no policy at all
        return None
    for statement in document.get("Statement", []):
        # moto keeps AddPermission's Principal as given; AWS shows it as {"AWS": ...} or {"Service": ...}
        if isinstance(statement.get("Principal"), str) and statement["Principal"] != "*":
            kind = "Service" if statement["Principal"].endswith(".amazonaws.com") else "AWS"
            statement["Principal"] = {kind: statement["Principal"]}
    return document


def _queue(cloud, arn: str):
    from moto.sqs.models import sqs_backends

    name = arn.rsplit(":", 1)[-1]
    return sqs_backends[cloud.account_id][cloud.region].queues.get(name)


def _topic(cloud, arn: str):
    from moto.sns.models import sns_backends

    return sns_backends[cloud.account_id][cloud.region].topics.get(arn)


def check_service_may_send(
    cloud, principal_service: str, target_service: str, target_arn: str, source_arn: str
) -> str | None:
    """None when ``target_arn`` exists and lets ``principal_service`` send to it for ``source_arn``;
    otherwise the problem, in words a student can act on."""
    action = _ACTIONS.get(target_service)
    if action is None:
        return f"{target_service} is not a destination this service can send to"
    if target_service == "lambda":
        name = target_arn.split(":function:", 1)[-1].split(":", 1)[0]
        try:
            cloud.lambda_.get_function(name)
        except Exception:  # noqa: BLE001 - moto's not-found error
            return "the function does not exist"
        documents = [function_policy_document(cloud, name) or {}]
        fix = f"add a permission (lambda add-permission) for principal {principal_service}"
    elif target_service == "sqs":
        queue = _queue(cloud, target_arn)
        if queue is None:
            return "the queue does not exist"
        documents = [queue._policy_json]  # moto's parsed Policy attribute (its ``policy`` re-serializes it)
        fix = f"add a statement to the queue's Policy allowing {principal_service} to sqs:SendMessage"
    else:
        topic = _topic(cloud, target_arn)
        if topic is None:
            return "the topic does not exist"
        documents = [topic._policy_json]
        fix = f"add a statement to the topic's policy allowing {principal_service} to sns:Publish"
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": cloud.account_id}
    caller = {"service": principal_service, "account": ""}
    try:
        decision = evaluate(documents, action, target_arn, context, caller=caller)
    except ValueError:
        decision = Decision(False, "implicit_deny")
    if decision.allowed:
        return None
    return (
        f"its resource-based policy does not allow {principal_service} to {action} from {source_arn}: {fix}"
    )


class InjectedServiceError(RuntimeError):
    """A delivery refused by a fault the lab injected (``cloud.faults.service_error``)."""


def deliver(
    cloud,
    service: str,
    arn: str,
    body: str,
    cause: int | None,
    *,
    source: str,
    source_arn: str = "",
    message_attributes: dict | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
) -> bool:
    """Deliver ``body`` from ``source`` (``s3``, ``sns``, ``events``) to a function (asynchronously), a queue
    or a topic, after checking the target's resource-based policy. Traces ``delivery`` or ``delivery_failed``
    (with the reason) and returns whether it was delivered; it never raises, because on AWS the sender's own
    request has long succeeded by then."""
    problem = check_service_may_send(cloud, f"{source}.amazonaws.com", service, arn, source_arn or arn)
    if problem is None:
        try:
            send_with_faults(
                cloud,
                service,
                arn,
                body,
                cause,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
            )
        except Exception as error:  # noqa: BLE001 - reported in the trace, as AWS's failed-delivery metrics
            problem = f"{type(error).__name__}: {error}"
    if problem is not None:
        cloud.trace.delivery_failed(cloud.clock(), cause=cause, source=source, target=arn, error=problem)
        return False
    cloud.trace.delivery(cloud.clock(), cause=cause, source=source, target=arn)
    return True


def send_with_faults(cloud, service: str, arn: str, body: str, cause: int | None, **options) -> None:
    """``send``, as many times and as late as the account's injected faults say (once, now, normally)."""
    operation = {"lambda": "Invoke", "sqs": "SendMessage", "sns": "Publish"}.get(service, "")
    refused = cloud.faults.service_error_for(service, operation, cause)
    if refused is not None:
        raise InjectedServiceError(f"{service} {operation} failed with an injected {refused[0]} error")
    copies = cloud.faults.copies_of_delivery(arn, cause)
    delay_s = cloud.faults.delivery_delay(arn, cause)
    for copy in range(copies):
        if delay_s > 0:
            cloud.scheduler.call_later(
                delay_s,
                lambda c=copy: send(cloud, service, arn, body, cause, copy=c, **options),
                label=f"delayed delivery to {arn}",
            )
        else:
            send(cloud, service, arn, body, cause, copy=copy, **options)


def send(
    cloud,
    service: str,
    arn: str,
    body: str,
    cause: int | None,
    *,
    message_attributes: dict | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    copy: int = 0,
) -> None:
    """Hand ``body`` to a function's asynchronous queue, a queue or a topic; raises what the service raises."""
    if service == "lambda":
        name = arn.split(":function:", 1)[-1]
        function, _, qualifier = name.partition(":")
        cloud.async_invoker.accept(function, qualifier or None, body.encode(), cause)
    elif service == "sqs":
        from moto.sqs.models import sqs_backends

        with cloud.simulated_moto_time():
            message = sqs_backends[cloud.account_id][cloud.region].send_message(
                arn.rsplit(":", 1)[-1],
                body,
                message_attributes=message_attributes or {},
                # a duplicated delivery of a FIFO message gets its own id, as a redelivery would
                deduplication_id=f"{deduplication_id}-{copy}"
                if deduplication_id and copy
                else deduplication_id,
                group_id=group_id,
                validate_group_id=False,
            )
        if cause is not None:
            cloud.message_causes[message.id] = cause
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[cloud.account_id][cloud.region].publish(
            body, arn=arn, message_attributes=message_attributes, group_id=group_id
        )
    else:
        raise ValueError(f"{service} is not a delivery target")
