import requests


def handler(event, context):
    session = requests.Session()
    prepared = session.prepare_request(requests.Request("GET", event["url"], params={"q": "lambda"}))
    try:
        session.send(prepared, timeout=2)
        reached = True
    except requests.exceptions.ConnectionError as error:
        reached, reason = False, type(error).__name__
    return {"url": prepared.url, "reached": reached, "reason": None if reached else reason}
