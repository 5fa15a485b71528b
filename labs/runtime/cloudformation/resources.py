"""Creating CloudFormation resources through the account's boto3 clients, one function per resource type
(IAM and Lambda in awslambda.py, API Gateway in apigateway.py).

Each handler takes the ``Provisioner`` (the account and stack), the logical id and the resolved
``Properties`` and returns ``Created(physical_id, attributes)``: what ``Ref`` and ``Fn::GetAtt`` answer,
as documented per type in the CloudFormation resource reference. Configuration goes only through AWS API
calls (never into the runtime's internals), so routing reads it from the same place a boto3 caller would.
A property the simulation does not apply becomes a warning naming it, never a silent drop.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labs.runtime.cloudformation.coercion import CoercingClient

__all__ = [
    "HANDLERS",
    "LOCAL_CODE_BUCKET",
    "Created",
    "Provisioner",
    "ResourceFailure",
    "api_params",
    "json_text",
    "not_simulated",
    "tag_map",
    "warn_ignored",
]

# SAM's translator only accepts S3 locations for CodeUri; a local folder is rewritten to this bucket and
# its path read back from code_dir when the function is created (what `sam build` + `sam deploy` do).
LOCAL_CODE_BUCKET = "labs-local-code"
_NAME_ALPHABET = string.ascii_uppercase + string.digits


class ResourceFailure(Exception):
    """A resource could not be created: carries the reason (an AWS error message or a template fault)."""


@dataclass
class Created:
    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    simulated: bool = True  # False: valid on AWS, not made here (a warning says so; rollback skips it)


@dataclass
class Provisioner:
    """What handlers need: the account (``cloud``), the stack name, the code folder, and ``warn``."""

    cloud: Any
    stack_name: str
    code_dir: Path | None
    warnings: list = field(default_factory=list)
    _clients: dict = field(default_factory=dict)
    begun: str | None = None  # the physical id of a resource whose creation started (see began)

    def client(self, service: str):
        if service not in self._clients:
            # every argument converted to the API's types, as CloudFormation converts properties (coercion.py)
            self._clients[service] = CoercingClient(self.cloud.client(service))
        return self._clients[service]

    def began(self, physical_id: str) -> None:
        """Record that the resource now exists, so that if its handler fails in a later call (attaching a
        policy, putting targets) the deploy deletes it along with the rest of the stack."""
        self.begun = physical_id

    def warn(self, logical_id: str, message: str) -> None:
        self.warnings.append((logical_id, message))

    def name(self, logical_id: str, max_length: int = 64, *, lower: bool = False, suffix: str = "") -> str:
        """A physical name as CloudFormation makes one: stack-LogicalId-RANDOM, cut to ``max_length``."""
        unique = "".join(self.cloud.ids.choice(_NAME_ALPHABET) for _ in range(12))
        prefix = f"{self.stack_name}-{logical_id}"[: max_length - len(unique) - len(suffix) - 1]
        name = f"{prefix}-{unique}{suffix}"
        return name.lower() if lower else name

    @property
    def region(self) -> str:
        return self.cloud.region

    @property
    def account_id(self) -> str:
        return self.cloud.account_id


def not_simulated(ctx: Provisioner, logical_id: str, feature: str) -> None:
    """A warning for what AWS accepts and this runtime does not do (the configuration is still stored)."""
    ctx.warn(logical_id, f"valid on AWS, not simulated here: {feature}")


def warn_ignored(ctx: Provisioner, logical_id: str, properties: dict, handled: set[str]) -> None:
    for name in sorted(set(properties) - handled):
        ctx.warn(logical_id, f"property {name} is not simulated and was ignored")


def json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def tag_map(properties: dict) -> dict[str, str]:
    tags = properties.get("Tags") or []
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags if isinstance(tag, dict) and "Key" in tag}


def api_params(
    ctx: Provisioner,
    service: str,
    operation: str,
    properties: dict,
    logical_id: str,
    *,
    skip: set[str] = frozenset(),
    rename: dict | None = None,
) -> dict:
    """Properties whose names are the API's own parameters (CloudFormation mostly copies them), checked
    against botocore's model; others are warned about."""
    members = ctx.client(service).meta.service_model.operation_model(operation).input_shape.members
    rename = rename or {}
    params = {}
    for name, value in properties.items():
        if name in skip:
            continue
        api_name = rename.get(name, name)
        if api_name in members:
            params[api_name] = value
        else:
            ctx.warn(logical_id, f"property {name} is not simulated and was ignored")
    return params


# -- SQS, SNS ----------------------------------------------------------------------------------------------
def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json_text(value) if isinstance(value, dict | list) else str(value)


