"""Our own pages about LTI. Staff register platforms (by hand or with a dynamic-registration invite) and
rotate our keys; instructors see each LMS course linked here, link it to a course, import its roster and
follow the grades sent back (with the LMS's reason when it refused one) and send them again."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest

from .. import keys
from ..forms import InviteForm, LinkCourseForm, PlatformForm
from ..models import Context, GradeSync, Platform, RegistrationInvite, ToolKey
from ..roster import roster_import
from ..services import LaunchRefused, RegistrationError, context_link_course, grade_resend, platform_register

SYNCS_PAGE = 100


@staff_member_required
@require_http_methods(["GET", "POST"])
def platforms(request: HtmxHttpRequest) -> HttpResponse:
    form = PlatformForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            platform = platform_register(
                issuer=data["issuer"].strip(),
                client_id=data["client_id"],
                deployment_ids=form.deployment_list(),
                auth_login_url=data["auth_login_url"].strip(),
                auth_token_url=data["auth_token_url"].strip(),
                keyset_url=data["keyset_url"].strip(),
                title=data["title"],
                course=data["course"],
            )
        except RegistrationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Registered {platform}.")
            return redirect("lti:platforms")
    base = request.build_absolute_uri("/").rstrip("/")
    context = {
        "form": form,
        "invite_form": InviteForm(),
        "platforms": Platform.objects.prefetch_related("deployments").select_related("default_course"),
        "invites": RegistrationInvite.objects.filter(used_at__isnull=True).select_related("course"),
        "keys": ToolKey.objects.all(),
        "urls": {
            "login": f"{base}{reverse('lti:login')}",
            "launch": f"{base}{reverse('lti:launch')}",
            "jwks": f"{base}{reverse('lti:jwks')}",
            "register": f"{base}{reverse('lti:register')}",
        },
    }
    return render(request, "lti/platforms.html", context)


@staff_member_required
@require_POST
def invite_create(request: HtmxHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        RegistrationInvite.objects.create(
            token=secrets.token_urlsafe(24), course=form.cleaned_data["course"], created_by=request.user
        )
        messages.success(
            request, "New registration link below: paste it into your LMS's dynamic registration."
        )
    return redirect("lti:platforms")


@staff_member_required
@require_POST
def keys_rotate(request: HtmxHttpRequest) -> HttpResponse:
    key = keys.rotate()
    purged = keys.purge_retired()
    messages.success(request, f"New signing key {key.kid[:12]}…; {purged} expired key(s) removed.")
    return redirect("lti:platforms")


@instructor_required
def contexts(request: HtmxHttpRequest) -> HttpResponse:
    rows = Context.objects.select_related("course", "deployment__platform").order_by("-updated_at")
    return render(request, "lti/contexts.html", {"contexts": rows})


@instructor_required
@require_http_methods(["GET", "POST"])
def context_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    context = get_object_or_404(Context.objects.select_related("course", "deployment__platform"), pk=pk)
    form = LinkCourseForm(request.POST or None, initial={"course": context.course})
    if request.method == "POST" and form.is_valid():
        try:
            context_link_course(context=context, course=form.cleaned_data["course"])
            messages.success(request, f"Linked to {form.cleaned_data['course'].title}.")
            return redirect("lti:context", pk=pk)
        except LaunchRefused as error:
            form.add_error("course", str(error))
    syncs = context.grade_syncs.select_related("user").order_by("status", "user__username", "kind", "item_id")
    page = Paginator(syncs, SYNCS_PAGE).get_page(request.GET.get("page"))
    labels = {(li.kind, li.item_id): li.label for li in context.line_items.all()}
    for sync in page:
        sync.label = labels.get((sync.kind, sync.item_id), f"{sync.kind} {sync.item_id}")
    summary = {
        status: context.grade_syncs.filter(status=status).count() for status in GradeSync.Status.values
    }
    return render(
        request,
        "lti/context.html",
        {
            "context": context,
            "form": form,
            "page": page,
            "summary": summary,
            "members": context.members.count(),
        },
    )


@instructor_required
@require_POST
def context_resend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    context = get_object_or_404(Context, pk=pk)
    ids = [int(value) for value in request.POST.getlist("sync") if value.isdigit()] or None
    count = grade_resend(context=context, sync_ids=ids)
    messages.success(request, f"{count} grade(s) queued to be sent again.")
    return redirect("lti:context", pk=pk)


@instructor_required
@require_POST
def context_roster(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    context = get_object_or_404(Context.objects.select_related("deployment__platform", "course"), pk=pk)
    try:
        report = roster_import(context=context)
    except LaunchRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Roster imported: {report.added} new, {report.updated} already here, "
            f"{report.skipped_inactive} inactive skipped.",
        )
    return redirect("lti:context", pk=pk)
