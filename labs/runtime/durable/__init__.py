"""Lambda durable functions: executions checkpointed and replayed on the simulated clock (see ``service``)."""
