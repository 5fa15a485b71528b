"""Issue 15: published SAM applications deploy and behave as on AWS. One template per class of fault in
``templates/fidelity/``, written from the AWS documentation page each test names, deployed and driven end to
end; every template of the set deploys or fails with ``TemplateError`` only, also when mutated (hypothesis)."""

import json
from pathlib import Path

import pytest

from labs.runtime.cloudformation import deploy
from labs.runtime.cloudformation.yaml_reading import load_yaml

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
