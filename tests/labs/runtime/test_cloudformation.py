"""Deploying SAM / CloudFormation templates: intrinsic functions, parameters, conditions, the SAM transform,
cfn-lint errors, dependency cycles, unsupported types, the configuration boto3 sees, and the deploy CLI."""

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from labs.runtime import Cloud
from labs.runtime.__main__ import main
from labs.runtime.cloudformation import TemplateError, deploy
from labs.runtime.cloudformation.intrinsics import NO_VALUE, IntrinsicError, Resolver, references

TEMPLATES = Path(__file__).parent / "templates"
REPO_ROOT = Path(__file__).resolve().parents[3]


def read(name: str) -> str:
    return (TEMPLATES / name).read_text()


# -- intrinsic functions, one by one ---------------------------------------------------------------------
@pytest.fixture
def resolver():
    resources = {
        "Queue": ("https://queue-url", {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "QueueName": "q"})
    }

    def ref(name):
        if name not in resources:
            raise KeyError(f"Ref {name}: no parameter or resource of that name")
        return resources[name][0]

    def get_att(name, attribute):
        return resources[name][1][attribute]

    return Resolver(
        parameters={"Env": "prod", "Count": 3, "Zones": ["a", "b"]},
        pseudo={
            "AWS::Region": "eu-west-1",
            "AWS::AccountId": "123456789012",
            "AWS::StackName": "s",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        mappings={"Sizes": {"prod": {"Memory": 512}}},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Loop": {"Condition": "Loop2"},
            "Loop2": {"Fn::Not": [{"Condition": "Loop"}]},
        },
        ref=ref,
        get_att=get_att,
        imports={"shared-bucket": "bucket-1"},
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "Queue"}, "https://queue-url"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:us-east-1:123456789012:q"),
        ({"Fn::GetAtt": "Queue.QueueName"}, "q"),
        ({"Fn::Sub": "${AWS::StackName}-${Env}-${Queue.QueueName}-${!Keep}"}, "s-prod-q-${Keep}"),
        ({"Fn::Sub": ["${A}/${Queue}", {"A": {"Ref": "AWS::AccountId"}}]}, "123456789012/https://queue-url"),
        ({"Fn::Join": [":", ["a", {"Ref": "Env"}, 3]]}, "a:prod:3"),
        ({"Fn::Join": [",", {"Ref": "Zones"}]}, "a,b"),
        ({"Fn::Select": ["1", {"Ref": "Zones"}]}, "b"),
        ({"Fn::Split": [":", "a:b:c"]}, ["a", "b", "c"]),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}, 512),
        ({"Fn::FindInMap": ["Sizes", "dev", "Memory", {"DefaultValue": 128}]}, 128),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"Fn::Select": [0, {"Fn::GetAZs": "us-east-1"}]}, "us-east-1a"),
        ({"Fn::Base64": {"Fn::Sub": "${Env}"}}, "cHJvZA=="),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["IsDev", "big", "small"]}, "small"),
        ({"Fn::Equals": [{"Ref": "Count"}, "3"]}, True),
        ({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]}, True),
        ({"Fn::Or": [{"Condition": "IsDev"}, {"Fn::Equals": ["a", "b"]}]}, False),
        ({"Fn::Not": [{"Condition": "IsDev"}]}, True),
        ({"Fn::ImportValue": "shared-bucket"}, "bucket-1"),
        ({"Ref": "AWS::NoValue"}, NO_VALUE),
        ({"Keep": 1, "Drop": {"Fn::If": ["IsDev", 1, {"Ref": "AWS::NoValue"}]}}, {"Keep": 1}),
        ([1, {"Ref": "AWS::NoValue"}, 2], [1, 2]),
    ],
)
def test_each_intrinsic_function(resolver, expression, expected):
    assert resolver.resolve(expression, ["Outputs", "X"]) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"Fn::Select": [5, ["a"]]}, "cannot select item 5 of a list of 1"),
        ({"Fn::FindInMap": ["Sizes", "dev", "Memory"]}, "Mappings has no Sizes > dev > Memory"),
        ({"Fn::If": ["Nope", 1, 2]}, "Condition 'Nope' is not defined"),
        ({"Condition": "Loop"}, "Conditions refer to each other in a loop: Loop -> Loop2 -> Loop"),
        ({"Fn::Sub": "${Zones}"}, "${Zones} is not a string or number"),
        ({"Ref": "Missing"}, "Ref Missing: no parameter or resource of that name"),
        ({"Fn::ImportValue": "nope"}, "No export named nope"),
        ({"Fn::Join": [",", "not-a-list"]}, "Fn::Join takes [Delimiter, [Value, ...]]"),
        ({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, "Fn::Cidr is not supported"),
    ],
)
def test_intrinsic_errors_name_the_function_and_path(resolver, expression, message):
    with pytest.raises(IntrinsicError) as caught:
        resolver.resolve({"Value": expression}, ["Outputs", "X"])
    assert message in caught.value.message
    # a loop is located where it is, in Conditions; every other error where the function is used
    expected = ["Conditions", "Loop"] if "loop" in message else ["Outputs", "X", "Value"]
    assert caught.value.path[: len(expected)] == expected


