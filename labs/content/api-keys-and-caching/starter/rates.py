"""RatesFunction: GET /rates?currency=XXX answers today's rate, fetched from an upstream market-data feed
that charges per call (here: computed); GET /health answers that the service is up."""

import json

RATES = {"EUR": "0.92", "GBP": "0.79", "JPY": "151.20", "USD": "1.00"}


def answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def lambda_handler(event, context):
    if event["resource"] == "/health":
        return answer(200, {"status": "ok", "request_id": context.aws_request_id})
    currency = (event.get("queryStringParameters") or {}).get("currency", "")
    if currency not in RATES:
        return answer(400, {"error": f"unknown currency {currency!r}", "known": sorted(RATES)})
    # every call below is one paid call to the market-data feed
    return answer(200, {"currency": currency, "rate": RATES[currency], "request_id": context.aws_request_id})
