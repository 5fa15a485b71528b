"""Least privilege: the student's policy becomes the execution role of a working function (written here).
Graded twice over: the function must run without AccessDenied, and the policy, evaluated by the runtime's
IAM engine (labs.runtime.iam.policy), must deny actions and resources the code never uses."""

import json
import re

from labs.grading.checks import CheckFailed, check
from labs.runtime.iam.policy import evaluate

FILE = "policy.json"
FUNCTION = "invoice-writer"

HANDLER = """
import json
import os

import boto3

dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")
sqs = boto3.client("sqs")


def handler(event, context):
    order_id = event["order_id"]
    item = dynamodb.get_item(TableName="orders", Key={"order_id": {"S": order_id}}).get("Item")
    if item is None:
        raise LookupError(f"no order {order_id} in the orders table")
    invoice = {"order_id": order_id, "customer": item["customer"]["S"], "total": item["total"]["N"]}
    key = f"invoices/{order_id}.json"
    s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(invoice).encode())
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"invoice": key}))
    return {"invoice": key}
"""

_SUBSTITUTION = re.compile(r"\$\{([\w:]+)\}")


def setup(lab):
    account, region = lab.cloud.account_id, lab.cloud.region
    lab.bucket = f"invoices-{account}"
    lab.arns = {
        "orders": f"arn:aws:dynamodb:{region}:{account}:table/orders",
        "customers": f"arn:aws:dynamodb:{region}:{account}:table/customers",
        "queue": f"arn:aws:sqs:{region}:{account}:invoice-ready",
        "audit_queue": f"arn:aws:sqs:{region}:{account}:audit",
        "bucket": f"arn:aws:s3:::{lab.bucket}",
    }
    dynamodb = lab.client("dynamodb")
    for table in ("orders", "customers"):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.put_item(
        TableName="orders",
        Item={"order_id": {"S": "o-1"}, "customer": {"S": "Ana"}, "total": {"N": "129.5"}},
    )
    lab.client("s3").create_bucket(Bucket=lab.bucket)
    sqs = lab.client("sqs")
    lab.queue_url = sqs.create_queue(QueueName="invoice-ready")["QueueUrl"]
    sqs.create_queue(QueueName="audit")
    lab.policy = _policy(lab)
    lab.deploy_function(
        FUNCTION,
        handler="invoice.handler",
        files={"invoice.py": HANDLER},
        role_arn=lab.role(policy=lab.policy),
        environment={"BUCKET": lab.bucket, "QUEUE_URL": lab.queue_url},
    )


def _policy(lab) -> dict:
    """The student's policy, with ${AWS::AccountId} and ${AWS::Region} substituted (as Fn::Sub does),
    checked for the shape IAM accepts; a problem fails every check naming where it is."""
    lab.json_file(FILE)  # a syntax error: its line and column
    values = {"AWS::AccountId": lab.cloud.account_id, "AWS::Region": lab.cloud.region}
    text = lab.files[FILE]
    unknown = sorted(set(_SUBSTITUTION.findall(text)) - set(values))
    if unknown:
        raise CheckFailed(
            f"{FILE} uses ${{{unknown[0]}}}; the substitutions are ${{AWS::AccountId}} and ${{AWS::Region}}"
        )
    policy = json.loads(_SUBSTITUTION.sub(lambda match: values[match.group(1)], text))
    if not isinstance(policy, dict) or policy.get("Version") != "2012-10-17":
        raise CheckFailed(f'{FILE}: the policy must be a JSON object with "Version": "2012-10-17"')
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise CheckFailed(f"{FILE}: $.Statement must be a statement or a non-empty list of statements")
    for index, statement in enumerate(statements):
        at = f"$.Statement[{index}]"
        if not isinstance(statement, dict):
            raise CheckFailed(f"{FILE}: {at} must be an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise CheckFailed(f'{FILE}: {at}.Effect must be "Allow" or "Deny"')
        for field in ("Action", "NotAction", "Resource", "NotResource"):
            if field in statement and not _strings(statement[field]):
                raise CheckFailed(f"{FILE}: {at}.{field} must be a string or a non-empty list of strings")
        if not ("Action" in statement or "NotAction" in statement):
            raise CheckFailed(f"{FILE}: {at} needs an Action")
        if not ("Resource" in statement or "NotResource" in statement):
            raise CheckFailed(
                f"{FILE}: {at} needs a Resource (an execution role's policy names what it applies to)"
            )
        if "Principal" in statement:
            raise CheckFailed(
                f"{FILE}: {at} has a Principal: that belongs in resource-based policies, not here"
            )
    return {"Version": "2012-10-17", "Statement": statements}


def _strings(value) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(item, str) and item for item in values)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _must_deny(lab, cases):
    for action, resource in cases:
        decision = evaluate([lab.policy], action, resource)
        lab.require(
            not decision.allowed,
            f"policy.json allows {action} on {resource}, which the function never needs. "
            "Grant only the actions the code calls, on the exact resources it uses.",
        )


