"""AWS Identity and Access Management: policy evaluation (``policy.evaluate``, a pure function), the runtime's
authorizer for requests made as a role (``authorization``), and the resource-based policies that let S3, SNS
and EventBridge deliver to Lambda, SQS and SNS (``service_access``)."""
