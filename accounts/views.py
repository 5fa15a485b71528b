from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.htmx import HtmxHttpRequest

from .forms import SignupForm
from .services import user_create
from .throttling import SignupRateLimited, client_address, signup_check, signup_record


@require_http_methods(["GET", "POST"])
def signup(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        address = client_address(request)
        try:
            signup_check(address=address)
        except SignupRateLimited as exc:
            context = {"form": SignupForm(), "rate_limit_message": str(exc)}
            response = render(request, "accounts/signup.html", context, status=429)
            response["Retry-After"] = str(int(exc.retry_after_s) + 1)
            return response
    if request.method == "POST" and form.is_valid():
        user = user_create(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email", ""),
        )
        signup_record(address=address)
        login(request, user, backend="accounts.backends.CachedModelBackend")
        messages.success(request, f"Welcome, {user.username}! Pick a course to start.")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


def csrf_failure(request: HtmxHttpRequest, reason: str = "") -> HttpResponse:
    """A readable page instead of Django's bare 403 when a form's CSRF token is missing or stale."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
