"""Deploying AWS SAM / CloudFormation templates into a simulated account: ``deploy(cloud, text) -> Stack``.

``deployment`` runs a deploy (parameters, conditions, the dependency graph, outputs); ``template`` decodes,
lints (cfn-lint) and expands SAM (aws-sam-translator); ``intrinsics`` evaluates ``Ref`` / ``Fn::*``;
``resources``, ``awslambda`` and ``apigateway`` create each resource type through the account's boto3
clients; ``rollback`` deletes what a failed deploy created.
"""

from labs.runtime.cloudformation.deployment import (
    Stack,
    StackResource,
    TemplateError,
    TemplateProblem,
    deploy,
)

__all__ = ["Stack", "StackResource", "TemplateError", "TemplateProblem", "deploy"]
