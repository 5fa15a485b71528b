"""The packages a function may import beyond the standard library and the runtime's boto3: the wheelhouse.

``make setup`` installs ``requirements-sandbox.lock`` into ``var/sandbox-packages`` (``tools/wheelhouse.py``),
one folder per distribution plus ``manifest.json``; the sandbox binds it read-only. A function gets a
distribution, with the distributions it requires, in two ways, as it would on AWS:

- its ``requirements.txt`` at the root of its code: ``sam build`` installs those into the deployment package
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-build.html);
  here they are taken from the wheelhouse instead, offline. A requirement the wheelhouse cannot satisfy is a
  ``PackageError`` at deploy time naming it and listing what is available. boto3, botocore and their
  dependencies are the runtime's own (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html): a
  requirement naming one is satisfied by the runtime's version, whatever it pins.
- the runtime itself: Lambda's python3.13 and python3.14 runtimes include the durable execution SDK
  (aws-durable-execution-sdk-python, https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html;
  AWS recommends packaging it for production, and a requirements.txt naming it is satisfied here as well).
- AWS's public Powertools for AWS Lambda (Python) layer in ``Layers``
  (``arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python3XX}-{x86_64|arm64}:{N}``,
  https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer): aws-lambda-powertools and pydantic
  (for its parser). Any other layer of another account is "valid on AWS, not simulated here".

The folder is ``LABS_RUNTIME_WHEELHOUSE`` if set, else ``var/sandbox-packages`` in the project.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import re
import zipfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from labs.runtime.core import wire
from labs.runtime.core.errors import LabsRuntimeError
from labs.runtime.sandbox.host import wheelhouse_root

__all__ = [
    "FUNCTION_WRITES",
    "POWERTOOLS_ACCOUNT",
    "RUNTIME_DISTRIBUTIONS",
    "PackageError",
    "available",
    "code_requirements",
    "distributions_for",
    "folders",
    "layer_distributions",
    "requirements_distributions",
    "root",
    "runtime_included",
    "serve_function_write",
]

# What the Lambda Python runtime provides itself; the sandbox binds these from the host (sandbox/host.py).
RUNTIME_DISTRIBUTIONS = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"}
# What a managed runtime includes beyond boto3 (durable-supported-runtimes.html: "Lambda Node.js and Python
# runtimes include the durable execution SDK"), by the function's Runtime.
_RUNTIME_INCLUDED = {
    "python3.13": ("aws-durable-execution-sdk-python",),
    "python3.14": ("aws-durable-execution-sdk-python",),
}
POWERTOOLS_ACCOUNT = "017000801446"
_POWERTOOLS_LAYER = re.compile(
    r"^arn:aws:lambda:(?P<region>[a-z0-9-]+):017000801446:layer:"
    r"AWSLambdaPowertoolsPythonV3-python3(?P<minor>\d+)-(?:x86_64|arm64):(?P<version>\d+)$"
)
_POWERTOOLS_CONTENTS = ("aws-lambda-powertools", "pydantic")
_LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:(?P<account>\d{12}):layer:[A-Za-z0-9_-]+:\d+$")


class PackageError(LabsRuntimeError):
    """A function asks for a package or layer the runtime cannot give it; the message names it and says
    what is available."""


def root() -> Path:
    """The wheelhouse folder (it may not exist: then nothing beyond the runtime is available)."""
    return wheelhouse_root()


@functools.cache
def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return {"packages": {}, "runtime": {}}


def available() -> str:
    """The wheelhouse's distributions, for messages: ``aws-lambda-powertools 3.37.0, requests 2.34.2, ...``."""
    packages = _manifest(root())["packages"]
    if not packages:
        return f"none (the wheelhouse {root()} is not installed: run `make setup`)"
    return ", ".join(f"{name} {info['version']}" for name, info in packages.items())


def _closure(names: list[str]) -> list[str]:
    """``names`` and every wheelhouse distribution they require, in a stable order."""
    packages, seen, pending = _manifest(root())["packages"], set(), list(names)
    while pending:
        name = pending.pop()
        if name in seen or name not in packages:
            continue  # the runtime's own (urllib3, jmespath) are already importable
        seen.add(name)
        pending.extend(packages[name]["requires"])
    return sorted(seen)


def requirements_distributions(text: str) -> list[str]:
    """The wheelhouse distributions a ``requirements.txt`` asks for (with their dependencies).

    Raises ``PackageError`` naming the line of a requirement the wheelhouse cannot satisfy (unknown name,
    a version it does not have, a URL or an option such as ``-r``)."""
    packages, wanted = _manifest(root())["packages"], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"requirements.txt line {number}"
        if line.startswith("-"):
            raise PackageError(f"{where}: the option {line!r} is valid for pip, not simulated here")
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise PackageError(f"{where}: {line!r} is not a requirement: {error}") from None
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        if requirement.url:
            raise PackageError(f"{where}: installing from a URL ({line!r}) is not simulated here")
        if name in RUNTIME_DISTRIBUTIONS:
            continue  # the runtime's own version is used, as Lambda's runtime would shadow nothing here
        if name not in packages:
            raise PackageError(
                f"{where}: {requirement.name!r} is not in the simulated runtime's wheelhouse: valid on AWS "
                "(where `sam build` installs it from PyPI), not simulated here, where requirements are "
                f"installed offline from the wheelhouse. Available: {available()}"
            )
        version = packages[name]["version"]
        if not requirement.specifier.contains(version, prereleases=True):
            raise PackageError(
                f"{where}: {line!r} asks for a version the wheelhouse does not have "
                f"({requirement.name} {version}). Available: {available()}"
            )
        wanted.append(name)
    return _closure(wanted)


