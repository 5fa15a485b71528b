"""Asynchronous invocation on the simulated clock: retries, event age, destinations and dead-letter queues."""

import json
import time

import pytest

from labs.runtime import Cloud
from labs.runtime.core.scheduler import Scheduler

FAILING = "def handler(event, context):\n    raise ValueError('bad order ' + str(event.get('id')))\n"
WORKING = "def handler(event, context):\n    return {'done': event.get('id')}\n"
# Near the real time: CloudWatch Logs (moto) refuses log events far from it.
START = float(int(time.time()))


# -- the scheduler ------------------------------------------------------------------------------------------
def test_scheduler_runs_in_time_order_then_in_scheduling_order():
    scheduler, ran = Scheduler(start=100), []
    scheduler.call_later(5, lambda: ran.append(("b", scheduler.now())))
    scheduler.call_later(1, lambda: ran.append(("a", scheduler.now())))
    scheduler.call_later(5, lambda: ran.append(("c", scheduler.now())))
    assert scheduler.run_until_idle() == 3
    assert ran == [("a", 101), ("b", 105), ("c", 105)]


def test_run_for_stops_at_the_horizon_and_moves_the_clock():
    scheduler, ran = Scheduler(start=0), []
    scheduler.call_at(10, lambda: ran.append(10))
    scheduler.call_at(30, lambda: ran.append(30))
    assert scheduler.run_for(20) == 1 and ran == [10] and scheduler.now() == 20
    assert scheduler.next_time() == 30 and scheduler.pending() == 1


def test_cancelled_events_do_not_run_and_negative_delays_are_refused():
    scheduler, ran = Scheduler(start=0), []
    event = scheduler.call_later(1, lambda: ran.append("no"))
    scheduler.cancel(event)
    assert scheduler.run_until_idle() == 0 and ran == []
    with pytest.raises(ValueError, match="negative"):
        scheduler.call_later(-1, lambda: None)


def test_a_design_that_never_settles_is_stopped_with_a_clear_error():
    scheduler = Scheduler(start=0)

    def again():
        scheduler.call_later(1, again)

    scheduler.call_later(0, again)
    with pytest.raises(RuntimeError, match="without becoming idle"):
        scheduler.run_until_idle(max_events=50)


# -- asynchronous invocation --------------------------------------------------------------------------------
@pytest.fixture
def cloud():
    """Overrides conftest's account: this one starts at a known simulated time (``deploy`` uses it)."""
    with Cloud(seed=3, start_time=START) as simulated:
        yield simulated


@pytest.fixture
def sim(cloud):
    return cloud


def queue(cloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def messages(cloud, url: str) -> list[dict]:
    received = cloud.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return received.get("Messages", [])


def send_event(cloud, name: str, event: dict) -> str:
    response = cloud.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(event)
    )
    assert response["StatusCode"] == 202
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_a_failing_event_is_tried_three_times_then_recorded_on_failure(sim, deploy):
    url, arn = queue(sim, "failures")
    name = deploy(FAILING, actions=["sqs:SendMessage"])
    sim.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    request_id = send_event(sim, name, {"id": 7})
    assert sim.trace.of_kind("invocation") == []  # accepted, not yet run: 202 comes first
    results = sim.run_pending()
    assert len(results) == 3 and all(r.function_error == "Unhandled" for r in results)
    assert {r.request_id for r in results} == {request_id}  # one request id across the retries
    times = [entry["time"] - START for entry in sim.trace.of_kind("invocation")]
    assert times == [0, 60, 180]  # one minute before the first retry, two before the second
    assert sim.clock() == START + 180

    [message] = messages(sim, url)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestPayload"] == {"id": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "bad order 7"


def test_maximum_retry_attempts_zero_means_one_attempt(sim, deploy):
    name = deploy(FAILING)
    sim.client("lambda").put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    send_event(sim, name, {"id": 1})
    assert len(sim.run_pending()) == 1
    assert sim.trace.of_kind("async_failed")[0]["condition"] == "RetriesExhausted"


def test_an_event_older_than_its_maximum_age_is_dropped(sim, deploy):
    url, arn = queue(sim, "too-old")
    name = deploy(FAILING, actions=["sqs:SendMessage"])
    sim.client("lambda").put_function_event_invoke_config(
        FunctionName=name,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    send_event(sim, name, {"id": 2})
    assert len(sim.run_pending()) == 2  # at 0 s and 60 s; at 180 s the event is older than 60 s
    record = json.loads(messages(sim, url)[0]["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2


def test_success_goes_to_the_on_success_destination_a_function(sim, deploy):
    url, arn = queue(sim, "audit")
    recorder = deploy(
        "import boto3, json\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl='{url}', MessageBody=json.dumps(event))\n",
        actions=["sqs:SendMessage"],
    )
    recorder_arn = sim.client("lambda").get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    name = deploy(WORKING, actions=["lambda:InvokeFunction"])
    sim.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": recorder_arn}}
    )
    send_event(sim, name, {"id": 9})
    results = sim.run_pending()
    assert [r.function_error for r in results] == [None, None]  # the function, then the destination
    record = json.loads(messages(sim, url)[0]["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"done": 9}
    assert "functionError" not in record["responseContext"]


def test_dead_letter_queue_gets_the_event_with_lambdas_attributes(sim, deploy):
    url, arn = queue(sim, "dlq")
    name = deploy(FAILING, actions=["sqs:SendMessage"], DeadLetterConfig={"TargetArn": arn})
    request_id = send_event(sim, name, {"id": 3})
    sim.run_pending()
    [message] = messages(sim, url)
    assert json.loads(message["Body"]) == {"id": 3}  # the event as it was, without a record around it
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == request_id
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert "bad order 3" in attributes["ErrorMessage"]["StringValue"]
    assert sim.trace.of_kind("dead_letter_delivered")


def test_reserved_concurrency_zero_sends_events_to_failure_handling_without_running(sim, deploy):
    url, arn = queue(sim, "parked")
    name = deploy(WORKING, actions=["sqs:SendMessage"])
    aws_lambda = sim.client("lambda")
    aws_lambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    aws_lambda.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    send_event(sim, name, {"id": 4})  # accepted (202) even though the function cannot run
    assert sim.run_pending() == []
    record = json.loads(messages(sim, url)[0]["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    assert sim.trace.of_kind("throttle")


def test_a_role_that_may_not_send_loses_the_record_and_the_trace_says_why(sim, deploy):
    url, arn = queue(sim, "forbidden")
    name = deploy(FAILING, actions=["s3:GetObject"])  # no sqs:SendMessage
    sim.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    send_event(sim, name, {"id": 5})
    sim.run_pending()
    assert messages(sim, url) == []
    [failure] = sim.trace.of_kind("destination_failed")
    assert "AccessDenied" in failure["error"] and "sqs:SendMessage" in failure["error"]


def test_the_same_seeds_and_start_time_give_the_same_trace(deploy_in):
    def run() -> list:
        with Cloud(seed=11, id_seed=5, start_time=START) as cloud:
            name = deploy_in(cloud, FAILING)
            send_event(cloud, name, {"id": 1})
            cloud.run_pending()
            keep = ("seq", "kind", "time", "cause", "request_id")
            return [{k: e.get(k) for k in keep} for e in cloud.trace if e["kind"] != "api_call"]

    assert run() == run()


@pytest.fixture
def deploy_in(zip_files):
    def _deploy(cloud, code: str) -> str:
        role = cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        cloud.client("lambda").create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": code})},
        )
        return "f"

    return _deploy
