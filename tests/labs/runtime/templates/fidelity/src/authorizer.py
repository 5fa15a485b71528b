def _policy(effect, resource):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def handler(event, context):
    """A Lambda authorizer as apigateway-use-lambda-authorizer.html and http-api-lambda-authorizer.html write them."""
    if event.get("version") == "2.0":  # an HTTP API's simple response
        return {
            "isAuthorized": event["headers"].get("authorization") == "letmein",
            "context": {"who": "http"},
        }
    if event["type"] == "TOKEN":
        token = event["authorizationToken"]
        if token == "Bearer allow":
            return {
                "principalId": "alice",
                "policyDocument": _policy("Allow", event["methodArn"]),
                "context": {"who": "token"},
            }
        if token == "Bearer deny":
            return {"principalId": "alice", "policyDocument": _policy("Deny", event["methodArn"])}
        raise Exception("Unauthorized")
    user = (event.get("headers") or {}).get("x-user")
    effect = "Allow" if user == "alice" else "Deny"
    return {"principalId": user or "nobody", "policyDocument": _policy(effect, event["methodArn"])}
