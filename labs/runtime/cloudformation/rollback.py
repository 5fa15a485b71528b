"""Rolling back a stack that failed to create: its resources are deleted in reverse creation order, through
the same boto3 clients, so a failed deploy leaves the account as it found it (CloudFormation's
ROLLBACK_COMPLETE). Deleting a function, API, bucket or table takes its dependents with it, as on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["roll_back"]


def _role(cloud: Any, resource: Any) -> None:
    iam = cloud.client("iam")
    name = resource.physical_id
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _policy(cloud: Any, resource: Any) -> None:
    for role in resource.properties.get("Roles") or []:
        cloud.client("iam").delete_role_policy(RoleName=role, PolicyName=resource.physical_id)


def _managed_policy(cloud: Any, resource: Any) -> None:
    iam = cloud.client("iam")
    for role in resource.properties.get("Roles") or []:
        iam.detach_role_policy(RoleName=role, PolicyArn=resource.physical_id)
    iam.delete_policy(PolicyArn=resource.physical_id)


def _bucket(cloud: Any, resource: Any) -> None:
    s3 = cloud.client("s3")
    listing = s3.list_object_versions(Bucket=resource.physical_id)
    for item in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        s3.delete_object(Bucket=resource.physical_id, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=resource.physical_id)


def _rule(cloud: Any, resource: Any) -> None:
    events = cloud.client("events")
    bus, _, name = resource.physical_id.rpartition("|")
    bus = bus or "default"
    targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
    if targets:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=name, EventBusName=bus)


def _call(service: str, operation: str, parameter: str, value: Callable[[Any], Any] | None = None):
    def delete(cloud: Any, resource: Any) -> None:
        argument = value(resource) if value else resource.physical_id
        getattr(cloud.client(service), operation)(**{parameter: argument})

    return delete


def _kwargs_call(service: str, operation: str, arguments: Callable[[Any], dict]):
    def delete(cloud: Any, resource: Any) -> None:
        getattr(cloud.client(service), operation)(**arguments(resource))

    return delete


_DELETERS: dict[str, Callable[[Any, Any], None]] = {
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Lambda::Function": _call("lambda", "delete_function", "FunctionName"),
    "AWS::Lambda::EventSourceMapping": _call("lambda", "delete_event_source_mapping", "UUID"),
    "AWS::Lambda::Permission": _kwargs_call(
        "lambda",
        "remove_permission",
        lambda r: {"FunctionName": r.properties["FunctionName"], "StatementId": r.physical_id},
    ),
    "AWS::Lambda::EventInvokeConfig": _kwargs_call(
        "lambda",
        "delete_function_event_invoke_config",
        lambda r: {
            "FunctionName": r.properties["FunctionName"],
            "Qualifier": r.properties.get("Qualifier", "$LATEST"),
        },
    ),
    "AWS::Lambda::Alias": _kwargs_call(
        "lambda",
        "delete_alias",
        lambda r: {"FunctionName": r.properties["FunctionName"], "Name": r.properties["Name"]},
    ),
    "AWS::Lambda::LayerVersion": _kwargs_call(
        "lambda",
        "delete_layer_version",
        lambda r: {
            "LayerName": r.physical_id.split(":")[6],
            "VersionNumber": int(r.physical_id.split(":")[7]),
        },
    ),
    "AWS::SQS::Queue": _call("sqs", "delete_queue", "QueueUrl"),
    "AWS::SNS::Topic": _call("sns", "delete_topic", "TopicArn"),
    "AWS::SNS::Subscription": _call("sns", "unsubscribe", "SubscriptionArn"),
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::Table": _call("dynamodb", "delete_table", "TableName"),
    "AWS::Kinesis::Stream": _call("kinesis", "delete_stream", "StreamName"),
    "AWS::Logs::LogGroup": _call("logs", "delete_log_group", "logGroupName"),
    "AWS::Events::EventBus": _call("events", "delete_event_bus", "Name"),
    "AWS::Events::Rule": _rule,
    "AWS::StepFunctions::StateMachine": _call("stepfunctions", "delete_state_machine", "stateMachineArn"),
    "AWS::ApiGateway::RestApi": _call("apigateway", "delete_rest_api", "restApiId"),
    "AWS::ApiGatewayV2::Api": _call("apigatewayv2", "delete_api", "ApiId"),
    "AWS::ApiGateway::ApiKey": _call("apigateway", "delete_api_key", "apiKey"),
    "AWS::ApiGateway::UsagePlan": _call("apigateway", "delete_usage_plan", "usagePlanId"),
    "AWS::Lambda::Url": _call("lambda", "delete_function_url_config", "FunctionName"),
}
# Removed together with the resource they belong to (deleted later in the reverse order).
_GO_WITH_PARENT = {
    "AWS::Lambda::Version",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGateway::UsagePlanKey",
}


def roll_back(cloud: Any, created: list) -> list[str]:
    """Delete ``created`` (``StackResource``s in creation order) newest first; returns what could not be
    deleted (logical id and reason), which the deploy's error then reports."""
    left: list[str] = []
    for resource in reversed(created):
        if not resource.simulated or resource.type in _GO_WITH_PARENT:
            continue
        deleter = _DELETERS.get(resource.type)
        if deleter is None:
            left.append(f"{resource.logical_id} ({resource.type}): no delete in this simulation")
            continue
        try:
            deleter(cloud, resource)
        except Exception as error:  # noqa: BLE001 - keep rolling back the rest; report what stayed
            message = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
            left.append(f"{resource.logical_id} ({resource.type}): {message}")
    return left
