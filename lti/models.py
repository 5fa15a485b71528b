"""LTI 1.3 rows: our signing keys, the platforms (LMSs) registered with us and their deployments, who is who
on each platform, which LMS course (context) maps to which of our courses, and the grades sent back.

One LMS context maps to one course; one course may be linked from many contexts (several LMS courses, or
several LMSs), each with its own line items and grades.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class ToolKey(models.Model):
    """One RSA key pair of ours. The newest active key signs; every key not yet retired is published in
    /lti/jwks/ so that a platform can still check what an older key signed during a rotation."""

    kid = models.CharField(max_length=100, unique=True)
    private_key_pem = models.TextField()
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="No longer signs from this time on.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid


class Platform(models.Model):
    """An LMS registration: the issuer and the client id it gave us, and its OAuth/OIDC endpoints."""

    title = models.CharField(max_length=200, blank=True)
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    auth_login_url = models.URLField(max_length=500, help_text="OIDC authorization endpoint.")
    auth_token_url = models.URLField(max_length=500, help_text="OAuth 2 token endpoint (services).")
    auth_audience = models.CharField(max_length=500, blank=True, help_text="Token audience, if not the URL.")
    keyset_url = models.URLField(max_length=500, help_text="The platform's public keys (JWKS).")
    default_course = models.ForeignKey(
        "courses.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    registered_by = models.CharField(max_length=20, default="manual")  # manual | dynamic | command
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_unique")]
        ordering = ["issuer", "client_id"]

    def __str__(self) -> str:
        return self.title or f"{self.issuer} ({self.client_id})"

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the issuer: what may frame our pages after a launch from it."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "deployment_id"], name="lti_deployment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform} / {self.deployment_id}"


class Identity(models.Model):
    """A platform user (issuer + subject, as the spec identifies them) linked to one of our users. Never
    matched by e-mail: an LMS account is linked only by its (issuer, sub)."""

    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="lti_identity_unique")]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"


class Context(models.Model):
    """An LMS course (LTI context) seen in a launch, and the course of ours it is linked to."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    course = models.ForeignKey(
        "courses.Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="lti_contexts"
    )
    lineitems_url = models.URLField(max_length=1000, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    memberships_url = models.URLField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deployment", "context_id"], name="lti_context_unique")
        ]

    def __str__(self) -> str:
        return self.title or self.context_id

    @property
    def platform(self) -> Platform:
        return self.deployment.platform


class Member(models.Model):
    """A user's place in an LMS context (from a launch or a roster import): where their grades go."""

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_members")
    subject = models.CharField(max_length=255)
    roles = models.JSONField(default=list, blank=True)
    is_instructor = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "user"], name="lti_member_unique")]

    def __str__(self) -> str:
        return f"{self.subject} in {self.context}"


class LineItem(models.Model):
    """A gradebook column in one LMS context for one lab or quiz: created (or found) once, then reused."""

    class Kind(models.TextChoices):
        LAB = "lab", "Lab"
        QUIZ = "quiz", "Quiz"

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="line_items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    item_id = models.PositiveBigIntegerField()
    # Empty while the worker that claimed the row creates the column at the LMS (lti/grades.py).
    url = models.URLField(max_length=1000, blank=True)
    label = models.CharField(max_length=255)
    score_maximum = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "kind", "item_id"], name="lti_lineitem_unique")
        ]

    def __str__(self) -> str:
        return self.label


class GradeSync(models.Model):
    """The last score sent (or to send) for one student on one line item, and what the LMS answered."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        REFUSED = "refused", "Refused by the LMS"
        FAILED = "failed", "Could not reach the LMS"

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="grade_syncs")
    kind = models.CharField(max_length=10, choices=LineItem.Kind.choices)
    item_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_grades")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    score_given = models.FloatField(null=True, blank=True)
    score_maximum = models.FloatField(null=True, blank=True)
    lms_message = models.TextField(blank=True, help_text="The LMS's answer when it refused the score.")
    attempts = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["context", "kind", "item_id", "user"], name="lti_gradesync_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} for {self.user}: {self.status}"


class RegistrationInvite(models.Model):
    """A one-off link that staff hand to an LMS administrator for dynamic registration."""

    token = models.CharField(max_length=64, unique=True)
    course = models.ForeignKey("courses.Course", null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    platform = models.ForeignKey(Platform, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"invite {self.token[:6]}… ({'used' if self.used_at else 'unused'})"