def test_references_follow_ref_getatt_and_sub_but_not_sub_variables():
    value = {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": "Table.Arn"},
        "C": {"Fn::Sub": ["${Local}-${Bucket}-${Fn.Arn}", {"Local": {"Ref": "Topic"}}]},
        "D": {"Fn::Sub": "${AWS::Region}-${!Literal}"},
        "E": {"Fn::Sub": [{"Fn::Join": ["", ["${X}", {"Ref": "Built"}]]}, {}]},
    }
    assert references(value) == {"Queue", "Table", "Topic", "Bucket", "Fn", "AWS::Region", "Built"}


# -- parameters, conditions, mappings, outputs ---------------------------------------------------------------
def test_intrinsics_template_outputs(cloud):
    stack = deploy(cloud, read("intrinsics.yaml"), stack_name="calc", template_file="intrinsics.yaml")
    account = cloud.account_id
    assert stack.outputs == {
        "Ref": f"https://sqs.us-east-1.amazonaws.com/{account}/orders-dev",
        "GetAtt": f"arn:aws:sqs:us-east-1:{account}:orders-dev",
        "GetAttList": "orders-dev",
        "SubString": f"calc/us-east-1/{account}/aws/amazonaws.com/${{Literal}}",
        "SubWithMap": "orders in us-east-1 (orders-dev)",
        "Join": "dev-b-us-east-1a",
        "Split": "sqs",
        "Base64": "aGVsbG8=",
        "IfProd": "development",
        "Conditions": "dev,long,either",
        "Visibility": 30,
        "Exported": "orders",
    }
    assert "ProdOnlyQueue" not in stack.resources  # its condition is false
    assert stack.parameters["Secret"] == "****"  # NoEcho
    # a Number parameter is validated as a number and referenced as its text (parameters-section-structure.html)
    assert stack.parameters["Retention"] == "345600" and stack.parameters["Zones"] == ["a", "b", "c"]
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.outputs["Ref"], AttributeNames=["All"]
    )
    assert attributes["Attributes"]["VisibilityTimeout"] == "30"
    assert attributes["Attributes"]["MessageRetentionPeriod"] == "345600"
    assert attributes["Attributes"]["DelaySeconds"] == "0"  # Fn::If chose AWS::NoValue
    assert [str(w) for w in stack.warnings] == [
        "intrinsics.yaml:17: W2001 Parameter Secret not used. (at Parameters/Secret)"
    ]


def test_parameters_switch_conditions_and_mappings(cloud):
    stack = deploy(cloud, read("intrinsics.yaml"), parameters={"Env": "prod", "Prefix": "shop"})
    assert stack.outputs["IfProd"] == "production"
    assert stack.outputs["Visibility"] == 120
    assert stack.outputs["Conditions"] == "x,x,either"
    assert stack.outputs["OnlyInProd"] == stack.physical_id("ProdOnlyQueue")
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.outputs["Ref"], AttributeNames=["All"]
    )
    assert attributes["Attributes"]["DelaySeconds"] == "5"
    assert stack.physical_id("Queue").endswith("/shop-prod")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Env": "test"}, "Parameter 'Env' must be one of AllowedValues: dev, prod"),
        ({"Prefix": "Orders1"}, "Parameter 'Prefix' must match pattern [a-z]+"),
        ({"Retention": "10"}, "Parameter 'Retention' must be a number not less than 60"),
        ({"Retention": "ten"}, "Parameter 'Retention' must be a number"),
        ({"Nope": "1"}, "Parameters: [Nope] do not exist in the template"),
    ],
)
def test_parameter_errors(cloud, parameters, message):
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, read("intrinsics.yaml"), parameters=parameters, template_file="intrinsics.yaml")
    assert message in str(caught.value)
    assert caught.value.file == "intrinsics.yaml"
    assert caught.value.path.startswith("Parameters")
    assert caught.value.line is not None


def test_a_parameter_without_default_must_be_given(cloud):
    template = "Parameters:\n  Name:\n    Type: String\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Name\n"
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, template)
    assert "Parameters: [Name] must have values" in str(caught.value)
    assert (caught.value.path, caught.value.line) == ("Parameters/Name", 2)
    assert deploy(cloud, template, parameters={"Name": "given"}).physical_id("Q").endswith("/given")


def test_exports_are_imported_by_a_later_stack_and_are_unique(cloud):
    deploy(cloud, read("intrinsics.yaml"), stack_name="first")
    later = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      TopicName: !Sub\n        - '${Prefix}-events'\n        - Prefix: !ImportValue first-prefix\n"
    )
    assert deploy(cloud, later, stack_name="second").physical_id("Topic").endswith(":orders-events")
    with pytest.raises(TemplateError, match="Export first-prefix is already exported"):
        deploy(cloud, read("intrinsics.yaml").replace("orders", "other"), stack_name="first")


# -- the SAM application, as boto3 sees it -------------------------------------------------------------------
@pytest.fixture(scope="module")
def sam_app():
    with Cloud(seed=11) as simulated:
        stack = deploy(simulated, read("sam_app.yaml"), code_dir=TEMPLATES, template_file="sam_app.yaml")
        yield simulated, stack


