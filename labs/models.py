"""Labs: the imported catalog, students' drafts, and submissions with their graded results."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Lab(models.Model):
    """One lab of the catalog (labs/content/<slug>/), as last imported. The folder is the source of truth;
    the row holds what pages and the gradebook need without reading files."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    lesson = models.ForeignKey(
        "courses.Lesson", null=True, blank=True, on_delete=models.SET_NULL, related_name="labs"
    )
    order = models.IntegerField(default=0)
    points = models.PositiveIntegerField()
    editable_files = models.JSONField(default=list)
    starter_files = models.JSONField(default=dict)
    instructions_html = models.TextField()
    checks = models.JSONField(default=list, help_text="[{id, name, points, visibility}] in grading order")
    grading_seconds = models.PositiveIntegerField(default=20)
    deadline = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    playground_handler = models.CharField(
        max_length=200, blank=True, help_text="The handler the Test button invokes; blank: no playground."
    )
    playground_event = models.JSONField(
        default=dict, blank=True, help_text="The event the Test box (or the execution input box) starts with."
    )
    playground_state_machine = models.CharField(
        max_length=100,
        blank=True,
        help_text="The editable ASL file the Start execution box runs; blank: the playground (if any) is a Test button.",
    )
    is_published = models.BooleanField(default=True)
    mutation_score = models.JSONField(
        default=dict,
        blank=True,
        help_text="The grader's last mutation run (manage.py mutate_lab --record): {killed, survived, "
        "equivalent, crashed, mutants, score, seed, measured_on, content_hash}; empty: never measured.",
    )

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("labs:detail", args=[self.slug])

    @property
    def mutation_measured_on_this_version(self) -> bool:
        """Whether the recorded mutation score was measured on the lab's current files."""
        return self.mutation_score.get("content_hash") == self.content_hash

    @property
    def has_playground(self) -> bool:
        """A Test button (one handler) or a Start execution box (a state machine)."""
        return bool(self.playground_handler or self.playground_state_machine)

    def deadline_passed(self, now=None) -> bool:
        return self.deadline is not None and (now or timezone.now()) >= self.deadline


class Draft(models.Model):
    """What a student last typed in the editor, saved as they go."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_drafts")
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="drafts")
    files = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lab"], name="draft_unique_user_lab")]

    def __str__(self) -> str:
        return f"{self.user} · {self.lab} (draft)"


class Submission(models.Model):
    """Files sent for grading. ``kind`` run: visible checks only, not an attempt; submit: every check."""

    class Kind(models.TextChoices):
        RUN = "run", "Run checks"
        SUBMIT = "submit", "Submission"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        GRADED = "graded", "Graded"
        INFRA_ERROR = "infra_error", "Could not be graded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="submissions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SUBMIT)
    files = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    score = models.PositiveIntegerField(null=True, blank=True)
    max_score = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # [{id, passed, message}] of the checks that ran, copied out of ``result`` when graded: class-wide views
    # (labs/selectors.py: lab_class_view) read these few hundred bytes, not the trace and logs of every result.
    verdicts = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why grading failed (infrastructure errors only).")
    grading_attempts = models.PositiveIntegerField(default=0)
    lab_hash = models.CharField(max_length=64, blank=True, help_text="The lab version it was graded against.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    # Set when an instructor asks for the same row to be graded again (labs/services.py:
    # submission_regrade); the sweep measures "stuck in the queue" from it rather than from created_at.
    regrade_requested_at = models.DateTimeField(null=True, blank=True)
    # The instructor's review (labs/services.py: submission_review). ``score`` stays the automatic one;
    # ``adjusted_score``, when set, is the grade that counts (gradebook, LTI). A re-grade changes the
    # automatic score only. ``review_log`` keeps every change: [{by, at, adjusted_score, comment}].
    adjusted_score = models.PositiveIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The instructor's comment, shown to the student.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lab", "user", "kind"]),
            # the queue estimate on every submit and status poll: recent gradings, and what is still pending
            models.Index(fields=["status", "graded_at"], name="submission_status_graded"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lab} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("labs:submission", args=[self.lab.slug, self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def final_score(self) -> int | None:
        """The score that counts: the instructor's adjustment if there is one, else the automatic score."""
        return self.adjusted_score if self.adjusted_score is not None else self.score

    def is_late(self) -> bool:
        return self.lab.deadline is not None and self.created_at > self.lab.deadline


class PlaygroundRun(models.Model):
    """One Test-button invocation of a student's draft with an event of their choosing. Runs on a worker
    like a submission, but is never an attempt and never graded; only its owner sees it.

    ``result`` holds what the invocation returned: {payload, function_error, error_type, logs, duration_ms,
    billed_duration_ms, init_duration_ms, max_memory_used_mb, memory_size_mb, cold_start, trace}."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        INFRA_ERROR = "infra_error", "Could not be run"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playground_runs"
    )
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="playground_runs")
    handler = models.CharField(max_length=200)
    files = models.JSONField()
    event = models.JSONField(help_text="The parsed event (any JSON value).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why the run could not be done (infrastructure only).")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lab", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.lab} · test {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("labs:playground_run", args=[self.lab.slug, self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class SavedEvent(models.Model):
    """A test event a student saved under a name for one lab's Test box, like the Lambda console's private
    test events (at most ``labs.saved_events.MAX_SAVED_EVENTS`` per student and lab)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_events")
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="saved_events")
    name = models.CharField(max_length=25)
    event = models.JSONField(help_text="The parsed event (any JSON value).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lab", "name"], name="saved_event_unique_user_lab_name")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lab} · {self.name}"
