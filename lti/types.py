from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request after django-htmx's middleware (django-htmx's documented typing pattern)."""

    htmx: HtmxDetails
