"""Issue 15 class 5 and issue 17 item 4: the libraries a handler imports, and nothing else of the host.

A function's requirements.txt is installed from the wheelhouse ``make setup`` builds (as ``sam build`` would
install it: sam-cli-command-reference-sam-build.html); AWS's public Powertools for AWS Lambda (Python) layer
(https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer) stands for Powertools and pydantic;
what cannot be given is named at deploy time. The sandbox binds the standard library, the runtime's boto3
and the wheelhouse, never a site-packages (security review 2026-12, LOW-4).
"""

import base64
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from labs.runtime.awslambda import wheelhouse
from labs.runtime.cloudformation import TemplateError, deploy
from tests.labs.runtime.conftest import TRUST_POLICY, make_zip
from tools import lockfile
from tools import wheelhouse as wheelhouse_builder

FIDELITY = Path(__file__).parent / "templates" / "fidelity"
REPO_ROOT = Path(__file__).resolve().parents[3]
POWERTOOLS_LAYER = (
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:18"
)


@pytest.fixture
def stack(cloud):
    return deploy(cloud, (FIDELITY / "libraries.yaml").read_text(), code_dir=FIDELITY)


def call(cloud, function_name: str, event: dict) -> tuple[dict, str]:
    answer = cloud.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event), LogType="Tail"
    )
    return json.loads(answer["Payload"].read()), base64.b64decode(answer["LogResult"]).decode()


def test_powertools_from_requirements_routes_and_logs_as_json(cloud, stack):
    # event_handler/api_gateway.md: APIGatewayRestResolver answers a REST proxy event; logger.md: one JSON
    # object per line with service, cold_start and the extra keys.
    event = {"httpMethod": "GET", "path": "/orders/42", "resource": "/orders/{id}", "headers": {}}
    answer, logs = call(cloud, stack.resources["Orders"].physical_id, event)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"id": "42", "status": "shipped"}
    line = next(json.loads(text) for text in logs.splitlines() if text.startswith("{"))
    assert line["message"] == "order read" and line["order_id"] == "42"
    assert line["service"] == "orders" and line["cold_start"] is True


def test_requests_from_requirements_imports_and_finds_no_network(cloud, stack):
    answer, _ = call(cloud, stack.resources["Fetcher"].physical_id, {"url": "http://orders.example.com/x"})
    assert answer == {
        "url": "http://orders.example.com/x?q=lambda",
        "reached": False,
        "reason": "ConnectionError",
    }


def test_the_public_powertools_layer_brings_the_parser_and_is_listed(cloud, stack):
    name = stack.resources["Parsed"].physical_id
    answer, _ = call(cloud, name, {"id": "a-1", "quantity": "3"})
    assert answer == {"id": "a-1", "twice": 6}
    refused, _ = call(cloud, name, {"id": "a-1"})
    assert refused["errorType"] == "ValidationError"
    layers = cloud.client("lambda").get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in layers] == [POWERTOOLS_LAYER]
    assert layers[0]["CodeSize"] > 1_000_000


def test_without_requirements_or_layer_requests_is_missing_as_on_aws(cloud, stack):
    answer, _ = call(cloud, stack.resources["Plain"].physical_id, {})
    assert answer["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'requests'" in answer["errorMessage"]


def test_a_requirement_outside_the_wheelhouse_fails_the_deploy_naming_it(cloud):
    with pytest.raises(TemplateError) as raised:
        deploy(cloud, (FIDELITY / "libraries_missing.yaml").read_text(), code_dir=FIDELITY)
    message = raised.value.problems[0].message
    assert raised.value.problems[0].path == "Resources/Web"
    assert "requirements.txt line 2: 'Django' is not in the simulated runtime's wheelhouse" in message
    assert "valid on AWS" in message and "requests 2." in message and "aws-lambda-powertools 3." in message


# -- the Lambda API ------------------------------------------------------------------------------------------
@pytest.fixture
def create(cloud):
    role = cloud.client("iam").create_role(RoleName="libraries", AssumeRolePolicyDocument=TRUST_POLICY)[
        "Role"
    ]

    def _create(files: dict[str, str], **kwargs) -> str:
        cloud.client("lambda").create_function(
            FunctionName="libraries",
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="app.handler",
            Code={"ZipFile": make_zip(files)},
            **kwargs,
        )
        return "libraries"

    return _create


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ("requests==1.0\n", "requirements.txt line 1: 'requests==1.0' asks for a version the wheelhouse"),
        ("# ok\n\nnumpy\n", "requirements.txt line 3: 'numpy' is not in the simulated runtime's wheelhouse"),
        (
            "-r more.txt\n",
            "requirements.txt line 1: the option '-r more.txt' is valid for pip, not simulated",
        ),
        ("pkg @ https://example.com/pkg.whl\n", "line 1: installing from a URL"),
        ("requests>=\n", "requirements.txt line 1: 'requests>=' is not a requirement"),
    ],
)
def test_create_function_refuses_what_the_wheelhouse_cannot_install(create, requirements, expected):
    with pytest.raises(ClientError) as raised:
        create({"app.py": "def handler(e, c):\n    return 1\n", "requirements.txt": requirements})
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert expected in raised.value.response["Error"]["Message"]


