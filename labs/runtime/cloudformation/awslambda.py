"""CloudFormation handlers for IAM (roles, policies) and Lambda (functions, permissions, event source
mappings, asynchronous invocation configs, versions, aliases, layers), through the account's boto3 clients.

Code comes from ``Code.ZipFile`` (inline, saved as index.py / index.js as CloudFormation does), from a
local folder under the deploy's code directory (SAM's CodeUri, see ``LOCAL_CODE_BUCKET``), or from an
object already in the account's S3.
"""

from __future__ import annotations

import uuid
from typing import Any

from labs.runtime.awslambda.packaging import zip_directory, zip_files
from labs.runtime.cloudformation.resources import (
    LOCAL_CODE_BUCKET,
    Created,
    Provisioner,
    ResourceFailure,
    api_params,
    json_text,
    not_simulated,
    tag_map,
    warn_ignored,
)
from labs.runtime.iam.managed import ensure_aws_managed_policy

__all__ = ["HANDLERS"]


# -- IAM ---------------------------------------------------------------------------------------------------
def _policy_text(document: Any) -> str:
    """IAM accepts a policy without Version (it means 2008-10-17) and SAM's policy templates write none,
    but moto's validator rejects it: add the current version, which only matters for policy variables."""
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return json_text(document)


def _role(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    iam = ctx.client("iam")
    name = props.get("RoleName") or ctx.name(logical_id, 64)
    params = {
        "RoleName": name,
        "AssumeRolePolicyDocument": json_text(props.get("AssumeRolePolicyDocument", {})),
    }
    for key in ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary"):
        if key in props:
            params[key] = props[key]
    if props.get("Tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in tag_map(props).items()]
    role = iam.create_role(**params)["Role"]
    ctx.began(name)
    for policy in props.get("Policies") or []:
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=_policy_text(policy["PolicyDocument"]),
        )
    for arn in props.get("ManagedPolicyArns") or []:
        ensure_aws_managed_policy(ctx.account_id, arn)
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    warn_ignored(ctx, logical_id, props, {*params, "Policies", "ManagedPolicyArns", "Tags", "RoleName"})
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


def _policy(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    iam = ctx.client("iam")
    document = _policy_text(props["PolicyDocument"])
    for role in props.get("Roles") or []:
        iam.put_role_policy(RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=document)
    for user in props.get("Users") or []:
        iam.put_user_policy(UserName=user, PolicyName=props["PolicyName"], PolicyDocument=document)
    for group in props.get("Groups") or []:
        iam.put_group_policy(GroupName=group, PolicyName=props["PolicyName"], PolicyDocument=document)
    return Created(props["PolicyName"], {"Id": props["PolicyName"]})


def _managed_policy(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    iam = ctx.client("iam")
    params = {
        "PolicyName": props.get("ManagedPolicyName") or ctx.name(logical_id, 128),
        "PolicyDocument": _policy_text(props["PolicyDocument"]),
    }
    for key in ("Path", "Description"):
        if key in props:
            params[key] = props[key]
    arn = iam.create_policy(**params)["Policy"]["Arn"]
    ctx.began(arn)
    for role in props.get("Roles") or []:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return Created(arn, {"PolicyArn": arn})


# -- Lambda ------------------------------------------------------------------------------------------------
def _local_code(ctx: Provisioner, relative: str, logical_id: str) -> bytes:
    if ctx.code_dir is None:
        raise ResourceFailure(
            f"code at {relative!r} is a local path: deploy with a code directory (--code DIR)"
        )
    root = ctx.code_dir.resolve()
    path = (root / relative).resolve()
    if path != root and not path.is_relative_to(root):
        raise ResourceFailure(f"CodeUri {relative!r} points outside the code directory")
    if path.is_dir():
        for file in path.rglob("*"):
            if not file.resolve().is_relative_to(root):  # a symlink out of the folder would zip host files
                raise ResourceFailure(f"CodeUri {relative!r}: {file.name} links outside the code directory")
        return zip_directory(path)
    if path.is_file() and path.suffix == ".zip":
        return path.read_bytes()
    raise ResourceFailure(f"CodeUri {relative!r}: no such folder or .zip under the code directory")


def _code_zip(ctx: Provisioner, logical_id: str, code: Any, runtime: str) -> bytes:
    if not isinstance(code, dict):
        raise ResourceFailure("Code must be {ZipFile: ...} or {S3Bucket: ..., S3Key: ...}")
    if "ZipFile" in code:
        # Inline code is saved as index.py / index.js, as CloudFormation documents for ZipFile.
        name = "index.js" if str(runtime).startswith("nodejs") else "index.py"
        return zip_files({name: code["ZipFile"]})
    if code.get("S3Bucket") == LOCAL_CODE_BUCKET:
        return _local_code(ctx, code.get("S3Key", ""), logical_id)
    if "S3Bucket" in code and "S3Key" in code:
        try:
            return ctx.client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
        except Exception as error:  # noqa: BLE001 - reported as the resource's failure
            raise ResourceFailure(
                f"cannot read code from s3://{code['S3Bucket']}/{code['S3Key']}: {error}"
            ) from None
    raise ResourceFailure("Code must be {ZipFile: ...} or {S3Bucket: ..., S3Key: ...}")


# CreateFunction parameters moto stores and the Lambda simulation does not act on.
_FUNCTION_FEATURES = {
    "SnapStart": "SnapStart (SnapStart)",
    "FileSystemConfigs": "Amazon EFS file systems (FileSystemConfigs)",
    "VpcConfig": "VPC networking (VpcConfig): functions have no network",
    "ImageConfig": "container image settings (ImageConfig)",
    "CodeSigningConfigArn": "code signing (CodeSigningConfigArn)",
    "EphemeralStorage": "the /tmp size (EphemeralStorage)",
    "LoggingConfig": "log format and log group settings (LoggingConfig)",
    "KmsKeyArn": "customer managed encryption keys (KmsKeyArn)",
}
# Event sources the pollers read (eventsources/): the service in the source ARN.
_POLLED_SOURCES = {"sqs", "kinesis", "dynamodb"}
_SOURCE_NAMES = {
    "kafka": "Amazon MSK event sources",
    "mq": "Amazon MQ event sources",
    "rds": "Amazon DocumentDB event sources",
    "docdb": "Amazon DocumentDB event sources",
}
_MAPPING_FEATURES = {
    "MetricsConfig": "event source mapping metrics (MetricsConfig)",
    "ProvisionedPollerConfig": "provisioned mode pollers (ProvisionedPollerConfig)",
    "KmsKeyArn": "customer managed keys for filter criteria (KmsKeyArn)",
}


def _function(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    for key, feature in _FUNCTION_FEATURES.items():
        if props.get(key):
            not_simulated(ctx, logical_id, feature)
    if str((props.get("TracingConfig") or {}).get("Mode", "")).lower() == "active":
        not_simulated(ctx, logical_id, "AWS X-Ray active tracing (TracingConfig)")
    lam = ctx.client("lambda")
    params = api_params(
        ctx,
        "lambda",
        "CreateFunction",
        props,
        logical_id,
        skip={"Code", "Tags", "ReservedConcurrentExecutions"},
    )
    params.setdefault("FunctionName", ctx.name(logical_id, 64))
    params["Code"] = {"ZipFile": _code_zip(ctx, logical_id, props.get("Code"), props.get("Runtime", ""))}
    if props.get("Tags"):
        params["Tags"] = tag_map(props)
    function = lam.create_function(**params)
    ctx.began(params["FunctionName"])
    if "ReservedConcurrentExecutions" in props:
        lam.put_function_concurrency(
            FunctionName=params["FunctionName"],
            ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
        )
    return Created(params["FunctionName"], {"Arn": function["FunctionArn"]})


def _permission(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(ctx, "lambda", "AddPermission", props, logical_id)
    params["StatementId"] = ctx.name(logical_id, 100)
    ctx.client("lambda").add_permission(**params)
    return Created(params["StatementId"])


def _event_source_mapping(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    source = str(props.get("EventSourceArn") or "")
    service = source.split(":")[2] if source.count(":") >= 5 else ""
    if service not in _POLLED_SOURCES:
        # valid on AWS; nothing here reads these sources, so no mapping is made (moto would refuse the ARN)
        feature = (
            "self-managed Apache Kafka event sources (SelfManagedEventSource)"
            if "SelfManagedEventSource" in props or not source
            else _SOURCE_NAMES.get(service, f"event sources of {service or 'this kind'} ({source})")
        )
        not_simulated(
            ctx, logical_id, f"{feature}: the mapping was not created and never invokes the function"
        )
        mapping_id = str(uuid.UUID(int=ctx.cloud.ids.getrandbits(128), version=4))
        return Created(mapping_id, {"Id": mapping_id}, simulated=False)
    props = dict(props)
    if props.pop("TumblingWindowInSeconds", None):
        not_simulated(
            ctx, logical_id, "tumbling windows (TumblingWindowInSeconds): batches are processed alone"
        )
    for key, feature in _MAPPING_FEATURES.items():
        if props.get(key):
            not_simulated(ctx, logical_id, feature)
    if int(props.get("ParallelizationFactor") or 1) > 1:
        not_simulated(ctx, logical_id, "ParallelizationFactor above 1: one batch per shard at a time")
    params = api_params(ctx, "lambda", "CreateEventSourceMapping", props, logical_id, skip={"Tags"})
    for item in (params.get("FilterCriteria") or {}).get("Filters", []):
        if "Pattern" in item:
            item["Pattern"] = json_text(item["Pattern"])
    mapping = ctx.client("lambda").create_event_source_mapping(**params)
    return Created(
        mapping["UUID"],
        {"Id": mapping["UUID"], "EventSourceMappingArn": mapping.get("EventSourceMappingArn", "")},
    )


def _event_invoke_config(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(ctx, "lambda", "PutFunctionEventInvokeConfig", props, logical_id)
    ctx.client("lambda").put_function_event_invoke_config(**params)
    return Created(f"{params['FunctionName']}:{params.get('Qualifier', '$LATEST')}")


def _version(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(
        ctx, "lambda", "PublishVersion", props, logical_id, skip={"ProvisionedConcurrencyConfig"}
    )
    version = ctx.client("lambda").publish_version(**params)
    return Created(
        version["FunctionArn"], {"Version": version["Version"], "FunctionArn": version["FunctionArn"]}
    )


def _alias(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(
        ctx, "lambda", "CreateAlias", props, logical_id, skip={"ProvisionedConcurrencyConfig"}
    )
    alias = ctx.client("lambda").create_alias(**params)
    return Created(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})


def _layer_version(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(ctx, "lambda", "PublishLayerVersion", props, logical_id, skip={"Content"})
    params.setdefault("LayerName", ctx.name(logical_id, 64))
    params["Content"] = {"ZipFile": _code_zip(ctx, logical_id, props.get("Content"), "")}
    layer = ctx.client("lambda").publish_layer_version(**params)
    return Created(layer["LayerVersionArn"], {"LayerVersionArn": layer["LayerVersionArn"]})


def _function_url(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    """A function URL served by ``cloud.http_request`` (``functionurls/``); ``GetAtt FunctionUrl`` and
    ``FunctionArn`` answer as AWS::Lambda::Url documents (aws-resource-lambda-url.html). ``RESPONSE_STREAM``
    is served as AWS serves it for a Python handler, which does not stream: the answer whole, when the
    handler returns (configuration-response-streaming.html)."""
    params = api_params(
        ctx,
        "lambda",
        "CreateFunctionUrlConfig",
        props,
        logical_id,
        rename={"TargetFunctionArn": "FunctionName"},
    )
    url = ctx.client("lambda").create_function_url_config(**params)
    return Created(url["FunctionArn"], {"FunctionArn": url["FunctionArn"], "FunctionUrl": url["FunctionUrl"]})


HANDLERS = {
    "AWS::Lambda::Url": _function_url,
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::Permission": _permission,
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Lambda::Version": _version,
    "AWS::Lambda::Alias": _alias,
    "AWS::Lambda::LayerVersion": _layer_version,
}
