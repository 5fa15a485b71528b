"""Which Task ``Resource`` values Step Functions accepts, and which of them this runtime simulates.

AWS's table of optimized integrations ("Optimized integrations for Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html) says, per service,
which integration patterns it allows: Request Response (no suffix), Run a Job (``.sync``, ``.sync:2`` for
Step Functions) and Wait for Callback (``.waitForTaskToken``); each service's own page
(``connect-<service>.html``) lists its APIs and which of them support ``.sync``. ``OPTIMIZED`` copies those
pages: ``{service: {action: patterns}}``. AWS SDK integrations (``arn:aws:states:::aws-sdk:<service>:<action>``)
allow Request Response and ``.waitForTaskToken`` but not ``.sync``. Lambda function ARNs name the function
itself (with or without a version or alias); activities are ``arn:aws:states:<region>:<account>:activity:<name>``.

A definition whose resources AWS accepts always validates here. Services this runtime does not simulate
fail at run time, at their state, with ``States.Runtime`` "valid on AWS, not simulated here" (see
``not_simulated``) instead of being refused by the validator.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

__all__ = [
    "OPTIMIZED",
    "SIMULATED",
    "SERVICE_NAMES",
    "Resource",
    "parse_resource",
    "not_simulated",
    "lambda_function_name",
]

_RR, _SYNC, _TOKEN = "", ".sync", ".waitForTaskToken"
_ALL = (_RR, _SYNC, _TOKEN)
_RR_SYNC = (_RR, _SYNC)
_RR_TOKEN = (_RR, _TOKEN)

OPTIMIZED: dict[str, dict[str, tuple[str, ...]]] = {
    # connect-api-gateway.html: Request Response and Wait for Callback.
    "apigateway": {"invoke": _RR_TOKEN},
    # connect-athena.html: StartQueryExecution supports .sync.
    "athena": {
        "startQueryExecution": _RR_SYNC,
        "stopQueryExecution": (_RR,),
        "getQueryExecution": (_RR,),
        "getQueryResults": (_RR,),
    },
    # connect-batch.html
    "batch": {"submitJob": _RR_SYNC},
    # connect-bedrock.html: customization and batch inference jobs support .sync and callbacks.
    "bedrock": {
        "invokeModel": (_RR,),
        "createModelCustomizationJob": _ALL,
        "createModelInvocationJob": _ALL,
    },
    # connect-codebuild.html
    "codebuild": {
        "startBuild": _RR_SYNC,
        "stopBuild": (_RR,),
        "batchDeleteBuilds": (_RR,),
        "batchGetReports": (_RR,),
        "startBuildBatch": _RR_SYNC,
        "stopBuildBatch": (_RR,),
        "retryBuildBatch": _RR_SYNC,
        "deleteBuildBatch": (_RR,),
        "retryBuild": _RR_SYNC,
    },
    # connect-ddb.html: Request Response only.
    "dynamodb": {"getItem": (_RR,), "putItem": (_RR,), "updateItem": (_RR,), "deleteItem": (_RR,)},
    # connect-ecs.html: RunTask supports .sync and callbacks.
    "ecs": {"runTask": _ALL},
    # connect-eks.html: the EKS APIs and the Kubernetes API (runJob, call).
    "eks": {
        "createCluster": _RR_SYNC,
        "deleteCluster": _RR_SYNC,
        "createFargateProfile": _RR_SYNC,
        "deleteFargateProfile": _RR_SYNC,
        "createNodegroup": _RR_SYNC,
        "deleteNodegroup": _RR_SYNC,
        "runJob": _ALL,
        "call": (_RR,),
    },
    # connect-emr.html: the optimized EMR APIs wrap EMR's own.
    "elasticmapreduce": {
        "createCluster": _RR_SYNC,
        "terminateCluster": _RR_SYNC,
        "addStep": _RR_SYNC,
        "cancelStep": (_RR,),
        "setClusterTerminationProtection": (_RR,),
        "modifyInstanceFleetByName": (_RR,),
        "modifyInstanceGroupByName": (_RR,),
    },
    # connect-emr-eks.html
    "emr-containers": {
        "createVirtualCluster": (_RR,),
        "deleteVirtualCluster": _RR_SYNC,
        "startJobRun": _RR_SYNC,
    },
    # connect-emr-serverless.html
    "emr-serverless": {
        "createApplication": _RR_SYNC,
        "startApplication": _RR_SYNC,
        "stopApplication": _RR_SYNC,
        "deleteApplication": _RR_SYNC,
        "startJobRun": _RR_SYNC,
        "cancelJobRun": _RR_SYNC,
    },
    # connect-eventbridge.html
    "events": {"putEvents": _RR_TOKEN},
    # connect-glue.html
    "glue": {"startJobRun": _RR_SYNC},
    # connect-databrew.html
    "databrew": {"startJobRun": _RR_SYNC},
    # connect-third-party-apis.html: HTTP Task, Request Response.
    "http": {"invoke": (_RR,)},
    # connect-lambda.html
    "lambda": {"invoke": _RR_TOKEN},
    # connect-mediaconvert.html
    "mediaconvert": {"createJob": _RR_SYNC},
    # connect-sagemaker.html
    "sagemaker": {
        "createEndpoint": (_RR,),
        "createEndpointConfig": (_RR,),
        "createHyperParameterTuningJob": _RR_SYNC,
        "createLabelingJob": _RR_SYNC,
        "createModel": (_RR,),
        "createProcessingJob": _RR_SYNC,
        "createTrainingJob": _RR_SYNC,
        "createTransformJob": _RR_SYNC,
        "updateEndpoint": (_RR,),
    },
    # connect-sns.html, connect-sqs.html
    "sns": {"publish": _RR_TOKEN},
    "sqs": {"sendMessage": _RR_TOKEN},
    # connect-stepfunctions.html: .sync returns the output as a string, .sync:2 as JSON.
    "states": {"startExecution": (_RR, _SYNC, ".sync:2", _TOKEN)},
}

# What the runtime runs: the other optimized integrations validate and fail at run time (``not_simulated``).
SIMULATED = {"lambda", "sqs", "sns", "dynamodb", "events", "states"}

SERVICE_NAMES = {
    "apigateway": "Amazon API Gateway",
    "athena": "Amazon Athena",
    "batch": "AWS Batch",
    "bedrock": "Amazon Bedrock",
    "codebuild": "AWS CodeBuild",
    "dynamodb": "Amazon DynamoDB",
    "ecs": "Amazon ECS",
    "eks": "Amazon EKS",
    "elasticmapreduce": "Amazon EMR",
    "emr-containers": "Amazon EMR on EKS",
    "emr-serverless": "Amazon EMR Serverless",
    "events": "Amazon EventBridge",
    "glue": "AWS Glue",
    "databrew": "AWS Glue DataBrew",
    "http": "HTTP Task (third-party APIs)",
    "lambda": "AWS Lambda",
    "mediaconvert": "AWS Elemental MediaConvert",
    "sagemaker": "Amazon SageMaker",
    "sns": "Amazon SNS",
    "sqs": "Amazon SQS",
    "states": "AWS Step Functions",
    "activity": "Step Functions activities",
}

_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso|-iso-b)?"
_REGION = r"(?:[a-z]{2}(?:-[a-z]+)+-\d)?"
_ACCOUNT = r"(?:\d{12})?"
# connect-lambda.html / state-task.html: a function ARN, optionally qualified by a version or an alias.
_LAMBDA_ARN = re.compile(
    rf"^{_PARTITION}:lambda:{_REGION}:{_ACCOUNT}:function:(?P<name>[A-Za-z0-9_-]{{1,64}})"
    r"(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?$"
)
_ACTIVITY_ARN = re.compile(rf"^{_PARTITION}:states:{_REGION}:{_ACCOUNT}:activity:[A-Za-z0-9_.-]{{1,80}}$")
_SERVICE_ARN = re.compile(
    rf"^{_PARTITION}:states:{_REGION}:{_ACCOUNT}:(?P<service>[\w-]+):(?P<action>[\w:-]+?)"
    r"(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?$"
)


class Resource(NamedTuple):
    """A Task's Resource: kind is "lambda" (a function ARN), "optimized", "sdk" or "activity"."""

    kind: str
    service: str
    action: str
    pattern: str

    @property
    def simulated(self) -> bool:
        return self.kind in ("lambda", "sdk") or (self.kind == "optimized" and self.service in SIMULATED)