def _queue(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    fifo = str(props.get("FifoQueue", "")).lower() == "true"
    name = props.get("QueueName") or ctx.name(logical_id, 80, suffix=".fifo" if fifo else "")
    attributes = {
        key: _attribute_text(value) for key, value in props.items() if key not in ("QueueName", "Tags")
    }
    sqs = ctx.client("sqs")
    params: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if props.get("Tags"):
        params["tags"] = tag_map(props)
    url = sqs.create_queue(**params)["QueueUrl"]
    arn = f"arn:aws:sqs:{ctx.region}:{ctx.account_id}:{name}"
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _queue_policy(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    for url in props.get("Queues") or []:
        ctx.client("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json_text(props["PolicyDocument"])}
        )
    return Created(ctx.name(logical_id))


def _topic(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    fifo = str(props.get("FifoTopic", "")).lower() == "true"
    name = props.get("TopicName") or ctx.name(logical_id, 256, suffix=".fifo" if fifo else "")
    attribute_names = {
        "DisplayName",
        "FifoTopic",
        "ContentBasedDeduplication",
        "KmsMasterKeyId",
        "SignatureVersion",
        "TracingConfig",
        "ArchivePolicy",
        "DeliveryPolicy",
    }
    attributes = {key: _attribute_text(props[key]) for key in attribute_names if key in props}
    sns = ctx.client("sns")
    params: dict[str, Any] = {"Name": name, "Attributes": attributes}
    if props.get("Tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in tag_map(props).items()]
    arn = sns.create_topic(**params)["TopicArn"]
    ctx.began(arn)
    for subscription in props.get("Subscription") or []:
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    warn_ignored(ctx, logical_id, props, attribute_names | {"TopicName", "Tags", "Subscription"})
    return Created(arn, {"TopicArn": arn, "TopicName": name})


_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)


def _subscription(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    attributes = {key: _attribute_text(props[key]) for key in _SUBSCRIPTION_ATTRIBUTES if key in props}
    arn = ctx.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props.get("Endpoint", ""),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    warn_ignored(
        ctx, logical_id, props, {*_SUBSCRIPTION_ATTRIBUTES, "TopicArn", "Protocol", "Endpoint", "Region"}
    )
    return Created(arn, {"Arn": arn})


def _topic_policy(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    for arn in props.get("Topics") or []:
        ctx.client("sns").set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json_text(props["PolicyDocument"])
        )
    return Created(ctx.name(logical_id))


# -- S3 ----------------------------------------------------------------------------------------------------
def _filter(configuration: dict) -> dict:
    rules = ((configuration.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return (
        {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}}
        if rules
        else {}
    )


def notification_configuration(cfn: dict) -> dict:
    """CloudFormation's NotificationConfiguration in PutBucketNotificationConfiguration's shape."""
    shapes = (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    )
    result: dict[str, Any] = {}
    for cfn_key, api_key, target_key, api_target in shapes:
        for item in cfn.get(cfn_key) or []:
            result.setdefault(api_key, []).append(
                {api_target: item[target_key], "Events": [item["Event"]], **_filter(item)}
            )
    if "EventBridgeConfiguration" in cfn and (cfn["EventBridgeConfiguration"] or {}).get(
        "EventBridgeEnabled", True
    ):
        result["EventBridgeConfiguration"] = {}
    return result


def _bucket(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    s3 = ctx.client("s3")
    name = props.get("BucketName") or ctx.name(logical_id, 63, lower=True)
    params: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    s3.create_bucket(**params)
    ctx.began(name)
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    if props.get("Tags"):
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tag_map(props).items()]}
        )
    if "CorsConfiguration" in props:
        rules = [
            {
                key: rule[cfn_key]
                for cfn_key, key in (
                    ("AllowedMethods", "AllowedMethods"),
                    ("AllowedOrigins", "AllowedOrigins"),
                    ("AllowedHeaders", "AllowedHeaders"),
                    ("ExposedHeaders", "ExposeHeaders"),
                    ("MaxAge", "MaxAgeSeconds"),
                    ("Id", "ID"),
                )
                if cfn_key in rule
            }
            for rule in props["CorsConfiguration"].get("CorsRules", [])
        ]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    if "NotificationConfiguration" in props:
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration=notification_configuration(props["NotificationConfiguration"]),
            SkipDestinationValidation=True,
        )
    warn_ignored(
        ctx,
        logical_id,
        props,
        {"BucketName", "VersioningConfiguration", "Tags", "CorsConfiguration", "NotificationConfiguration"},
    )
    domain = f"{name}.s3.amazonaws.com"
    return Created(
        name,
        {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": domain,
            "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
        },
    )


def _bucket_policy(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    ctx.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json_text(props["PolicyDocument"]))
    return Created(props["Bucket"])


# -- DynamoDB, Kinesis, Logs -------------------------------------------------------------------------------
def _table(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    dynamodb = ctx.client("dynamodb")
    params = api_params(
        ctx,
        "dynamodb",
        "CreateTable",
        props,
        logical_id,
        skip={
            "StreamSpecification",
            "SSESpecification",
            "TimeToLiveSpecification",
            "Tags",
            "PointInTimeRecoverySpecification",
        },
    )
    params.setdefault("TableName", ctx.name(logical_id, 255))
    if "StreamSpecification" in props:
        params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:
        params["SSESpecification"] = {"Enabled": bool(props["SSESpecification"].get("SSEEnabled"))}
    if props.get("Tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in tag_map(props).items()]
    table = dynamodb.create_table(**params)["TableDescription"]
    ctx.began(params["TableName"])
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=params["TableName"],
            TimeToLiveSpecification={
                "Enabled": bool(ttl.get("Enabled")),
                "AttributeName": ttl.get("AttributeName", ""),
            },
        )
    attributes = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Created(params["TableName"], attributes)


def _stream(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    kinesis = ctx.client("kinesis")
    name = props.get("Name") or ctx.name(logical_id, 128)
    params: dict[str, Any] = {"StreamName": name}
    on_demand = (props.get("StreamModeDetails") or {}).get("StreamMode") == "ON_DEMAND"
    if on_demand:
        params["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
    else:
        params["ShardCount"] = int(props.get("ShardCount", 1))
    kinesis.create_stream(**params)
    ctx.began(name)
    if "RetentionPeriodHours" in props and int(props["RetentionPeriodHours"]) > 24:
        kinesis.increase_stream_retention_period(
            StreamName=name, RetentionPeriodHours=int(props["RetentionPeriodHours"])
        )
    warn_ignored(
        ctx, logical_id, props, {"Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours", "Tags"}
    )
    return Created(name, {"Arn": f"arn:aws:kinesis:{ctx.region}:{ctx.account_id}:stream/{name}"})


def _log_group(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    logs = ctx.client("logs")
    name = props.get("LogGroupName") or ctx.name(logical_id, 512)
    logs.create_log_group(logGroupName=name)
    ctx.began(name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    warn_ignored(ctx, logical_id, props, {"LogGroupName", "RetentionInDays", "Tags"})
    return Created(name, {"Arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}:*"})


# -- EventBridge, Step Functions ---------------------------------------------------------------------------
def _event_bus(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    params = api_params(ctx, "events", "CreateEventBus", props, logical_id, skip={"Tags", "Policy"})
    arn = ctx.client("events").create_event_bus(**params)["EventBusArn"]
    return Created(params["Name"], {"Arn": arn, "Name": params["Name"]})


def _rule(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    events = ctx.client("events")
    params = api_params(ctx, "events", "PutRule", props, logical_id, skip={"Targets"})
    params.setdefault("Name", ctx.name(logical_id, 64))
    params.setdefault("State", "ENABLED")
    if "EventPattern" in params:
        params["EventPattern"] = json_text(params["EventPattern"])
    bus = str(params.get("EventBusName") or "default")
    bus_name = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
    arn = events.put_rule(**params)["RuleArn"]
    ctx.began(params["Name"] if bus_name == "default" else f"{bus_name}|{params['Name']}")
    targets = props.get("Targets") or []
    if targets:
        # CloudFormation's target properties are PutTargets' own (Input, InputPath, InputTransformer,
        # DeadLetterConfig, RetryPolicy, RoleArn, SqsParameters, ...).
        response = events.put_targets(Rule=params["Name"], EventBusName=bus, Targets=targets)
        if response.get("FailedEntryCount"):
            failed = response["FailedEntries"][0]
            raise ResourceFailure(f"target {failed.get('TargetId')}: {failed.get('ErrorMessage')}")
    # Ref is the rule name on the default bus and "bus|rule" on another (CloudFormation's Ref for Rule).
    physical = params["Name"] if bus_name == "default" else f"{bus_name}|{params['Name']}"
    return Created(physical, {"Arn": arn})


def _state_machine(ctx: Provisioner, logical_id: str, props: dict) -> Created:
    if "Definition" in props:
        definition = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        definition = props["DefinitionString"]
    else:
        raise ResourceFailure(
            "a state machine needs Definition or DefinitionString (DefinitionS3Location is not simulated)"
        )
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    name = props.get("StateMachineName") or ctx.name(logical_id, 80)
    params: dict[str, Any] = {"name": name, "definition": definition, "roleArn": props.get("RoleArn", "")}
    if "StateMachineType" in props:
        params["type"] = props["StateMachineType"]
    if props.get("Tags"):
        params["tags"] = [{"key": k, "value": v} for k, v in tag_map(props).items()]
    arn = ctx.client("stepfunctions").create_state_machine(**params)["stateMachineArn"]
    warn_ignored(
        ctx,
        logical_id,
        props,
        {
            "Definition",
            "DefinitionString",
            "DefinitionSubstitutions",
            "StateMachineName",
            "RoleArn",
            "StateMachineType",
            "Tags",
        },
    )
    return Created(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": ""})


HANDLERS = {
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::DynamoDB::Table": _table,
    "AWS::Kinesis::Stream": _stream,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _rule,
    "AWS::StepFunctions::StateMachine": _state_machine,
}
