"""Lambda's event source mappings (poll-based invocation), polled when the simulation is idle: SQS queues
(``sqs.SqsPoller``), DynamoDB Streams and Kinesis (``streams.StreamPoller``, reading ``stream_records``, with
``stream_settings``), and the ``FilterCriteria`` every mapping may have (``filter_criteria``)."""
