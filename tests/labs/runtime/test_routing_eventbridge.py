"""EventBridge buses, rules, targets, retries, dead-letter queues and schedules; the trace timeline."""

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from labs.runtime.eventbridge.bus import transform_input
from labs.runtime.eventbridge.schedules import InvalidScheduleError, compile_schedule

from .test_routing_s3_sns import RECORDER, allow, events_seen, function_arn, queue, receive

EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Order Placed",
    "source": "shop.orders",
    "account": "123456789012",
    "time": "2026-11-29T10:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"order": {"id": "o-7", "total": 120.5}, "customer": 'Ana "A" Silva'},
}


def rule_arn(cloud, name):
    return f"arn:aws:events:{cloud.region}:{cloud.account_id}:rule/{name}"


def test_input_transformations():
    target = {"Arn": "x"}
    assert json.loads(transform_input(target, EVENT, "arn:r", "r")) == EVENT
    assert transform_input({"Input": '{"fixed": 1}'}, EVENT, "arn:r", "r") == '{"fixed": 1}'
    assert json.loads(transform_input({"InputPath": "$.detail.order"}, EVENT, "arn:r", "r")) == {
        "id": "o-7",
        "total": 120.5,
    }
    transformer = {
        "InputPathsMap": {
            "id": "$.detail.order.id",
            "total": "$.detail.order.total",
            "who": "$.detail.customer",
            "none": "$.detail.nope",
        },
        "InputTemplate": '{"text": "Order <id> by <who> for <total>", "total": <total>, "missing": <none>, "rule": "<aws.events.rule-name>"}',
    }
    filled = json.loads(transform_input({"InputTransformer": transformer}, EVENT, "arn:r", "orders"))
    assert filled == {
        "text": 'Order o-7 by Ana "A" Silva for 120.5',
        "total": 120.5,
        "missing": None,
        "rule": "orders",
    }
    with pytest.raises(ValueError, match="InputPath"):
        transform_input({"InputPath": "detail"}, EVENT, "arn:r", "r")


def test_rules_route_matching_events_to_a_function_and_a_custom_bus(cloud, deploy):
    name = deploy(RECORDER)
    events = cloud.client("events")
    events.create_event_bus(Name="orders")
    pattern = {"source": ["shop.orders"], "detail": {"order": {"total": [{"numeric": [">=", 100]}]}}}
    events.put_rule(Name="big-orders", EventBusName="orders", EventPattern=json.dumps(pattern))
    events.put_rule(Name="forward", EventPattern=json.dumps({"source": ["shop.orders"]}))
    bus_arn = f"arn:aws:events:{cloud.region}:{cloud.account_id}:event-bus/orders"
    events.put_targets(Rule="forward", Targets=[{"Id": "bus", "Arn": bus_arn}])
    allow(cloud, name, "events.amazonaws.com")
    events.put_targets(
        Rule="big-orders",
        EventBusName="orders",
        Targets=[{"Id": "fn", "Arn": function_arn(cloud, name), "InputPath": "$.detail"}],
    )
    answer = events.put_events(
        Entries=[
            {
                "Source": "shop.orders",
                "DetailType": "Order Placed",
                "Detail": json.dumps({"order": {"total": 150}}),
            },
            {
                "Source": "shop.orders",
                "DetailType": "Order Placed",
                "Detail": json.dumps({"order": {"total": 5}}),
            },
            {"Source": "shop.orders", "DetailType": "Order Placed", "Detail": "[1, 2]"},
            {"Source": "shop.orders", "Detail": "{}"},
        ]
    )
    assert answer["FailedEntryCount"] == 2
    assert answer["Entries"][2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert answer["Entries"][3]["ErrorCode"] == "InvalidArgument"
    assert events_seen(cloud.run_pending()) == [{"order": {"total": 150}}]
    kinds = [entry["kind"] for entry in cloud.trace]
    assert kinds.count("rule_matched") == 3 and kinds.count("rule_not_matched") == 1


def test_invalid_patterns_and_schedules_are_refused_at_put_rule(cloud):
    events = cloud.client("events")
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="bad", EventPattern=json.dumps({"detail": {"n": [{"numeric": [">", "x"]}]}}))
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert "$.detail.n[0].numeric" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="bad", ScheduleExpression="rate(1 minutes)")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert events.list_rules()["Rules"] == []  # nothing half-written


def test_target_without_permission_goes_to_the_dead_letter_queue_without_retries(cloud):
    events = cloud.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    _, target_arn = queue(cloud, "no-policy")
    dlq_url, dlq_arn = queue(
        cloud, "rule-dlq", allow_from=rule_arn(cloud, "r"), service="events.amazonaws.com"
    )
    events.put_targets(
        Rule="r", Targets=[{"Id": "t", "Arn": target_arn, "DeadLetterConfig": {"Arn": dlq_arn}}]
    )
    events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
    cloud.run_until_idle()
    (message,) = cloud.client("sqs").receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert json.loads(message["Body"])["source"] == "app"
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn(cloud, "r") and attributes["TARGET_ARN"] == target_arn
    assert (
        attributes["ERROR_CODE"] == "NO_PERMISSIONS_OR_NOT_FOUND"
        and "sqs:SendMessage" in attributes["ERROR_MESSAGE"]
    )
    (failure,) = [f for f in cloud.trace.of_kind("delivery_failed") if f["target"] == target_arn]
    assert failure["retriable"] is False and failure["attempt"] == 0


