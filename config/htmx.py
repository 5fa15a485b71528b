"""The request type every view is written against (django-htmx's recommended typing).

``HtmxMiddleware`` gives every request an ``htmx`` attribute (``request.htmx`` is truthy for a request that
htmx sent, with ``target``, ``trigger`` and the rest); typing a view's request as ``HtmxHttpRequest`` says
so to readers and type checkers. A leaf module: it imports nothing of the project.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

__all__ = ["HtmxHttpRequest"]


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
