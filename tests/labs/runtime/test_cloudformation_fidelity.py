"""Issue 15: published SAM applications deploy and behave as on AWS. One template per class of fault in
``templates/fidelity/``, written from the AWS documentation page each test names, deployed and driven end to
end; every template of the set deploys or fails with ``TemplateError`` only, also when mutated (hypothesis)."""

import contextlib
import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.runtime import Cloud
from labs.runtime.cloudformation import TemplateError, deploy
from labs.runtime.cloudformation.yaml_reading import decode_text, load_yaml

FIDELITY = Path(__file__).parent / "templates" / "fidelity"


def deploy_file(cloud, name: str, **kwargs):
    return deploy(cloud, (FIDELITY / name).read_text(), code_dir=FIDELITY, template_file=name, **kwargs)


def invoke(cloud, function_name: str, payload: dict | None = None) -> dict:
    answer = cloud.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(payload or {}))
    return json.loads(answer["Payload"].read())


# -- 1. YAML as CloudFormation reads it -------------------------------------------------------------------
# format-version-structure.html writes `AWSTemplateFormatVersion: 2010-09-09` unquoted; IAM's policy Version
# ("2012-10-17", reference_policies_elements_version.html) is the same kind of plain scalar.
def test_unquoted_dates_stay_the_text_written_in_policies_variables_and_outputs(cloud):
    stack = deploy_file(cloud, "yaml_scalars.yaml")
    assert stack.outputs == {"Opened": "2024-03-01"}
    role = cloud.client("iam").get_role(RoleName=stack.physical_id("ReaderRole"))["Role"]
    assert role["AssumeRolePolicyDocument"]["Version"] == "2012-10-17"
    variables = invoke(cloud, stack.physical_id("Reader"))["variables"]
    assert variables["OPENED"] == "2024-03-01"
    assert variables["ACCOUNT"] == "012345678901"  # a leading zero is kept: it is text
    assert variables["ENABLED"] == "yes"  # YAML 1.1's boolean spellings beyond true/false stay text


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2012-10-17", "2012-10-17"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("1:30", "1:30"),
        ("0755", "0755"),
        ("0x1F", "0x1F"),
        ("1_000", "1_000"),
        ("on", "on"),
        ("No", "No"),
        (".inf", ".inf"),
        ("!!timestamp 2012-10-17", "2012-10-17"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("8080", 8080),
        ("-3", -3),
        ("0.5", 0.5),
        ("1e3", 1000.0),
    ],
)
def test_only_json_scalars_are_typed(written, read):
    assert load_yaml(f"value: {written}") == {"value": read}


def test_a_scenario_file_reads_dates_as_text():
    from labs.runtime.scenario import load_scenario

    steps = load_scenario("- put-events: {entries: [{Detail: {day: 2024-03-01}}]}")
    assert steps == [("put-events", {"entries": [{"Detail": {"day": "2024-03-01"}}]})]