def test_runtime_packages_markers_and_extras_are_accepted(cloud, create, invoke):
    requirements = (
        'boto3==1.0.0\nrequests[socks]>=2 ; python_version >= "3"\npydantic ; python_version < "3"\n'
    )
    code = "import requests\ndef handler(e, c):\n    try:\n        import pydantic\n    except ImportError:\n"
    code += "        return requests.__version__\n    return 'pydantic is importable'\n"
    name = create({"app.py": code, "requirements.txt": requirements})
    _, payload, _ = invoke(name)
    assert payload.startswith("2.")  # pydantic's line does not apply: not installed


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (
            "arn:aws:lambda:us-east-1:111122223333:layer:shared-utils:3",
            "shared-utils:3 belongs to another account",
        ),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:79", "not simulated here"),
    ],
)
def test_another_accounts_layer_is_named_as_not_simulated(create, layer, expected):
    with pytest.raises(ClientError) as raised:
        create({"app.py": "def handler(e, c):\n    return 1\n"}, Layers=[layer])
    message = raised.value.response["Error"]["Message"]
    assert expected in message and "AWSLambdaPowertoolsPythonV3" in message


def test_the_layer_keeps_its_place_among_the_accounts_own_layers(cloud, create, invoke):
    lam = cloud.client("lambda")
    own = lam.publish_layer_version(
        LayerName="helpers", Content={"ZipFile": make_zip({"python/helpers.py": "GREETING = 'hi'\n"})}
    )["LayerVersionArn"]
    code = "import helpers\nfrom aws_lambda_powertools import Logger\ndef handler(e, c):\n    return helpers.GREETING\n"
    name = create({"app.py": code}, Layers=[POWERTOOLS_LAYER, own])
    assert invoke(name)[1] == "hi"
    lam.update_function_configuration(FunctionName=name, Layers=[own, POWERTOOLS_LAYER])
    layers = lam.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in layers] == [own, POWERTOOLS_LAYER]
    lam.update_function_configuration(FunctionName=name, Layers=[own])
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Runtime.ImportModuleError"  # a new environment, without Powertools


# -- the sandbox binds nothing else (issue 17 item 4) ----------------------------------------------------------
def test_a_handler_sees_only_the_standard_library_boto3_and_what_it_asked_for(create, invoke):
    code = f"""
import os, sys
def handler(event, context):
    found = {{}}
    for name in ("django", "moto", "pytest", "celery", "labs", "requests", "aws_lambda_powertools", "boto3"):
        try:
            __import__(name)
            found[name] = True
        except ImportError:
            found[name] = False
    stdlib = os.path.dirname(os.__file__)
    return {{
        "found": found,
        "stdlib_site_packages": os.listdir(stdlib + "/site-packages") if os.path.isdir(stdlib + "/site-packages") else [],
        "project": os.path.exists({str(REPO_ROOT)!r}),
        "settings": os.path.exists({str(REPO_ROOT / "config" / "settings" / "base.py")!r}),
        "debian_packages": os.path.exists("/usr/lib/python3/dist-packages"),
    }}
"""
    name = create({"app.py": code, "requirements.txt": "requests\n"})
    _, payload, _ = invoke(name)
    assert payload["found"] == {
        "django": False,
        "moto": False,
        "pytest": False,
        "celery": False,
        "labs": False,
        "requests": True,
        "aws_lambda_powertools": False,
        "boto3": True,
    }
    assert payload["stdlib_site_packages"] == []
    assert not payload["project"] and not payload["settings"] and not payload["debian_packages"]


# -- the wheelhouse and its lock -------------------------------------------------------------------------------
def test_the_installed_wheelhouse_is_exactly_the_sandbox_lock():
    """`make setup` installed requirements-sandbox.lock: each pin is a wheelhouse folder at its version, or a
    distribution the runtime provides at the version requirements.lock gives the host."""
    manifest = json.loads((wheelhouse.root() / "manifest.json").read_text())
    host = {pin.name: pin.version for pin in lockfile.read_pins(REPO_ROOT / "requirements.lock")}
    for pin in lockfile.read_pins(REPO_ROOT / "requirements-sandbox.lock"):
        if pin.name in wheelhouse.RUNTIME_DISTRIBUTIONS:
            assert manifest["runtime"][pin.name] == pin.version == host[pin.name]
        else:
            assert manifest["packages"][pin.name]["version"] == pin.version, pin.name
            assert (wheelhouse.root() / pin.name).is_dir()
    assert wheelhouse_builder.RUNTIME_DISTRIBUTIONS == wheelhouse.RUNTIME_DISTRIBUTIONS


def test_a_missing_wheelhouse_says_to_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_RUNTIME_WHEELHOUSE", str(tmp_path / "nowhere"))
    with pytest.raises(
        wheelhouse.PackageError, match=r"Available: none \(the wheelhouse .* run `make setup`\)"
    ):
        wheelhouse.requirements_distributions("requests\n")


def test_the_powertools_layer_without_a_wheelhouse_says_to_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_RUNTIME_WHEELHOUSE", str(tmp_path / "nowhere"))
    with pytest.raises(wheelhouse.PackageError, match=r"it has none \(the wheelhouse .* run `make setup`\)"):
        wheelhouse.layer_distributions(POWERTOOLS_LAYER, "123456789012")
    assert (
        wheelhouse.layer_distributions("arn:aws:lambda:us-east-1:123456789012:layer:own:1", "123456789012")
        is None
    )
