"""The spec of a new execution environment: what the fork server needs to start one for a function version.

Its code and layers (unpacked once into the account's part of the code store, ``cloud.code``), the Lambda runtime's environment
variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
with the function's own on top, fresh temporary credentials, and the resource limits of its process.
"""

from __future__ import annotations

from labs.runtime.awslambda import wheelhouse
from labs.runtime.sandbox.host import fork_server

__all__ = ["environment_spec"]

RUNTIME_OVERHEAD_MB = 320  # address space of the Python runtime with boto3, beyond the function's memory


def environment_spec(cloud, layer_code, function, log_stream: str) -> dict:
    """The spawn spec of an environment for ``function`` (moto's function version) in ``cloud``, logging to
    ``log_stream``. Raises ``InvalidCodeError`` (``CodeTooLargeError`` past the account's code limit). ``layer_code(arn)`` gives a layer version's zip bytes. Draws the credentials from the
    cloud's seeded random source."""
    server = fork_server(cloud.sandbox_mode)
    layer_arns = [layer["Arn"] for layer in function.layers]
    try:
        packages = wheelhouse.distributions_for(function.code_bytes, layer_arns, cloud.account_id)
    except wheelhouse.PackageError:
        # Refused at deploy; only code that reached moto another way (from S3, say) gets here: it runs
        # without them, as it would on AWS without `sam build`, and its imports fail as they would there.
        packages = wheelhouse.distributions_for(b"", layer_arns, cloud.account_id)
    packages = sorted({*packages, *wheelhouse.runtime_included(function.run_time)})
    own_layers = [arn for arn in layer_arns if wheelhouse.layer_distributions(arn, cloud.account_id) is None]
    layer_archives = [layer_code(arn) for arn in own_layers]
    task_relative = cloud.code.directory(server.store.root, [function.code_bytes])
    task_dir, store_dir = server.code_paths(task_relative)
    opt_dir = (
        server.code_paths(cloud.code.directory(server.store.root, layer_archives))[0]
        if layer_archives
        else None
    )
    isolated = cloud.sandbox_mode == "bwrap"
    task_root, opt_root = ("/var/task", "/opt") if isolated else (task_dir, opt_dir or "/nonexistent")
    storage_mb = (
        int((function.ephemeral_storage or {}).get("Size", 512))
        if isinstance(function.ephemeral_storage, dict)
        else int(function.ephemeral_storage or 512)
    )
    return {
        "task_dir": task_dir,
        "opt_dir": opt_dir,
        "store_dir": store_dir,
        "tmp_bytes": storage_mb * 1024 * 1024,
        "python_path": [
            task_root,
            f"{opt_root}/python/lib/python3.12/site-packages",
            f"{opt_root}/python",
            *wheelhouse.folders(packages, server.wheelhouse_path),
        ],
        "handler": function.handler,
        "function_name": function.function_name,
        "function_version": str(function.version),
        "memory_mb": int(function.memory_size),
        "log_group_name": f"/aws/lambda/{function.function_name}",
        "log_stream_name": log_stream,
        "environment": _variables(cloud, function, log_stream, task_root),
        "limits": {
            "address_space": (int(function.memory_size) + RUNTIME_OVERHEAD_MB) * 1024 * 1024,
            "processes": 64,
            "open_files": 1024,
            "file_size": storage_mb * 1024 * 1024,
            "cpu_seconds": 900,
            "core": 0,
        },
    }


def _variables(cloud, function, log_stream: str, task_root: str) -> dict[str, str]:
    """The environment variables the function's process sees: Lambda's reserved ones, then its own."""
    random = cloud.ids
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_REGION": cloud.region,
        "AWS_DEFAULT_REGION": cloud.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
        "AWS_ACCESS_KEY_ID": "ASIA" + "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16)),
        "AWS_SECRET_ACCESS_KEY": f"{random.getrandbits(160):040x}",
        "AWS_SESSION_TOKEN": f"{random.getrandbits(512):0128x}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "PYTHONPATH": "/var/runtime",
        **{str(k): str(v) for k, v in (function.environment_vars or {}).items()},
    }
