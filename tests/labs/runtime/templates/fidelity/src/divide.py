def handler(event, context):
    """A function behind a Lambda custom integration: the event is what the request template made."""
    if event["b"] == 0:
        raise ValueError("division by zero: b must not be 0")
    return {"quotient": event["a"] / event["b"]}
