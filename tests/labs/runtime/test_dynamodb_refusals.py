"""DynamoDB requests that AWS refuses with a ValidationException and moto answers with its own KeyError or
StopIteration (which would end a grading as an infrastructure error instead of failing the student's call).
Messages as DynamoDB gives them: "Condition expressions" and "Supported data types" in the DynamoDB
Developer Guide."""

import pytest
from botocore.exceptions import ClientError

from labs.runtime import Cloud


@pytest.fixture
def table():
    with Cloud(seed=3) as cloud:
        dynamodb = cloud.client("dynamodb")
        dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


@pytest.mark.parametrize(
    ("request_fields", "says"),
    [
        (
            {
                "ConditionExpression": "attribute_not_exists(s) OR s < :s",
                "ExpressionAttributeValues": {":other": {"S": "1"}},
            },
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :s",
        ),
        ({"Item": {"k": {"S": "a"}, "thumbnail": {}}}, "Supplied AttributeValue is empty"),
    ],
)
def test_a_request_aws_refuses_is_a_validation_exception(table, request_fields, says):
    with pytest.raises(ClientError) as refused:
        table.put_item(**{"TableName": "t", "Item": {"k": {"S": "a"}, "s": {"S": "1"}}, **request_fields})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert says in refused.value.response["Error"]["Message"]
    assert "Item" not in table.get_item(TableName="t", Key={"k": {"S": "a"}})  # nothing was written


def test_well_formed_expressions_still_work(table):
    table.put_item(
        TableName="t",
        Item={"k": {"S": "a"}, "n": {"N": "1"}},
        ConditionExpression="attribute_not_exists(k)",
    )
    table.update_item(
        TableName="t",
        Key={"k": {"S": "a"}},
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    assert table.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "2"}


@pytest.mark.parametrize(
    "request_fields",
    [
        {"ConditionExpression": "attribute_not_exists(k"},  # moto: ValueError "Bad function expression"
        {
            "UpdateExpression": "SET quantity = quantity - :quantity",
            "ExpressionAttributeValues": {":other": {"N": "1"}},
        },
    ],
)
def test_what_moto_cannot_parse_is_a_validation_exception_not_a_crash(table, request_fields):
    call = table.update_item if "UpdateExpression" in request_fields else table.put_item
    key = {"Key": {"k": {"S": "a"}}} if "UpdateExpression" in request_fields else {"Item": {"k": {"S": "a"}}}
    with pytest.raises(ClientError) as refused:
        call(TableName="t", **key, **request_fields)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
