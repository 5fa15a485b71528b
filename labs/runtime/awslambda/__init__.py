"""AWS Lambda: invoking functions in execution environments (``service.LambdaService``), concurrency in
simulated time, asynchronous invocation with retries and destinations, deployment packages and prices.

The control plane (create_function, versions, aliases, permissions) is moto's Lambda backend."""