def test_sam_functions_are_created_with_globals_and_code(sam_app):
    cloud, stack = sam_app
    config = cloud.client("lambda").get_function_configuration(
        FunctionName=stack.physical_id("OrderFunction")
    )
    assert (config["Handler"], config["Runtime"], config["MemorySize"], config["Timeout"]) == (
        "app.on_order",
        "python3.12",
        256,
        10,
    )
    assert config["Environment"]["Variables"] == {
        "TABLE_NAME": stack.physical_id("OrdersTable"),
        "TOPIC_ARN": stack.physical_id("OrderEvents"),
    }
    assert config["Role"] == stack.resources["OrderFunctionRole"].attributes["Arn"]


def test_sam_policy_templates_expand_into_role_policies(sam_app):
    cloud, stack = sam_app
    iam = cloud.client("iam")
    role = stack.physical_id("OrderFunctionRole")
    crud = iam.get_role_policy(RoleName=role, PolicyName="OrderFunctionRolePolicy0")["PolicyDocument"]
    table_arn = stack.resources["OrdersTable"].attributes["Arn"]
    assert "dynamodb:PutItem" in crud["Statement"][0]["Action"]
    assert crud["Statement"][0]["Resource"][0] == table_arn
    publish = iam.get_role_policy(RoleName=role, PolicyName="OrderFunctionRolePolicy1")["PolicyDocument"]
    assert publish["Statement"][0]["Resource"] == stack.physical_id("OrderEvents")
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert attached == {"AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"}
    send = iam.get_role_policy(
        RoleName=stack.physical_id("UploadFunctionRole"), PolicyName="UploadFunctionRolePolicy0"
    )
    assert (
        send["PolicyDocument"]["Statement"][0]["Resource"] == stack.resources["OrdersQueue"].attributes["Arn"]
    )
    poll = iam.get_role_policy(
        RoleName=stack.physical_id("UploadFunctionRole"), PolicyName="UploadFunctionRolePolicy1"
    )
    statement = poll["PolicyDocument"]["Statement"][0]
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(statement["Action"])  # SQSPollerPolicy
    assert statement["Resource"] == stack.resources["OrdersDlq"].attributes["Arn"]