def layer_distributions(arn: str, account_id: str) -> list[str] | None:
    """The distributions a public layer stands for, None for a layer of this account (its own code).

    Raises ``PackageError`` for another account's layer that is not simulated, naming it."""
    match = _LAYER_ARN.match(arn)
    if match is None or match["account"] == account_id:
        return None
    if _POWERTOOLS_LAYER.match(arn):
        names = _closure(list(_POWERTOOLS_CONTENTS))
        if not names:
            raise PackageError(f"layer {arn} stands for packages of the wheelhouse, and it has {available()}")
        return names
    raise PackageError(
        f"layer {arn} belongs to another account: valid on AWS, not simulated here. labs.runtime knows "
        "AWS's public Powertools for AWS Lambda (Python) layer, arn:aws:lambda:{region}:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python312-x86_64:{N} (any python3XX, x86_64 or arm64); for anything "
        "else publish your own layer (AWS::Lambda::LayerVersion) or list the package in requirements.txt."
    )


def runtime_included(run_time: str | None) -> list[str]:
    """The wheelhouse distributions a managed runtime includes itself (the durable execution SDK on python3.13
    and python3.14), with what they require."""
    return _closure(list(_RUNTIME_INCLUDED.get(run_time or "", ())))


def code_requirements(code_zip: bytes) -> str | None:
    """The text of ``requirements.txt`` at the root of a deployment package, if it has one."""
    try:
        with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
            if "requirements.txt" not in archive.namelist():
                return None
            return archive.read("requirements.txt").decode("utf-8", "replace")
    except zipfile.BadZipFile:
        return None


def distributions_for(code_zip: bytes, layer_arns: list[str], account_id: str) -> list[str]:
    """Every wheelhouse distribution a function's environment gets: its requirements.txt and public layers.

    Raises ``PackageError`` as ``requirements_distributions`` and ``layer_distributions`` do."""
    names: set[str] = set()
    text = code_requirements(code_zip)
    if text is not None:
        names.update(requirements_distributions(text))
    for arn in layer_arns:
        names.update(layer_distributions(arn, account_id) or [])
    return sorted(names)


def folders(names: list[str], mounted_at: str) -> list[str]:
    """The ``sys.path`` entries of ``names`` when the wheelhouse is visible at ``mounted_at``."""
    packages = _manifest(root())["packages"]
    return [f"{mounted_at}/{packages[name]['directory']}" for name in names if name in packages]


# -- the Lambda API's function writes ----------------------------------------------------------------------
FUNCTION_WRITES = ("CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration")


def _refusal(message: str) -> tuple[int, dict, bytes]:
    return wire.error_response("lambda", 400, "InvalidParameterValueException", message)


def _inline_zip(operation: str, request: dict) -> bytes | None:
    code = request.get("Code") if operation == "CreateFunction" else request
    encoded = code.get("ZipFile") if isinstance(code, dict) else None
    if not isinstance(encoded, str):
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None  # moto answers a malformed upload itself


@functools.cache
def _layer_size(names: tuple[str, ...]) -> int:
    """CodeSize for a public layer: the bytes of the wheelhouse folders that stand for it."""
    return sum(
        file.stat().st_size
        for folder in folders(list(names), str(root()))
        for file in Path(folder).rglob("*")
        if file.is_file()
    )


def serve_function_write(cloud, operation: str, body: bytes, forward) -> tuple[int, dict, bytes]:
    """CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration, checked before moto stores them.

    A ``requirements.txt`` in an inline .zip that the wheelhouse cannot satisfy, and a layer of another
    account that is not simulated, are refused with ``InvalidParameterValueException`` naming them and what
    is available. AWS's public Powertools layer is kept from moto (which knows only this account's layers:
    ``forward(body)`` passes a body to it) and put back on the stored function and in the response, so
    GetFunctionConfiguration lists it in its place, as Lambda does."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return forward(body)
    if not isinstance(request, dict):
        return forward(body)
    code = _inline_zip(operation, request)
    layers = request.get("Layers")
    public: dict[str, list[str]] = {}
    try:
        if code is not None:
            text = code_requirements(code)
            if text is not None:
                requirements_distributions(text)
        for arn in layers if isinstance(layers, list) else []:
            names = layer_distributions(str(arn), cloud.account_id)
            if names is not None:
                public[str(arn)] = names
    except PackageError as error:
        return _refusal(str(error))
    if not public:
        return forward(body)
    request["Layers"] = [arn for arn in layers if arn not in public]
    status, headers, response_body = forward(json.dumps(request).encode())
    if status >= 300:
        return status, headers, response_body
    stored = json.loads(response_body)
    function = cloud.lambda_._backend().get_function(stored["FunctionName"])
    own = {layer["Arn"]: layer for layer in function.layers}
    function.layers = [
        own.get(arn) or {"Arn": arn, "CodeSize": _layer_size(tuple(public[arn]))}
        for arn in layers
        if arn in own or arn in public
    ]
    stored["Layers"] = function.layers
    return status, headers, json.dumps(stored).encode()
