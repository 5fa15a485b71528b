import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class InvalidInput(Exception):
    """The event does not carry a usable number."""


def lambda_handler(event, context):
    if not isinstance(event, dict) or "number" not in event:
        raise InvalidInput('expected an event like {"number": 5}')
    number = event["number"]
    # bool is a subclass of int in Python: reject it explicitly.
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise InvalidInput(f"'number' must be a number, got {type(number).__name__}")
    logger.info("squaring %s", number)
    return {"number": number, "squared": number * number}