@check("function_works", "The function runs without AccessDenied and does its job", points=3)
def function_works(lab):
    result = lab.invoke(FUNCTION, {"order_id": "o-1"})
    lab.require(
        result.ok,
        f"The function failed: {result.error}. An AccessDenied message names the action and the resource "
        "your policy must allow.",
    )
    invoice = lab.client("s3").get_object(Bucket=lab.bucket, Key="invoices/o-1.json")["Body"].read()
    lab.require(json.loads(invoice)["order_id"] == "o-1", "The invoice in S3 is not the one for o-1.")
    messages = lab.client("sqs").receive_message(QueueUrl=lab.queue_url).get("Messages", [])
    lab.require(messages, "No message reached the invoice-ready queue.")


@check("no_wildcards", 'No wildcard actions, no Resource "*", no NotAction or NotResource', points=2)
def no_wildcards(lab):
    for index, statement in enumerate(lab.policy["Statement"]):
        at = f"$.Statement[{index}]"
        if statement["Effect"] != "Allow":
            continue  # a Deny can only take permissions away
        for field in ("NotAction", "NotResource"):
            lab.require(
                field not in statement,
                f"{at} allows with {field}: that grants everything except what it lists. List what is needed.",
            )
        for action in _as_list(statement["Action"]):
            lab.require(
                "*" not in action and "?" not in action,
                f'{at}.Action has "{action}": name each action (dynamodb:GetItem), no wildcards.',
            )
        for resource in _as_list(statement["Resource"]):
            # A wildcard is fine only in the object-key part of an S3 ARN (bucket/prefix/*): a function that
            # writes one object per order cannot name every key in advance.
            bucket_part = resource.split("/", 1)[0] if resource.startswith("arn:aws:s3:::") else resource
            lab.require(
                "*" not in bucket_part and "?" not in bucket_part,
                f'{at}.Resource has "{resource}": name the table, queue or bucket by its full ARN.',
            )


@check("denies_unneeded_access", "Denies actions and resources the function does not use", points=3)
def denies_unneeded_access(lab):
    arns, bucket = lab.arns, lab.arns["bucket"]
    _must_deny(
        lab,
        [
            ("dynamodb:DeleteItem", arns["orders"]),
            ("dynamodb:Scan", arns["orders"]),
            ("dynamodb:GetItem", arns["customers"]),
            ("s3:GetObject", f"{bucket}/invoices/o-1.json"),
            ("s3:DeleteObject", f"{bucket}/invoices/o-1.json"),
            ("sqs:ReceiveMessage", arns["queue"]),
            ("sqs:SendMessage", arns["audit_queue"]),
        ],
    )


@check("writes_only_under_prefix", "Writes invoices only under invoices/ in their bucket", points=1)
def writes_only_under_prefix(lab):
    _must_deny(
        lab,
        [
            ("s3:PutObject", f"{lab.arns['bucket']}/private/keys.json"),
            ("s3:PutObject", "arn:aws:s3:::another-bucket/invoices/o-1.json"),
        ],
    )


@check("denies_other_access", "Denies other reads and writes the code never makes", points=2)
def denies_other_access(lab):
    arns, bucket = lab.arns, lab.arns["bucket"]
    _must_deny(
        lab,
        [
            ("dynamodb:Query", arns["orders"]),
            ("dynamodb:UpdateItem", arns["orders"]),
            ("dynamodb:PutItem", arns["orders"]),
            ("dynamodb:BatchGetItem", arns["orders"]),
            ("dynamodb:GetItem", f"{arns['orders']}/index/by-customer"),
            ("sqs:DeleteMessage", arns["queue"]),
            ("sqs:PurgeQueue", arns["queue"]),
            ("s3:ListBucket", bucket),
            ("s3:PutBucketPolicy", bucket),
            ("s3:PutObjectAcl", f"{bucket}/invoices/o-1.json"),
            ("iam:PassRole", f"arn:aws:iam::{lab.cloud.account_id}:role/admin"),
        ],
    )
