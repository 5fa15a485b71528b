"""One HTTP session for calls to platforms, with a timeout: pylti1p3 sets none, and a stalled LMS must
not hold a web request or a Celery worker forever."""

import requests

TIMEOUT_S = 10


class TimeoutSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = "serverless-learning-lti"

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(method, url, **kwargs)