def test_sam_events_become_mappings_subscriptions_notifications_and_rules(sam_app):
    cloud, stack = sam_app
    lam = cloud.client("lambda")
    (mapping,) = lam.list_event_source_mappings(FunctionName=stack.physical_id("OrderFunction"))[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == stack.resources["OrdersQueue"].attributes["Arn"]
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (5, ["ReportBatchItemFailures"])

    notify_arn = stack.resources["NotifyFunction"].attributes["Arn"]
    (subscription,) = cloud.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.physical_id("OrderEvents")
    )["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("lambda", notify_arn)
    attributes = cloud.client("sns").get_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"]
    )["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"kind": ["placed"]}

    notification = cloud.client("s3").get_bucket_notification_configuration(
        Bucket=stack.physical_id("Uploads")
    )
    (lambda_config,) = notification["LambdaFunctionConfigurations"]
    assert lambda_config["LambdaFunctionArn"] == stack.resources["UploadFunction"].attributes["Arn"]
    assert lambda_config["Events"] == ["s3:ObjectCreated:*"]
    assert lambda_config["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".json"}]

    events = cloud.client("events")
    shipped = events.describe_rule(Name=stack.physical_id("NotifyFunctionShipped"))
    assert json.loads(shipped["EventPattern"]) == {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}
    nightly = events.describe_rule(Name=stack.physical_id("NotifyFunctionNightly"))
    assert nightly["ScheduleExpression"] == "rate(1 day)"
    (target,) = events.list_targets_by_rule(Rule=stack.physical_id("NotifyFunctionShipped"))["Targets"]
    assert target["Arn"] == notify_arn

    policy = json.loads(lam.get_policy(FunctionName=stack.physical_id("NotifyFunction"))["Policy"])
    principals = sorted(str(s["Principal"]) for s in policy["Statement"])
    assert len(principals) == 4 and any("sns.amazonaws.com" in p for p in principals)


def test_sam_state_machine_table_stream_and_rest_api(sam_app):
    cloud, stack = sam_app
    machine = cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.physical_id("Fulfilment")
    )
    definition = json.loads(machine["definition"])
    assert (
        definition["States"]["Notify"]["Parameters"]["FunctionName"]
        == stack.resources["NotifyFunction"].attributes["Arn"]
    )
    assert machine["roleArn"] == stack.resources["FulfilmentRole"].attributes["Arn"]

    table = cloud.client("dynamodb").describe_table(TableName=stack.physical_id("OrdersTable"))["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert stack.resources["OrdersTable"].attributes["StreamArn"] == table["LatestStreamArn"]

    apigateway = cloud.client("apigateway")
    api_id = stack.physical_id("ServerlessRestApi")
    paths = {item["path"]: item for item in apigateway.get_resources(restApiId=api_id)["items"]}
    assert set(paths) == {"/", "/orders", "/orders/{id}"}
    integration = apigateway.get_integration(
        restApiId=api_id, resourceId=paths["/orders/{id}"]["id"], httpMethod="GET"
    )
    assert integration["type"] == "AWS_PROXY"
    assert stack.resources["NotifyFunction"].attributes["Arn"] in integration["uri"]
    assert {s["stageName"] for s in apigateway.get_stages(restApiId=api_id)["item"]} >= {"Prod"}
    assert stack.outputs["ApiUrl"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/Prod/orders"

    redrive = cloud.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_id("OrdersQueue"), AttributeNames=["RedrivePolicy"]
    )
    assert (
        json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
        == stack.resources["OrdersDlq"].attributes["Arn"]
    )


def test_deployed_sam_app_runs_with_its_expanded_permissions(sam_app):
    cloud, stack = sam_app
    cloud.client("sqs").send_message(
        QueueUrl=stack.outputs["QueueUrl"], MessageBody=json.dumps({"key": "o-1.json"})
    )
    cloud.run_until_idle()
    items = cloud.client("dynamodb").scan(TableName=stack.physical_id("OrdersTable"))["Items"]
    assert items == [{"id": {"S": "o-1.json"}}]
    calls = [r for r in cloud.trace.of_kind("api_call") if r["principal"] != "host"]
    assert {(c["operation"], c["outcome"]) for c in calls} == {("PutItem", "ok"), ("Publish", "ok")}


def test_sam_lambda_options(cloud):
    stack = deploy(cloud, read("sam_lambda_options.yaml"), code_dir=TEMPLATES)
    lam = cloud.client("lambda")
    name = stack.physical_id("Greeter")
    function = lam.get_function(FunctionName=name)
    assert [layer["Arn"] for layer in function["Configuration"]["Layers"]] == [
        stack.physical_id("Shared796c4ea0fa")
    ]
    assert function["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    assert cloud.lambda_.dead_letter_target(name) == stack.resources["DeadLetters"].attributes["Arn"]
    config = lam.get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (1, 600)
    assert (
        config["DestinationConfig"]["OnFailure"]["Destination"]
        == stack.resources["Failures"].attributes["Arn"]
    )
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    (mapping,) = lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["EventSourceArn"] == stack.resources["Clicks"].attributes["Arn"]
    assert mapping["FilterCriteria"] == {"Filters": [{"Pattern": '{"data": {"kind": ["click"]}}'}]}
    v2 = cloud.client("apigatewayv2")
    api_id = stack.physical_id("ServerlessHttpApi")
    (route,) = v2.get_routes(ApiId=api_id)["Items"]
    (integration,) = v2.get_integrations(ApiId=api_id)["Items"]
    assert (
        route["RouteKey"] == "GET /hello"
        and route["Target"] == f"integrations/{integration['IntegrationId']}"
    )
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    assert stack.physical_id("GreeterAliaslive") in integration["IntegrationUri"]


# -- errors and warnings ---------------------------------------------------------------------------------
def test_cfn_lint_errors_stop_the_deploy_with_rule_id_path_and_line(cloud):
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, read("lint_error.yaml"), template_file="lint_error.yaml")
    error = caught.value
    assert (error.rule_id, error.line, error.path) == (
        "E3002",
        7,
        "Resources/Queue/Properties/MaxReceiveCount",
    )
    assert [(p.rule_id, p.line) for p in error.problems] == [("E3002", 7), ("E1010", 11)]
    assert (
        "lint_error.yaml:7: E3002 Additional properties are not allowed ('MaxReceiveCount' was unexpected)"
        in str(error)
    )
    assert cloud.client("sqs").list_queues().get("QueueUrls", []) == []  # nothing was created


def test_yaml_syntax_error_has_its_line(cloud):
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n   Properties: [\n")
    assert caught.value.rule_id == "E0000" and caught.value.line == 4


def test_sam_translation_error_names_the_resource(cloud):
    template = read("sam_cycle.yaml").replace("          BUCKET: !Ref Photos\n", "          BUCKET: x\n")
    template = template.replace("Bucket: !Ref Photos", "Bucket: some-bucket-not-in-this-template")
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, template, code_dir=TEMPLATES, template_file="t.yaml")
    assert caught.value.rule_id == "Transform"
    assert caught.value.path == "Resources/Thumbnailer"
    assert "S3 events must reference an S3 bucket in the same template" in str(caught.value)


def test_dependency_cycle_after_the_sam_transform_is_an_error(cloud):
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, read("sam_cycle.yaml"), code_dir=TEMPLATES, template_file="sam_cycle.yaml")
    assert "Circular dependency between resources: Photos -> Thumbnailer -> Photos" in str(caught.value)
    assert (caught.value.path, caught.value.line, caught.value.rule_id) == ("Resources/Photos", 4, None)


def test_plain_cloudformation_cycle_is_reported_by_cfn_lint(cloud):
    template = """Resources:
  A:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt B.Arn, maxReceiveCount: 2}
  B:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt A.Arn, maxReceiveCount: 2}
"""
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, template)
    assert [(p.rule_id, p.line) for p in caught.value.problems] == [("E3004", 2), ("E3004", 6)]


