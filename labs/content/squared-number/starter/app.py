def lambda_handler(event, context):
    number = event["number"]
    return {"number": number, "squared": number * number}
