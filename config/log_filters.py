"""Logging filters named in settings.LOGGING."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx answer (403 for a student on an instructor page, 404, 400) is the site working as intended, but
    Django logs it with the exception's traceback, which reads like a crash in the terminal. Keep the one-line
    warning ("Forbidden (Permission denied): /path/"), drop the traceback; 5xx records are left untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