# -- 2. Type conversions CloudFormation makes ----------------------------------------------------------------
# aws-properties-lambda-function-environment.html (Variables: Object of String); parameters-section-structure.html
# (Ref of a Number parameter is its text); MemorySize / Timeout / VisibilityTimeout are Integer properties.
def test_numbers_and_booleans_become_strings_and_number_text_becomes_numbers(cloud):
    stack = deploy_file(cloud, "type_coercion.yaml", parameters={"Memory": 512})
    assert stack.outputs == {"Memory": "512"}
    server = stack.physical_id("Server")
    answer = invoke(cloud, server)
    assert answer["variables"] == {
        "PORT": "8080",
        "DEBUG": "true",
        "RATIO": "0.5",
        "OPENED": None,
        "ACCOUNT": None,
        "ENABLED": None,
        "MEMORY": "512",
    }
    configuration = cloud.client("lambda").get_function_configuration(FunctionName=server)
    assert (configuration["MemorySize"], configuration["Timeout"]) == (512, 10)
    assert (
        cloud.client("lambda").list_tags(Resource=configuration["FunctionArn"])["Tags"]["Generation"] == "2"
    )
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_id("Jobs"), AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attributes == {"VisibilityTimeout": "45"}
    table = cloud.client("dynamodb").describe_table(TableName=stack.physical_id("Counts"))["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


def test_a_value_that_is_no_number_is_still_refused(cloud):
    text = (FIDELITY / "type_coercion.yaml").read_text().replace('Timeout: "10"', "Timeout: ten")
    with pytest.raises(Exception) as raised:
        deploy(cloud, text, code_dir=FIDELITY)
    assert type(raised.value).__name__ == "TemplateError"


# -- 4. Nothing ignored silently ------------------------------------------------------------------------------
# sam-property-function-msk.html, sam-property-function-selfmanagedkafka.html, sam-property-function-functionurlconfig.html,
# aws-properties-lambda-function-tenancyconfig.html; sam-property-api-apiusageplan.html (CreateUsagePlan PER_API)
# and api-gateway-api-usage-plans.html (a method that requires a key answers 403 without one).
@pytest.fixture
def not_simulated(cloud):
    return deploy_file(cloud, "not_simulated.yaml")


def test_what_is_not_simulated_is_named_in_a_warning(not_simulated):
    warnings = {w.path.split("/")[1]: [] for w in not_simulated.warnings}
    for warning in not_simulated.warnings:
        warnings[warning.path.split("/")[1]].append(warning.message)
    assert all("valid on AWS, not simulated here: " in m for ms in warnings.values() for m in ms)
    assert "Amazon MSK event sources" in warnings["ConsumerOrders"][0]  # not "Invalid EventSourceArn"
    assert "self-managed Apache Kafka" in warnings["ConsumerPayments"][0]
    assert (
        "ConsumerUrl" not in warnings
    )  # function URLs, streaming ones too, are served (test_function_urls.py)
    assert "Tenant" not in warnings  # tenant isolation is simulated (test_lambda_tenancy.py)
    assert not not_simulated.resources["ConsumerOrders"].simulated


def test_kafka_mappings_are_not_made_and_the_function_url_exists(cloud, not_simulated):
    assert cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert (
        not_simulated.outputs["Url"].startswith("https://")
        and ".lambda-url.us-east-1.on.aws" in (not_simulated.outputs["Url"])
    )


def test_an_api_key_made_by_the_template_opens_the_api(cloud, not_simulated):
    api = not_simulated.physical_id("Api")
    url = f"https://{api}.execute-api.us-east-1.amazonaws.com/live/hello"
    assert cloud.http_request("GET", url).status == 403
    key = cloud.client("apigateway").get_api_key(
        apiKey=not_simulated.physical_id("ApiApiKey"), includeValue=True
    )
    answer = cloud.http_request("GET", url, headers={"x-api-key": key["value"]})
    assert answer.status == 200 and json.loads(answer.body) == {"path": "/hello"}


# -- 5. Small ones --------------------------------------------------------------------------------------------
def test_call_api_uses_the_stage_the_template_gave_the_api(cloud, not_simulated):
    import io

    from labs.runtime.scenario import load_scenario, run_scenario

    out = io.StringIO()
    steps = load_scenario("- call-api: {api: Api, path: /hello}")
    run_scenario(cloud, not_simulated, steps, out)
    assert out.getvalue().startswith("steps[0] call-api: HttpResponse(status=403")  # the key is missing
    [request] = cloud.trace.of_kind("apigateway_request")
    assert request["stage"] == "live" and request["route"] == "/hello"


def test_the_sam_translator_prints_nothing_during_a_deploy(cloud, capfd):
    text = (FIDELITY / "not_simulated.yaml").read_text()
    deploy(
        cloud,
        text.replace("StageName: live", "StageName: live\n      OpenApiVersion: 3.0.1"),
        code_dir=FIDELITY,
    )
    assert capfd.readouterr() == ("", "")


# -- 6. Fn::Transform with AWS::Include ---------------------------------------------------------------------
# transform-aws-include.html: a snippet from S3 replaces the transform, or is merged into the mapping that holds
# it; `sam deploy` uploads a local Location as it uploads CodeUri.
def put_shared_snippet(cloud) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="shared-snippets")
    snippet = {"Outbox": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5}}}
    s3.put_object(Bucket="shared-snippets", Key="outputs-queue.json", Body=json.dumps(snippet))


def test_included_snippets_from_s3_and_beside_the_template_are_deployed_and_served(cloud):
    put_shared_snippet(cloud)
    stack = deploy_file(cloud, "include.yaml")
    sqs = cloud.client("sqs")
    outbox = sqs.get_queue_attributes(QueueUrl=stack.physical_id("Outbox"), AttributeNames=["DelaySeconds"])
    jobs = sqs.get_queue_attributes(QueueUrl=stack.physical_id("Jobs"), AttributeNames=["VisibilityTimeout"])
    assert outbox["Attributes"] == {"DelaySeconds": "5"} and jobs["Attributes"] == {"VisibilityTimeout": "40"}
    url = f"https://{stack.physical_id('Api')}.execute-api.us-east-1.amazonaws.com/v1/hello"
    answer = cloud.http_request("GET", url)
    assert answer.status == 200 and json.loads(answer.body) == {"path": "/hello"}


