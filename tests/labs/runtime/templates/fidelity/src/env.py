import os


def handler(event, context):
    names = ("PORT", "DEBUG", "RATIO", "OPENED", "ACCOUNT", "ENABLED", "MEMORY")
    return {
        "variables": {name: os.environ.get(name) for name in names},
        "memory": context.memory_limit_in_mb,
    }
