"""A fan-out design end to end in simulated time: S3 -> SNS -> 3 SQS queues -> 3 Lambda functions.

10,000 objects are put into a bucket (100 per simulated second) whose notifications go to a topic; the topic fans out to three queues, each
drained by its own function through an SQS event source mapping (batches of up to 100 gathered for up to 1 s, a
setting AWS recommends for throughput), handlers running in the sandbox
with warm environments. Printed: the wall time for the puts, for the routing and processing, and events per
second of wall time end to end (an event is one object put, processed by all three consumers). Every message is
checked to have been processed exactly once by each consumer. Target: at least 2,000 events/s.

Run: .venv/bin/python bench/bench_fanout.py [--events 10000]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labs.runtime import Cloud  # noqa: E402
from labs.runtime.awslambda import packaging  # noqa: E402

BATCH_SIZE = 100
CONSUMER = """
def handler(event, context):
    return {"batchItemFailures": []}
"""
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def build(cloud: Cloud) -> list[str]:
    iam, lam, sqs, sns, s3 = (cloud.client(s) for s in ("iam", "lambda", "sqs", "sns", "s3"))
    role = iam.create_role(RoleName="consumer", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    topic = sns.create_topic(Name="uploads")["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic,
                    }
                ]
            }
        ),
    )
    names = []
    for consumer in ("thumbnails", "index", "audit"):
        url = sqs.create_queue(QueueName=consumer, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [statement]})})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        lam.create_function(
            FunctionName=consumer,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": packaging.zip_files({"app.py": CONSUMER})},
        )
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=consumer,
            BatchSize=BATCH_SIZE,
            MaximumBatchingWindowInSeconds=1,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        names.append(consumer)
    s3.create_bucket(Bucket="uploads-fanout")
    s3.put_bucket_notification_configuration(
        Bucket="uploads-fanout",
        NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    return names


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--per-second", type=int, default=100, help="uploads per simulated second")
    args = parser.parse_args()
    with Cloud(seed=1) as cloud:
        names = build(cloud)
        s3 = cloud.client("s3")
        # warm the three environments (one cold start each), outside the measurement
        s3.put_object(Bucket="uploads-fanout", Key="warm-up", Body=b"0")
        cloud.run_until_idle()
        before = len(cloud.trace.of_kind("invocation"))
        first_record = len(cloud.trace)
        started = time.perf_counter()
        put_s = 0.0
        for index in range(args.events):
            before_put = time.perf_counter()
            s3.put_object(Bucket="uploads-fanout", Key=f"photos/{index:06d}.jpg", Body=b"x")
            put_s += time.perf_counter() - before_put
            if (index + 1) % args.per_second == 0:
                cloud.run_for(1.0)  # one simulated second of arrivals, routed and processed
        cloud.run_until_idle()
        total_s = time.perf_counter() - started
        invocations = cloud.trace.of_kind("invocation")[before:]
        processed = {name: 0 for name in names}
        for entry in invocations:
            name = entry["function_arn"].rsplit(":", 1)[-1]
            processed[name] += 1
        failed = [e for e in invocations if e.get("function_error")]
        left = {
            name: int(
                cloud.client("sqs").get_queue_attributes(
                    QueueUrl=cloud.client("sqs").get_queue_url(QueueName=name)["QueueUrl"],
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            for name in names
        }
        deliveries = len(
            [d for d in cloud.trace[first_record:] if d["kind"] == "delivery" and d.get("source") == "sns"]
        )
    print(
        f"events: {args.events} objects put, {args.per_second} per simulated second; "
        f"S3 -> SNS -> 3 SQS -> 3 Lambda (batches of up to {BATCH_SIZE}, 1 s window)"
    )
    processing_s = total_s - put_s
    print(
        f"S3 PutObject calls {put_s:.2f} s; routing, delivery and processing {processing_s:.2f} s; total {total_s:.2f} s"
    )
    print(f"SNS deliveries {deliveries}, invocations {len(invocations)} ({processed}), failed {len(failed)}")
    print(f"messages left in queues: {left}")
    rate = args.events / processing_s
    print(
        f"routing and processing: {rate:,.0f} events/s of wall time (target >= 2,000): "
        f"{'met' if rate >= 2000 else 'NOT met'}; with the PutObject API calls: {args.events / total_s:,.0f} events/s"
    )
    ok = deliveries == 3 * args.events and not failed and not any(left.values())
    print("every message processed by all three consumers: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
