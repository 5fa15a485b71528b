"""The http-api lab: graded through a real HTTP API (API Gateway in the runtime) in front of the student's
function and a DynamoDB table."""

import pytest

from labs.grading import CATALOG_DIR, grade, load_lab


@pytest.fixture(scope="module")
def lab():
    return load_lab(CATALOG_DIR / "http-api")


def failed(report) -> dict[str, str]:
    return {check["id"]: check["message"] for check in report["checks"] if not check["passed"]}


def test_the_lab_belongs_to_the_api_gateway_lesson(lab):
    assert (lab.course, lab.lesson, lab.editable) == ("serverless", "api-gateway", ["app.py"])
    assert lab.visibility["decimal_prices"] == "hidden"


def test_the_solution_scores_full_marks_through_the_api(lab):
    report = grade(lab, lab.solution)
    assert failed(report) == {}
    assert report["score"] == report["max_score"] == 16
    requests = [entry for entry in report["trace"] if entry["kind"] == "apigateway_request"]
    assert {entry["route"] for entry in requests} == {"POST /items", "GET /items/{id}", "DELETE /items/{id}"}
    assert {entry["status"] for entry in requests} == {201, 200, 204, 400, 404}
    by_seq = {entry["seq"]: entry for entry in report["trace"]}
    # every invocation was caused by a request to the API
    assert all(by_seq[entry["cause"]]["kind"] == "apigateway_request" for entry in report["invocations"])


def test_the_starter_scores_nothing_and_each_message_says_what_came_back(lab):
    messages = failed(grade(lab, lab.starter))
    assert set(messages) == {check.id for check in lab.checks}
    assert "POST /items answered 200" in messages["creates_item"]
    assert "returns a plain dict gets 200" in messages["creates_item"]
    assert "answered 500" in messages["unknown_item_is_404"]
    assert "the function failed: KeyError" in messages["unknown_item_is_404"]


def test_a_body_that_is_not_a_string_is_reported_as_api_gateway_saw_it(lab):
    code = lab.solution["app.py"].replace(
        'response["body"] = json.dumps(body, default=_json_number)', 'response["body"] = body'
    )
    assert code != lab.solution["app.py"]
    messages = failed(grade(lab, {"app.py": code}, visible_only=True))
    assert "Malformed Lambda proxy response: body must be a string" in messages["creates_item"]


# Passes every visible check, but stores floats (DynamoDB refuses them) and writes Decimals as integers.
VISIBLE_ONLY = """
import json, os, uuid
import boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def answer(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body, default=int)}

def handler(event, context):
    if event["routeKey"] == "POST /items":
        item = dict(json.loads(event["body"]), id=str(uuid.uuid4()))
        table.put_item(Item=item)
        return answer(201, item)
    item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return answer(200, item) if item else answer(404, {"error": "not found"})
"""


def test_the_hidden_case_catches_a_submission_that_only_passes_the_visible_checks(lab):
    visible = grade(lab, {"app.py": VISIBLE_ONLY}, visible_only=True)
    assert visible["score"] == visible["max_score"]
    full = failed(grade(lab, {"app.py": VISIBLE_ONLY}))
    assert set(full) == {"rejects_invalid_input", "deletes_item", "decimal_prices"}
    assert "the function failed: TypeError" in full["decimal_prices"]