def parse_resource(resource: str) -> Resource | None:
    """The Resource parsed, or None when AWS would refuse it (``INVALID_RESOURCE``)."""
    if _LAMBDA_ARN.match(resource):
        return Resource("lambda", "lambda", "invoke", "")
    if _ACTIVITY_ARN.match(resource):
        return Resource("activity", "activity", "getActivityTask", "")
    match = _SERVICE_ARN.match(resource)
    if match is None:
        return None
    service, action, pattern = match.group("service"), match.group("action"), match.group("pattern") or ""
    if service == "aws-sdk":
        sdk_service, _, sdk_action = action.partition(":")
        if (
            not sdk_service
            or not re.fullmatch(r"[a-z][A-Za-z0-9]*", sdk_action)
            or pattern.startswith(".sync")
        ):
            return None
        return Resource("sdk", sdk_service, sdk_action, pattern)
    if pattern in OPTIMIZED.get(service, {}).get(action, ()):
        return Resource("optimized", service, action, pattern)
    return None


def not_simulated(resource: str, parsed: Resource) -> str:
    """The cause of the ``States.Runtime`` failure of a Task whose service is not simulated."""
    name = SERVICE_NAMES.get(parsed.service, parsed.service)
    return (
        f"valid on AWS, not simulated here: {name} ({resource}). Use a Lambda function Task "
        "(arn:aws:states:::lambda:invoke) that returns what the service would, as a stand-in."
    )


def lambda_function_name(resource: str) -> str:
    """What to pass Invoke as FunctionName: the ARN itself when it names a region and an account, else the
    function's name (and qualifier) in the execution's own account."""
    match = _LAMBDA_ARN.match(resource)
    parts = resource.split(":")
    if match is None or (parts[3] and parts[4]):
        return resource
    qualifier = match.group("qualifier")
    return match.group("name") + (f":{qualifier}" if qualifier else "")


# supported-services-awssdk.html: AWS SDK integrations name a service as the AWS SDK for Java v2 does
# (lowercase, no hyphens); a few differ from boto3's names beyond the hyphens.
_SDK_TO_BOTO3 = {
    "sfn": "stepfunctions",
    "states": "stepfunctions",
    "cloudwatchlogs": "logs",
    "eventbridge": "events",
    "elasticloadbalancingv2": "elbv2",
    "elasticloadbalancing": "elb",
    "emr": "emr",
}


def boto3_service_name(sdk_service: str) -> str | None:
    """boto3's name for an AWS SDK integration's service (``bedrockruntime`` -> ``bedrock-runtime``), or None
    when botocore has no such service."""
    if sdk_service in _SDK_TO_BOTO3:
        return _SDK_TO_BOTO3[sdk_service]
    known = _known_services()
    if sdk_service in known:
        return sdk_service
    return next((name for name in known if name.replace("-", "") == sdk_service), None)


@functools.lru_cache(maxsize=1)
def _known_services() -> tuple[str, ...]:
    import botocore.session

    return tuple(botocore.session.get_session().get_available_services())