def test_an_include_that_cannot_be_read_names_its_location(cloud):
    with pytest.raises(TemplateError) as raised:
        deploy_file(cloud, "include.yaml")
    [problem] = raised.value.problems
    assert problem.rule_id == "Transform" and "s3://shared-snippets/outputs-queue.json" in problem.message
    assert problem.path == "Resources/Fn::Transform" and problem.line == 5


# -- 7. API Gateway service integrations -------------------------------------------------------------------
# http-api-develop-integrations-aws-services-reference.html (SQS-SendMessage, EventBridge-PutEvents,
# StepFunctions-StartExecution) and http-api-parameter-mapping.html ($request.body.x, $request.path.x,
# $request.header.x, $request.querystring.x, ${...} inside text).
@pytest.fixture
def integrations(cloud):
    stack = deploy_file(cloud, "service_integrations.yaml")
    return stack, f"https://{stack.physical_id('Api')}.execute-api.us-east-1.amazonaws.com"


def test_an_http_api_sends_the_mapped_message_to_sqs_with_its_role(cloud, integrations):
    stack, base = integrations
    answer = cloud.http_request("POST", f"{base}/orders/book", body=json.dumps({"order": "o-1"}))
    assert answer.status == 200 and "MessageId" in json.loads(answer.body)
    [message] = cloud.client("sqs").receive_message(
        QueueUrl=stack.physical_id("Orders"), MessageAttributeNames=["All"]
    )["Messages"]
    assert message["Body"] == "o-1"
    assert message["MessageAttributes"] == {"kind": {"StringValue": "book", "DataType": "String"}}


def test_an_http_api_puts_events_that_rules_route(cloud, integrations):
    stack, base = integrations
    answer = cloud.http_request(
        "POST", f"{base}/events", headers={"x-detail-type": "Placed"}, body='{"id": 7}'
    )
    assert answer.status == 200 and json.loads(answer.body)["FailedEntryCount"] == 0
    cloud.run_until_idle()
    [message] = cloud.client("sqs").receive_message(QueueUrl=stack.physical_id("Audit"))["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop.api", "Placed", {"id": 7})


def test_an_http_api_starts_an_execution_named_by_the_query_string(cloud, integrations):
    stack, base = integrations
    answer = cloud.http_request("POST", f"{base}/workflows?name=run-1", body='{"id": 7}')
    assert answer.status == 200
    assert json.loads(answer.body)["executionArn"].endswith(":run-1")
    cloud.run_until_idle()
    [execution] = cloud.client("stepfunctions").list_executions(
        stateMachineArn=stack.physical_id("Workflow")
    )["executions"]
    assert execution["status"] == "SUCCEEDED"


def test_a_role_that_may_not_send_is_a_500_saying_why_in_the_trace(cloud, integrations):
    stack, base = integrations
    role = stack.physical_id("ApiRole")
    cloud.client("iam").delete_role_policy(RoleName=role, PolicyName="integrations")
    answer = cloud.http_request("POST", f"{base}/orders/book", body='{"order": "o-1"}')
    assert answer.status == 500 and json.loads(answer.body) == {"message": "Internal Server Error"}
    assert "may not call" in cloud.trace.of_kind("apigateway_request")[-1]["reason"]


# integrations-aws-services.html (an SQS path URI with a form body, DynamoDB action URIs with JSON bodies),
# api-gateway-mapping-template-reference.html ($input.body / path / params, $util.urlEncode / escapeJavaScript,
# $context.requestId, #set / #foreach / #if) and api-gateway-integration-settings-integration-response.html
# (the response whose selection pattern matches the status, else the default).
def legacy_url(stack, path: str) -> str:
    return f"https://{stack.physical_id('Legacy')}.execute-api.us-east-1.amazonaws.com/v1{path}"


def test_a_rest_aws_integration_sends_the_body_the_request_template_makes(cloud, integrations):
    stack, _ = integrations
    answer = cloud.http_request("POST", legacy_url(stack, "/orders"), body='{"order": "o 1&2"}')
    [message] = cloud.client("sqs").receive_message(QueueUrl=stack.physical_id("Orders"))["Messages"]
    assert message["Body"] == '{"order": "o 1&2"}'  # $util.urlEncode kept it whole through the form body
    assert answer.status == 202 and json.loads(answer.body) == {"queued": message["MessageId"]}


