from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

logger = Logger()
app = APIGatewayRestResolver()


@app.get("/orders/<order_id>")
def get_order(order_id: str):
    logger.info("order read", extra={"order_id": order_id})
    return {"id": order_id, "status": "shipped"}


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
