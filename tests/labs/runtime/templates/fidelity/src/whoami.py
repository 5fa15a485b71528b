import json


def handler(event, context):
    """Echo what the authorizer put in the request context (set-up-lambda-proxy-integrations.html)."""
    authorizer = event["requestContext"].get("authorizer") or {}
    return {"statusCode": 200, "body": json.dumps({"authorizer": authorizer})}