def test_rest_mapping_templates_write_and_read_dynamodb_items(cloud, integrations):
    stack, _ = integrations
    note = {"text": 'say "hi"', "tags": ["a", "b"]}
    answer = cloud.http_request("PUT", legacy_url(stack, "/notes/n1"), body=json.dumps(note))
    assert answer.status == 201 and json.loads(answer.body) == {"saved": "n1"}
    item = cloud.client("dynamodb").get_item(TableName="notes", Key={"id": {"S": "n1"}})["Item"]
    assert item["text"] == {"S": 'say "hi"'} and item["tags"] == {"SS": ["a", "b"]}
    [put] = cloud.trace.of_kind("apigateway_request")
    assert item["request"] == {"S": put["request_id"]}  # $context.requestId
    found = cloud.http_request("GET", legacy_url(stack, "/notes/n1"))
    assert found.status == 200 and found.body.strip() == b'{"id": "n1", "text": "say "hi""}'
    missing = cloud.http_request("GET", legacy_url(stack, "/notes/zz"))
    assert json.loads(missing.body) == {"missing": True}


def test_a_service_error_selects_the_response_whose_pattern_matches_its_status(cloud, integrations):
    stack, _ = integrations
    answer = cloud.http_request("PUT", legacy_url(stack, "/notes/n2"), body='{"text": "x", "tags": []}')
    assert answer.status == 400 and "may not be empty" in json.loads(answer.body)["error"]


def test_an_http_integration_warns_at_deploy_and_answers_a_500_that_says_not_simulated(cloud, integrations):
    stack, _ = integrations
    [warning] = [w for w in stack.warnings if w.path == "Resources/Legacy"]
    assert "valid on AWS, not simulated here: REST API integrations of type HTTP" in warning.message
    answer = cloud.http_request("GET", legacy_url(stack, "/mock"))
    assert answer.status == 500 and "not simulated" in json.loads(answer.body)["message"]


# -- every template of the set, as written and mutated ------------------------------------------------------
ALL_TEMPLATES = sorted([*FIDELITY.glob("*.yaml"), *FIDELITY.parent.glob("*.yaml")])


@pytest.mark.parametrize("path", ALL_TEMPLATES, ids=lambda p: p.name)
def test_each_template_deploys_or_fails_with_a_template_error(cloud, path):
    try:
        deploy(cloud, path.read_text(), code_dir=path.parent, template_file=path.name)
    except TemplateError as error:
        assert error.problems and all(p.message for p in error.problems)


# template-anatomy.html: Parameters, Mappings, Resources, Outputs (and SAM's Globals) are mappings of mappings.
# Found by the fuzz test below: a Parameters list was a TypeError.
@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("Parameters", "[{Memory: {Type: Number}}]", "Parameters must be a mapping"),
        ("Outputs", "{Url: just-text}", "Outputs/Url must be a mapping"),
        ("Mappings", "[1, 2]", "Mappings must be a mapping"),
    ],
)
def test_a_section_of_the_wrong_shape_is_a_template_error(cloud, section, value, message):
    text = f"{section}: {value}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
    with pytest.raises(TemplateError) as raised:
        deploy(cloud, text)
    assert any(message in problem.message for problem in raised.value.problems)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


_ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=5,
)


def _mutate(data, template: dict) -> dict:
    """One random change at a random place: a value replaced, a key removed or renamed, a list emptied."""
    template = copy.deepcopy(template)
    paths = [p for p in _paths(template) if p]
    *parents, last = data.draw(st.sampled_from(paths))
    parent = template
    for key in parents:
        parent = parent[key]
    change = data.draw(st.sampled_from(["replace", "remove", "rename", "wrap"]))
    if change == "remove" and isinstance(parent, dict):
        del parent[last]
    elif change == "rename" and isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=12))] = parent.pop(last)
    elif change == "wrap":
        parent[last] = [parent[last]]
    else:
        parent[last] = data.draw(_ANY_VALUE)
    return template


_DECODED = {path.name: json.loads(json.dumps(decode_text(path.read_text())[0])) for path in ALL_TEMPLATES}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_a_mutated_template_deploys_or_fails_with_a_template_error(data):
    name = data.draw(st.sampled_from(sorted(_DECODED)))
    mutated = _mutate(data, _DECODED[name])
    with Cloud(seed=5) as cloud, contextlib.suppress(TemplateError):  # anything else fails the test
        deploy(
            cloud,
            json.dumps(mutated),
            code_dir=FIDELITY if (FIDELITY / name).exists() else FIDELITY.parent,
        )