def test_unsupported_resource_type_is_a_warning(cloud):
    stack = deploy(cloud, read("unsupported.yaml"), template_file="unsupported.yaml")
    assert [str(w) for w in stack.warnings] == [
        "unsupported.yaml:5: Network: AWS::EC2::VPC is not simulated; the resource was not created (at Resources/Network)"
    ]
    assert stack.resources["Network"].simulated is False
    assert stack.resources["Queue"].simulated is True


def test_a_failing_resource_is_reported_with_the_aws_message(cloud):
    template = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/NoSuchPolicyAnywhere]
"""
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, template)
    assert caught.value.path == "Resources/Role" and caught.value.line == 2
    assert (
        "Role (AWS::IAM::Role) CREATE_FAILED: Policy arn:aws:iam::aws:policy/NoSuchPolicyAnywhere does not exist"
        in str(caught.value)
    )
    assert "ROLLBACK_COMPLETE: deleted the 1 resource this deploy had created" in str(caught.value)
    assert cloud.client("iam").list_roles()["Roles"] == []  # the role existed before attaching failed


def test_code_outside_the_code_directory_is_refused(cloud, tmp_path):
    (tmp_path / "code").mkdir()
    template = (
        read("sam_cycle.yaml")
        .replace("CodeUri: src/", "CodeUri: ../../etc/")
        .replace("BUCKET: !Ref Photos", "BUCKET: x")
    )
    with pytest.raises(TemplateError, match="CodeUri '../../etc/' points outside the code directory"):
        deploy(cloud, template, code_dir=tmp_path / "code")


def test_deploy_never_reaches_the_network(cloud, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access during deploy")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    stack = deploy(cloud, read("sam_lambda_options.yaml"), code_dir=TEMPLATES)
    assert "Greeter" in stack.resources


# -- the deploy CLI --------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labs.runtime", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )


def test_cli_deploys_runs_the_scenario_and_prints_trace_and_state(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "- send-message: {queue: OrdersQueue, body: {key: from-cli.json}}\n"
        "- invoke: {function: NotifyFunction, payload: {hello: cli}}\n"
        "- call-api: {path: /orders/7}\n"
        "- advance-time: 30\n"
        "- run-until-idle\n"
    )
    result = run_cli(
        "deploy", str(TEMPLATES / "sam_app.yaml"), "--scenario", str(scenario), "--parameter", "Stage=prod"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "OrderFunction" in out and "AWS::Lambda::Function" in out
    assert "steps[0] send-message: MessageId" in out
    assert 'steps[1] invoke: StatusCode 200 {"statusCode": 200' in out
    assert "steps[2] call-api:" in out
    assert "== trace" in out and " invocation " in out and " sqs_batch " in out
    assert "item(s)" in out and "from-cli.json" in out.split("== final state", 1)[1]


def test_cli_scenario_errors_name_the_step_and_field(tmp_path, capsys):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("- run-until-idle\n- send-message: {body: hi}\n")
    assert main(["deploy", str(TEMPLATES / "unsupported.yaml"), "--scenario", str(scenario)]) == 1
    assert "bad.yaml: steps[1] (send-message): field 'queue' is required" in capsys.readouterr().err


def test_cli_refuses_an_unknown_scenario_action_before_deploying(tmp_path, capsys):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("- send-mesage: {queue: Q, body: hi}\n")
    assert main(["deploy", str(TEMPLATES / "unsupported.yaml"), "--scenario", str(scenario)]) == 2
    assert "steps[0]: unknown action 'send-mesage'" in capsys.readouterr().err


def test_cli_template_errors_exit_1_with_rule_and_line(capsys):
    assert main(["deploy", str(TEMPLATES / "lint_error.yaml")]) == 1
    assert "lint_error.yaml:7: E3002" in capsys.readouterr().err


# -- plain CloudFormation resources ------------------------------------------------------------------------
def test_plain_resources_are_configured_through_their_apis(cloud):
    stack = deploy(cloud, read("plain_resources.yaml"), template_file="plain_resources.yaml")
    assert stack.warnings == []
    arn = {lid: r.attributes.get("Arn") for lid, r in stack.resources.items()}
    sqs, sns = cloud.client("sqs"), cloud.client("sns")

    jobs = sqs.get_queue_attributes(QueueUrl=stack.physical_id("Jobs"), AttributeNames=["All"])["Attributes"]
    assert (jobs["FifoQueue"], jobs["ContentBasedDeduplication"], jobs["VisibilityTimeout"]) == (
        "true",
        "true",
        "45",
    )
    assert stack.physical_id("Jobs").endswith(".fifo")
    inbox = sqs.get_queue_attributes(QueueUrl=stack.physical_id("Inbox"), AttributeNames=["Policy"])[
        "Attributes"
    ]
    assert json.loads(inbox["Policy"])["Statement"][0]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": stack.physical_id("Alerts")}
    }

    topic = sns.get_topic_attributes(TopicArn=stack.physical_id("Alerts"))["Attributes"]
    assert topic["DisplayName"] == "Alerts"
    assert json.loads(topic["Policy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    endpoints = {
        s["Endpoint"]: s["SubscriptionArn"]
        for s in sns.list_subscriptions_by_topic(TopicArn=stack.physical_id("Alerts"))["Subscriptions"]
    }
    assert set(endpoints) == {
        arn["Inbox"],
        arn["InboxDlq"],
    }  # the Subscription property and the Subscription resource
    attributes = sns.get_subscription_attributes(SubscriptionArn=stack.physical_id("InboxSubscription"))[
        "Attributes"
    ]
    assert (attributes["RawMessageDelivery"], attributes["FilterPolicyScope"]) == ("true", "MessageBody")
    assert json.loads(attributes["FilterPolicy"]) == {"severity": ["high"]}
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": arn["InboxDlq"]}

    s3 = cloud.client("s3")
    bucket = stack.physical_id("Media")
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    (queue_config,) = notification["QueueConfigurations"]
    assert (queue_config["QueueArn"], queue_config["Events"]) == (arn["Inbox"], ["s3:ObjectCreated:*"])
    assert queue_config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "uploads/"}]
    (topic_config,) = notification["TopicConfigurations"]
    assert (topic_config["TopicArn"], topic_config["Events"]) == (
        stack.physical_id("Alerts"),
        ["s3:ObjectRemoved:*"],
    )
    from moto.s3.models import s3_backends

    # moto keeps EventBridgeConfiguration (an empty object, as in the API) but does not echo it back
    assert s3_backends[cloud.account_id]["aws"].buckets[bucket].notification_configuration.event_bridge == {}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    ttl = cloud.client("dynamodb").describe_time_to_live(TableName=stack.physical_id("Sessions"))[
        "TimeToLiveDescription"
    ]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")

    events = cloud.client("events")
    assert (
        stack.outputs["RuleRef"] == f"shop|{stack.physical_id('OrderRule').split('|')[1]}"
    )  # Ref on a custom bus
    rule_name = stack.physical_id("OrderRule").split("|")[1]
    rule = events.describe_rule(Name=rule_name, EventBusName="shop")
    assert json.loads(rule["EventPattern"])["detail"] == {"total": [{"numeric": [">", 100]}]}
    inbox_target, jobs_target = events.list_targets_by_rule(Rule=rule_name, EventBusName="shop")["Targets"]
    assert inbox_target["InputTransformer"] == {
        "InputPathsMap": {"id": "$.detail.id"},
        "InputTemplate": '{"order": <id>}',
    }
    assert inbox_target["DeadLetterConfig"] == {"Arn": arn["InboxDlq"]}
    assert inbox_target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert (jobs_target["InputPath"], jobs_target["SqsParameters"]) == (
        "$.detail",
        {"MessageGroupId": "orders"},
    )

    iam = cloud.client("iam")
    policy = iam.get_role_policy(RoleName=stack.physical_id("FunctionRole"), PolicyName="write-sessions")
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == arn["Sessions"]
    lam = cloud.client("lambda")
    response = lam.invoke(FunctionName=stack.physical_id("Echo"))
    assert json.loads(response["Payload"].read()) == {
        "statusCode": 200,
        "body": "echo",
    }  # ZipFile became index.py
    config = lam.get_function_event_invoke_config(FunctionName=stack.physical_id("Echo"))
    assert config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == arn["InboxDlq"]
    (group,) = cloud.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/lab-Echo")[
        "logGroups"
    ]
    assert group["retentionInDays"] == 7

    apigateway = cloud.client("apigateway")
    api_id = stack.physical_id("Api")
    paths = {item["path"]: item["id"] for item in apigateway.get_resources(restApiId=api_id)["items"]}
    integration = apigateway.get_integration(restApiId=api_id, resourceId=paths["/echo"], httpMethod="POST")
    assert (integration["type"], integration["httpMethod"]) == ("AWS_PROXY", "POST")
    assert integration["uri"].endswith(f"functions/{arn['Echo']}/invocations")
    stage = apigateway.get_stage(restApiId=api_id, stageName="v1")
    assert stage["deploymentId"] == stack.physical_id("ApiDeployment")

    machine = cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.physical_id("Workflow")
    )
    assert machine["type"] == "EXPRESS"
    assert json.loads(machine["definition"])["States"]["Call"]["Resource"] == arn["Echo"]


def test_an_unknown_transform_is_refused(cloud):
    template = "Transform: AWS::LanguageExtensions\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
    with pytest.raises(TemplateError, match="Transform AWS::LanguageExtensions is not simulated") as caught:
        deploy(cloud, template)
    assert (caught.value.path, caught.value.line) == ("Transform", 1)


def test_sam_state_machine_from_a_file_with_connector_events_and_stream_mapping(cloud):
    stack = deploy(cloud, read("sam_more.yaml"), code_dir=TEMPLATES)
    sfn = cloud.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=stack.physical_id("Flow"))
    save = json.loads(machine["definition"])["States"]["Save"]
    assert save["Parameters"]["TableName"] == stack.physical_id("Orders")  # DefinitionUri + substitutions

    role = stack.physical_id("FlowRole")
    attached = cloud.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert stack.physical_id("FlowWriteOrdersPolicy") in [p["PolicyArn"] for p in attached]  # the connector

    (rule,) = [r for r in stack.resources.values() if r.type == "AWS::Events::Rule"]
    (target,) = cloud.client("events").list_targets_by_rule(Rule=rule.physical_id)["Targets"]
    assert (target["Arn"], target["RoleArn"]) == (
        stack.physical_id("Flow"),
        stack.resources["FlowPlacedRole"].attributes["Arn"],
    )
    (mapping,) = cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mapping["EventSourceArn"] == stack.resources["Changes"].attributes["StreamArn"]
    assert (mapping["StartingPosition"], mapping["BatchSize"]) == ("TRIM_HORIZON", 25)

    execution = sfn.start_execution(stateMachineArn=stack.physical_id("Flow"), input='{"id": "o-9"}')
    cloud.run_until_idle()
    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "SUCCEEDED"
    items = cloud.client("dynamodb").scan(TableName=stack.physical_id("Orders"))["Items"]
    assert items == [{"id": {"S": "o-9"}}]  # written with the connector's permissions, as the machine's role


def test_a_failed_deploy_rolls_back_everything_it_created(cloud):
    broken = """  Broken:
    Type: AWS::IAM::Role
    DependsOn: [Workflow, ApiStage, EchoLogs, EchoAsync, Media, OrderRule, InboxSubscription, FunctionPolicy, Sessions]
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/NoSuchPolicyAnywhere]

