"""Amazon API Gateway's data plane: REST APIs and HTTP APIs called as an HTTP client would.

``gateway.ApiGateway`` (``cloud.http_request``) resolves the API and stage, matches the route and calls the
integration; ``access`` decides who may call and how often (throttling, API keys and usage plans, Lambda
authorizers, CORS); ``proxy`` holds the Lambda proxy payload formats 1.0 and 2.0 (``HttpResponse``);
``service_integrations`` calls AWS actions for REST ``AWS`` integrations and HTTP APIs' first-class ones
(``IntegrationSubtype``), with the VTL mapping templates of ``mapping_templates``.
APIs are configured with ordinary boto3 calls, stored by moto."""
