"""The services' state: moto's in-process backends, adapted to the simulation, and what moto lacks.

``hooks`` hands the deliveries moto would make itself (S3 notifications, SNS subscriptions, EventBridge
targets) to the owning ``Cloud``; ``clock`` puts moto's SQS, DynamoDB Streams and Kinesis on the simulated
clock; ``sqs`` makes moto's SQS fast enough for fan-out designs; ``rekognition`` answers DetectLabels from a
deterministic mock.
"""