Outputs:"""
    template = read("plain_resources.yaml").replace("\nOutputs:", "\n" + broken)
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, template)
    assert caught.value.path == "Resources/Broken"
    assert "ROLLBACK_COMPLETE: deleted the 23 resources this deploy had created" in str(caught.value)
    assert cloud.client("sqs").list_queues().get("QueueUrls", []) == []
    assert cloud.client("sns").list_topics()["Topics"] == []
    assert cloud.client("sns").list_subscriptions()["Subscriptions"] == []
    assert cloud.client("lambda").list_functions()["Functions"] == []
    assert cloud.client("iam").list_roles()["Roles"] == []
    assert cloud.client("s3").list_buckets()["Buckets"] == []
    assert cloud.client("dynamodb").list_tables()["TableNames"] == []
    assert [bus["Name"] for bus in cloud.client("events").list_event_buses()["EventBuses"]] == ["default"]
    assert cloud.client("stepfunctions").list_state_machines()["stateMachines"] == []
    assert cloud.client("apigateway").get_rest_apis()["items"] == []
    assert cloud.client("logs").describe_log_groups()["logGroups"] == []
    # and the same template, fixed, deploys into the account the rollback left clean
    assert "Echo" in deploy(cloud, read("plain_resources.yaml")).resources


def test_deploying_loads_no_django():
    code = (
        "import sys; from labs.runtime import Cloud; from labs.runtime.cloudformation import deploy\n"
        "from labs.runtime.cloudformation.template import lint_template, sam_translate\n"
        "import cfnlint.runner, samtranslator.translator.translator\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_yaml_aliases_and_oversized_templates_are_refused(cloud):
    aliased = "Resources:\n  A: &queue\n    Type: AWS::SQS::Queue\n  B: *queue\n"
    with pytest.raises(TemplateError, match=r"YAML alias \*queue is not supported") as caught:
        deploy(cloud, aliased)
    assert caught.value.line == 4
    with pytest.raises(TemplateError, match="larger than CloudFormation's limit of 1,048,576 bytes"):
        deploy(cloud, read("unsupported.yaml") + "#" * 1_048_576)


def test_a_symlink_out_of_the_code_folder_is_refused(cloud, tmp_path):
    code = tmp_path / "code" / "src"
    code.mkdir(parents=True)
    (code / "app.py").write_text("def on_upload(event, context):\n    return 1\n")
    (tmp_path / "secret.txt").write_text("host file")
    (code / "leak.txt").symlink_to(tmp_path / "secret.txt")
    template = read("sam_cycle.yaml").replace("BUCKET: !Ref Photos", "BUCKET: x")
    with pytest.raises(TemplateError, match="CodeUri 'src/': leak.txt links outside the code directory"):
        deploy(cloud, template, code_dir=tmp_path / "code")


# -- scenarios -------------------------------------------------------------------------------------------
def test_scenario_steps_reach_the_stack_through_boto3(cloud):
    import io

    from labs.runtime.scenario import load_scenario, print_final_state, print_trace, run_scenario

    stack = deploy(cloud, read("plain_resources.yaml"))
    steps = load_scenario(
        """
