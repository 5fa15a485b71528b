import django


def handler(event, context):
    return django.get_version()
