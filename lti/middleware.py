"""Our pages inside the LMS's iframe, for sessions started by an LTI launch only.

``LtiFrameMiddleware`` (listed after XFrameOptionsMiddleware, so it sees the response first): a session
launched from an LMS may be framed by that LMS's origin (CSP ``frame-ancestors 'self' <origin>``) instead
of X-Frame-Options DENY. Every other session keeps DENY. It is listed after django-csp's CSPMiddleware, so
the directive joins the site-wide policy (which has no frame-ancestors: views exempt from X-Frame-Options,
such as a refused launch, stay framable by the LMS) in the one header.

``LtiCookieMiddleware`` (listed before SessionMiddleware, so it sees the cookies that the session and CSRF
middleware set): inside a cross-site iframe the browser sends only ``SameSite=None; Secure`` cookies, so an
LTI session's session and CSRF cookies get those attributes over HTTPS. Other sessions keep Lax.
"""

from __future__ import annotations

from django.conf import settings

from .session import frame_origins, is_lti_session


def allow_framing_by(response, origins) -> None:
    """Let these origins (and this site) frame this response: a CSP ``frame-ancestors`` directive, added to
    the site-wide policy by django-csp (which reads ``_csp_replace``), and no X-Frame-Options, which cannot
    name an origin."""
    response._csp_replace = {**getattr(response, "_csp_replace", {}), "frame-ancestors": ["'self'", *origins]}
    response.xframe_options_exempt = True


class LtiFrameMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or "Content-Security-Policy" in response:  # a view's own complete policy
            return response
        if getattr(response, "_csp_replace", {}).get("frame-ancestors"):
            return response
        origins = frame_origins(session)
        if origins:
            allow_framing_by(response, origins)
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
