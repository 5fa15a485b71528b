"""The LTI endpoints an LMS talks to: login initiation, launch, our JWKS, dynamic registration and the
deep-linking picker.

CSRF: ``login`` and ``launch`` are exempt because the LMS's browser form posts to them cross-site, where no
CSRF token of ours can exist; the OIDC state (cookie), the single-use nonce and the id_token's signature
protect them instead. ``register`` is a GET by the spec. The deep-linking picker's POST comes from our
own page and keeps Django's CSRF check.
"""

from __future__ import annotations

import logging

from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.exception import LtiException, OIDCException

from config.htmx import HtmxHttpRequest

from .. import items, keys, tool
from ..deep_linking import deep_link_response, picker_courses
from ..dynamic import dynamic_register
from ..middleware import allow_framing_by
from ..models import Context
from ..services import CLAIM, LaunchRefused, RegistrationError, context_link_course, launch_accept
from ..session import deep_link_launch, remember_launch

log = logging.getLogger(__name__)
DEEP_LINKING = "LtiDeepLinkingRequest"
BACKEND = "accounts.backends.CachedModelBackend"


def refuse(request: HtmxHttpRequest, reason: str, status: int = 403) -> HttpResponse:
    """A page (inside the LMS frame) that says why we did not serve the launch."""
    response = render(request, "lti/refused.html", {"reason": reason}, status=status)
    response.xframe_options_exempt = True
    return response


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def login(request: HtmxHttpRequest) -> HttpResponse:
    """OIDC third-party login initiation: answer with a redirect to the platform's authorization endpoint
    (state cookie and nonce stored). Whatever target_link_uri says, the id_token comes back to our launch
    URL only, so this is no open redirect."""
    try:
        return tool.oidc_login(request).redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (OIDCException, LtiException) as error:
        return refuse(request, f"Login from the LMS refused: {error}.", status=400)


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HtmxHttpRequest) -> HttpResponse:
    """The launch: validate the id_token, log the user in, then open the linked item or the picker."""
    message = tool.message_launch(request)
    try:
        body = message.get_launch_data()
    except (LtiException, OIDCException) as error:
        log.info("lti: launch refused: %s", error)
        hint = ""
        if "State not found" in str(error):
            # The state cookie set at login did not come back: the browser blocks cookies in the LMS's frame.
            hint = " Your browser blocked this site's cookies inside the LMS: open the link in a new tab or window."
        return refuse(request, f"Launch refused: {error}.{hint}")
    config = message.tool_config
    try:
        result = launch_accept(body=body, platform=config.platform, deployment=config.deployment)
    except LaunchRefused as error:
        return refuse(request, str(error))
    auth_login(request, result.user, backend=BACKEND)
    is_deep_link = body.get(CLAIM + "message_type") == DEEP_LINKING
    remember_launch(
        request.session,
        origin=result.platform.origin,
        context_id=result.context.pk if result.context else None,
        deep_link_launch=message.get_launch_id() if is_deep_link else "",
    )
    if is_deep_link:
        if not result.instructor:
            return refuse(request, "Only instructors can add content from this tool.")
        return HttpResponseRedirect(
            f"{reverse('lti:deep_link')}?{urlencode({'launch': message.get_launch_id()})}"
        )
    return _open_target(request, body, result)


def _open_target(request: HtmxHttpRequest, body: dict, result) -> HttpResponse:
    ref = (body.get(CLAIM + "custom") or {}).get("item", "")
    context = result.context
    if ref:
        try:
            item = items.resolve(ref)
        except items.UnknownItem as error:
            return refuse(request, f"This link points to something that is no longer here ({error}).", 404)
        if context is not None:
            try:
                context_link_course(context=context, course=item.course)
            except LaunchRefused as error:
                return refuse(request, str(error), 409)
        return HttpResponseRedirect(item.path())
    if context is not None and context.course_id:
        return HttpResponseRedirect(reverse("courses:course", args=[context.course.slug]))
    if result.instructor and context is not None:
        return HttpResponseRedirect(reverse("lti:context", args=[context.pk]))
    return refuse(request, "Your instructor has not linked this LMS course to a course here yet.", 409)


@require_GET
@cache_control(public=True, max_age=300)
def jwks(request: HtmxHttpRequest) -> JsonResponse:
    """Our public keys: platforms verify our client assertions and deep-linking responses with them."""
    return JsonResponse(keys.public_jwks())


@xframe_options_exempt
@require_GET
def register(request: HtmxHttpRequest) -> HttpResponse:
    """Dynamic registration, opened by the LMS (in a frame or a window) with openid_configuration and
    registration_token; our staff's invite travels in the URL they handed out."""
    params = request.GET
    if not params.get("openid_configuration"):
        return refuse(
            request, "Open this link from your LMS's “register a tool” (dynamic registration) page.", 400
        )
    base_url = request.build_absolute_uri("/").rstrip("/")
    try:
        platform = dynamic_register(
            invite_token=params.get("invite", ""),
            openid_configuration=params["openid_configuration"],
            registration_token=params.get("registration_token", ""),
            base_url=base_url,
            title="Serverless Learning",
        )
    except RegistrationError as error:
        return refuse(request, f"Registration failed: {error}", 400)
    response = render(request, "lti/registered.html", {"platform": platform})
    allow_framing_by(response, [platform.origin])
    return response


def _deep_link_launch(request: HtmxHttpRequest, launch_id: str):
    """The cached deep-linking launch, only for the user whose session made it."""
    if not launch_id or deep_link_launch(request.session) != launch_id:
        raise LaunchRefused("This picker belongs to another launch: add content again from your LMS.")
    try:
        message = tool.launch_from_cache(launch_id, request)
    except LtiException as error:
        raise LaunchRefused("This picker has expired: add content again from your LMS.") from error
    body = message.get_launch_data()
    context_claim = body.get(CLAIM + "context") or {}
    context = (
        Context.objects.select_related("course", "deployment__platform")
        .filter(
            deployment__platform=message.tool_config.platform,
            deployment__deployment_id=body.get(CLAIM + "deployment_id"),
            context_id=str(context_claim.get("id", "")),
        )
        .first()
    )
    return message, body, context


@login_required
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def deep_link(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the picker (the course, lessons, graded quizzes, labs). POST: the chosen items go back to the
    LMS as LTI resource links, graded ones with a line item of the right maximum score."""
    launch_id = request.POST.get("launch") or request.GET.get("launch", "")
    try:
        message, body, context = _deep_link_launch(request, launch_id)
        if request.method == "POST":
            return_url, jwt_value = deep_link_response(
                message=message,
                body=body,
                context=context,
                refs=request.POST.getlist("item"),
                launch_url=request.build_absolute_uri(reverse("lti:launch")),
            )
            response = render(request, "lti/deep_link_return.html", {"url": return_url, "jwt": jwt_value})
            response.xframe_options_exempt = True
            return response
    except LaunchRefused as error:
        return refuse(request, str(error), 400)
    settings_claim = body.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings") or {}
    return render(
        request,
        "lti/deep_link.html",
        {
            "launch_id": launch_id,
            "context": context,
            "courses": picker_courses(context),
            "multiple": settings_claim.get("accept_multiple", True),
        },
    )
