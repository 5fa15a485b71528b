"""DynamoDB transactions are authorized item by item, as on AWS: each Put / Update / Delete / Get needs
PutItem / UpdateItem / DeleteItem / GetItem on its own table and each ConditionCheck needs
ConditionCheckItem; there is no IAM action of the transaction's own
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html)."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.labs.runtime.conftest import TRUST_POLICY


def make_table(dynamodb, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def role_client(cloud, actions: list[str], tables: list[str]):
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="writer", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    resources = [f"arn:aws:dynamodb:{cloud.region}:{cloud.account_id}:table/{table}" for table in tables]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
    }
    iam.put_role_policy(RoleName="writer", PolicyName="p", PolicyDocument=json.dumps(policy))
    return cloud.client_as_role("dynamodb", role, "session")


TRANSACTION = [
    {"Put": {"TableName": "orders", "Item": {"id": {"S": "o-1"}}}},
    {
        "Update": {
            "TableName": "stock",
            "Key": {"id": {"S": "mug"}},
            "UpdateExpression": "SET n = :n",
            "ExpressionAttributeValues": {":n": {"N": "1"}},
        }
    },
    {
        "ConditionCheck": {
            "TableName": "stock",
            "Key": {"id": {"S": "lamp"}},
            "ConditionExpression": "attribute_not_exists(locked)",
        }
    },
]


def test_a_transaction_needs_each_items_own_action_on_its_own_table(cloud):
    dynamodb = cloud.client("dynamodb")
    make_table(dynamodb, "orders")
    make_table(dynamodb, "stock")
    writer = role_client(
        cloud,
        ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem"],
        ["orders", "stock"],
    )
    writer.transact_write_items(TransactItems=TRANSACTION)
    got = writer.transact_get_items(
        TransactItems=[{"Get": {"TableName": "orders", "Key": {"id": {"S": "o-1"}}}}]
    )
    assert got["Responses"][0]["Item"] == {"id": {"S": "o-1"}}
    calls = [
        entry
        for entry in cloud.trace
        if entry["kind"] == "api_call" and entry["operation"] == "TransactWriteItems"
    ]
    assert calls[0]["resource"].endswith(":table/orders")


@pytest.mark.parametrize(
    ("actions", "tables", "missing"),
    [
        (
            ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            ["orders", "stock"],
            "dynamodb:ConditionCheckItem on resource: arn:aws:dynamodb:",
        ),
        (
            ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
            ["orders"],
            "dynamodb:UpdateItem on resource: arn:aws:dynamodb:",
        ),
        (
            ["dynamodb:TransactWriteItems"],
            ["orders", "stock"],
            "dynamodb:PutItem on resource: arn:aws:dynamodb:",
        ),
    ],
)
def test_a_transaction_is_refused_naming_the_first_item_it_may_not_do(cloud, actions, tables, missing):
    dynamodb = cloud.client("dynamodb")
    make_table(dynamodb, "orders")
    make_table(dynamodb, "stock")
    writer = role_client(cloud, actions, tables)
    with pytest.raises(ClientError, match="AccessDenied") as caught:
        writer.transact_write_items(TransactItems=TRANSACTION)
    assert f"not authorized to perform: {missing}" in caught.value.response["Error"]["Message"]
    assert "Item" not in dynamodb.get_item(TableName="orders", Key={"id": {"S": "o-1"}})