def test_retriable_failures_are_retried_with_backoff_then_dropped(cloud):
    events = cloud.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    url, arn = queue(cloud, "flaky", allow_from=rule_arn(cloud, "r"), service="events.amazonaws.com")
    events.put_targets(
        Rule="r", Targets=[{"Id": "t", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 3}}]
    )
    cloud.faults.service_error("sqs", "SendMessage", times=2)
    start = cloud.clock()
    events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
    cloud.run_until_idle()
    assert len(receive(cloud, url)) == 1
    failures = cloud.trace.of_kind("delivery_failed")
    assert [f["attempt"] for f in failures] == [0, 1] and all(f["retriable"] for f in failures)
    delivered = [d for d in cloud.trace.of_kind("delivery") if d["target"] == arn]
    assert delivered[0]["attempt"] == 2 and delivered[0]["time"] > start  # after simulated backoff
    assert len(cloud.trace.of_kind("fault_injected")) == 2
    cloud.faults.service_error("sqs", "SendMessage", times=10)
    events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
    cloud.run_until_idle()
    (dropped,) = cloud.trace.of_kind("event_dropped")
    assert "injected" in dropped["error"]
    assert len([f for f in cloud.trace.of_kind("delivery_failed")]) == 2 + 4  # first try + 3 retries


def test_step_functions_target_runs_with_the_target_role(cloud):
    iam = cloud.client("iam")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = iam.create_role(RoleName="eb-sfn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="eb-sfn",
        PolicyName="start",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": "*"}],
            }
        ),
    )
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    events = cloud.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(
        Rule="r", Targets=[{"Id": "sm", "Arn": machine, "RoleArn": role, "InputPath": "$.detail"}]
    )
    events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": json.dumps({"n": 1})}])
    cloud.run_until_idle()
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"n": 1}


def test_schedule_expressions():
    every_5 = compile_schedule("rate(5 minutes)")
    assert every_5(1000.0) == 1300.0
    assert compile_schedule("rate(1 day)")(0) == 86400
    noon_weekdays = compile_schedule("cron(0 12 ? * MON-FRI *)")
    saturday = datetime(2026, 12, 26, tzinfo=UTC).timestamp()
    assert noon_weekdays(saturday) == datetime(2026, 12, 28, 12, tzinfo=UTC).timestamp()  # Monday 12:00
    last_day = compile_schedule("cron(30 23 L * ? *)")
    assert last_day(saturday) == datetime(2026, 12, 31, 23, 30, tzinfo=UTC).timestamp()
    every_15 = compile_schedule("cron(0/15 * * * ? *)")
    assert every_15(60.0) == 900.0
    for bad in (
        "rate(0 minutes)",
        "rate(2 minute)",
        "cron(0 12 * * * *)",
        "cron(0 12 ? * MON#2 *)",
        "every day",
        "cron(61 * * * ? *)",
    ):
        with pytest.raises(InvalidScheduleError, match="ScheduleExpression"):
            compile_schedule(bad)


def test_scheduled_rules_fire_in_run_for_and_do_not_keep_run_until_idle_busy(cloud, deploy):
    name = deploy(RECORDER)
    allow(cloud, name, "events.amazonaws.com")
    events = cloud.client("events")
    events.put_rule(Name="tick", ScheduleExpression="rate(10 minutes)")
    events.put_targets(Rule="tick", Targets=[{"Id": "fn", "Arn": function_arn(cloud, name)}])
    cloud.run_until_idle()  # returns: a schedule never ends, so it is background work
    assert cloud.trace.of_kind("schedule_fired") == []
    seen = []
    cloud.run_for(3600)
    seen = events_seen(cloud.async_invoker.completed)
    assert len(seen) == 6 and all(
        e["detail-type"] == "Scheduled Event" and e["source"] == "aws.events" for e in seen
    )
    events.disable_rule(Name="tick")
    cloud.run_for(3600)
    assert len(cloud.trace.of_kind("schedule_fired")) == 6


def test_the_trace_timeline_reads_as_a_causal_story(cloud):
    events = cloud.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    url, arn = queue(cloud, "story", allow_from=rule_arn(cloud, "r"), service="events.amazonaws.com")
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": arn}])
    events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
    cloud.run_until_idle()
    lines = cloud.trace.timeline().splitlines()
    put = next(i for i, line in enumerate(lines) if "operation=PutEvents" in line)
    received = next(line for line in lines if "event_received" in line)
    assert f"<- #{cloud.trace[put]['seq']}" in received
    assert any("delivery" in line and "target=story" in line for line in lines)
    assert lines[0].lstrip().startswith("+0.000s")