- put-object: {bucket: Media, key: uploads/a.txt, body: hello}
- send-message: {queue: "${Inbox.QueueName}", body: {n: 1}, attributes: {kind: test, size: 3}}
- send-message: {queue: Jobs, body: job, group-id: g1}
- publish: {topic: Alerts, message: {severity: low}, subject: hi}
- put-events: {entries: [{source: shop.orders, detail-type: Placed, detail: {id: 7, total: 5}, event-bus: Bus}]}
- invoke: {function: Echo, payload: {}}
- start-execution: {state-machine: Workflow, input: {}}
- advance-time: 5
- run-until-idle
""",
        "s.yaml",
    )
    out = io.StringIO()
    run_scenario(cloud, stack, steps, out, "s.yaml")
    lines = out.getvalue().splitlines()
    assert lines[0] == f"steps[0] put-object: s3://{stack.physical_id('Media')}/uploads/a.txt"
    assert lines[1].startswith("steps[1] send-message: MessageId ")
    assert lines[4] == "steps[4] put-events: 1 accepted, 0 failed"
    assert lines[5] == 'steps[5] invoke: StatusCode 200 {"statusCode": 200, "body": "echo"}'
    assert lines[6].startswith("steps[6] start-execution: arn:aws:states:")
    assert (
        cloud.client("s3").get_object(Bucket=stack.physical_id("Media"), Key="uploads/a.txt")["Body"].read()
        == b"hello"
    )
    received = cloud.client("sqs").receive_message(
        QueueUrl=stack.physical_id("Jobs"), MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert "job" in [message["Body"] for message in received]

    state = io.StringIO()
    print_final_state(cloud, state)
    assert f"table {stack.physical_id('Sessions')}: 0 item(s)" in state.getvalue()
    assert f"queue {stack.resources['Inbox'].attributes['QueueName']}:" in state.getvalue()
    trace = io.StringIO()
    print_trace(cloud, trace)
    assert " api_call " in trace.getvalue() and "operation=PutObject" in trace.getvalue()


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("{put-object: {}}", "s.yaml: a scenario is a list of steps"),
        ("- {put-object: {bucket: B}, invoke: {}}", "s.yaml: steps[0]: a step is a mapping with one action"),
        ("- put-object: {bucket: Media}", "s.yaml: steps[0] (put-object): field 'key' is required"),
        (
            "- invoke: {function: Echo, payload: {}, tenant: x}",
            "steps[0] (invoke): field 'tenant' is not known",
        ),
        ("- advance-time: -1", "steps[0] (advance-time): field 'seconds' must be a number of seconds >= 0"),
        (
            "- send-message: {queue: '${Nope}', body: x}",
            "steps[0] (send-message): field 'queue': ${Nope} names no resource",
        ),
        ("- run-until-idle\n- invoke: {function: NoSuchFunction}", "steps[1] (invoke): Function not found"),
    ],
)
def test_scenario_errors_name_the_step_and_field(cloud, scenario, message):
    import io

    from labs.runtime.scenario import ScenarioError, load_scenario, run_scenario

    stack = deploy(
        cloud, read("unsupported.yaml").replace("  Queue:", "  Echo:\n    Type: AWS::SQS::Queue\n  Media:")
    )
    with pytest.raises(ScenarioError) as caught:
        run_scenario(cloud, stack, load_scenario(scenario, "s.yaml"), io.StringIO(), "s.yaml")
    assert message in str(caught.value)


def test_json_templates_and_sam_inline_code(cloud):
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"Greeting": {"Type": "String", "Default": "hi"}},
        "Resources": {
            "Hello": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": "import os\ndef handler(event, context):\n    return os.environ['GREETING']\n",
                    "Environment": {
                        "Variables": {"GREETING": {"Fn::Sub": "${Greeting} from ${AWS::StackName}"}}
                    },
                },
            }
        },
        "Outputs": {"Name": {"Value": {"Ref": "Hello"}}},
    }
    stack = deploy(cloud, json.dumps(template, indent=2), stack_name="json-stack")
    response = cloud.client("lambda").invoke(FunctionName=stack.outputs["Name"])
    assert json.loads(response["Payload"].read()) == "hi from json-stack"

    template["Resources"]["Hello"]["Properties"]["MemorySize"] = 64  # below Lambda's 128 MB minimum
    text = json.dumps(template, indent=2)
    with pytest.raises(TemplateError) as caught:
        deploy(cloud, text, template_file="hello.json")
    assert caught.value.rule_id == "E3034"
    assert caught.value.path == "Resources/Hello/Properties/MemorySize"
    memory_line = text.splitlines().index('        "MemorySize": 64') + 1
    assert caught.value.line == memory_line  # located in the JSON text too


def test_catch_all_routes_of_http_and_rest_apis(cloud):
    template = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context):\\n    return 1\\n"
      Events:
        All:
          Type: HttpApi
        Proxy:
          Type: Api
          Properties: {Path: "/{proxy+}", Method: any}
"""
    stack = deploy(cloud, template)
    routes = cloud.client("apigatewayv2").get_routes(ApiId=stack.physical_id("ServerlessHttpApi"))["Items"]
    assert [route["RouteKey"] for route in routes] == ["$default"]  # SAM's HttpApi event without a path
    resources = cloud.client("apigateway").get_resources(restApiId=stack.physical_id("ServerlessRestApi"))[
        "items"
    ]
    assert {item["path"]: sorted(item.get("resourceMethods", {})) for item in resources} == {
        "/": [],
        "/{proxy+}": ["ANY"],
    }


def test_a_cfn_lint_crash_is_a_warning_not_a_refusal(cloud, monkeypatch):
    from labs.runtime.cloudformation import template as cfn_template

    def crash():
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(cfn_template, "_lint_rules", crash)
    stack = deploy(cloud, read("unsupported.yaml"))
    assert "Queue" in stack.resources
    assert "W0000 cfn-lint could not check the template: rule exploded" in str(stack.warnings[0])
