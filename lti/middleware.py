"""Our pages inside the LMS's iframe, for sessions started by an LTI launch only.

``LtiFrameMiddleware`` (listed after XFrameOptionsMiddleware, so it sees the response first): a session
launched from an LMS may be framed by that LMS's origin (CSP ``frame-ancestors 'self' <origin>``) instead
of X-Frame-Options DENY. Every other session keeps DENY.

``LtiCookieMiddleware`` (listed before SessionMiddleware, so it sees the cookies that the session and CSRF
middleware set): inside a cross-site iframe the browser sends only ``SameSite=None; Secure`` cookies, so an
LTI session's session and CSRF cookies get those attributes over HTTPS. Other sessions keep Lax.
"""

from __future__ import annotations

from django.conf import settings

from .session import frame_origins, is_lti_session


class LtiFrameMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or "Content-Security-Policy" in response:
            return response
        origins = frame_origins(session)
        if origins:
            response["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(origins)
            response.xframe_options_exempt = True
        return response


class LtiCookieMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not request.is_secure() or not is_lti_session(session):
            return response
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            morsel = response.cookies.get(name)
            if morsel is not None and morsel.value:
                morsel["samesite"] = "None"
                morsel["secure"] = True
        return response
