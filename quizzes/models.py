"""Question bank, quizzes (graded quizzes, lesson knowledge checks, live-poll sequences), attempts, answers
and live poll sessions. A question's content is a ``quizzes.spec`` dict stored in ``Question.spec``;
grading is the pure ``quizzes.grading.grade`` over that spec."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from courses.models import Course, Lesson


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple response"
        TRUEFALSE = "truefalse", "True / false"
        SHORT = "short", "Short answer"
        NUMERIC = "numeric", "Numeric"
        MATCHING = "matching", "Matching"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    lesson = models.ForeignKey(
        Lesson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        help_text="The lesson this question checks.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    spec = models.JSONField(help_text="The question as quizzes.spec data (stem, choices, answers, feedback).")
    # Set for questions that come from content files, so re-importing updates them instead of duplicating.
    source_key = models.CharField(max_length=300, blank=True, db_index=True)
    # Bumped when a question that students answered is edited (quizzes/versions.py).
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "title"]

    def __str__(self) -> str:
        return self.title


# A new graded quiz's attempts when its author does not say: the authoring form starts with it, quiz_save
# and the content import use it (the field's own default stays 0, unlimited, for practice-exam pools).
GRADED_QUIZ_ATTEMPTS = 2


class Quiz(models.Model):
    class Kind(models.TextChoices):
        QUIZ = "quiz", "Graded quiz"
        CHECK = "check", "Knowledge check"
        POLLS = "polls", "Live poll sequence"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="quizzes"
    )
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUIZ)
    description = models.TextField(blank=True)
    questions = models.ManyToManyField(Question, through="QuizItem", related_name="quizzes")
    draw_tags = models.JSONField(
        default=list, blank=True, help_text="Also draw questions at random from these tags (with draw_count)."
    )
    draw_count = models.PositiveIntegerField(default=0)

    class ReviewAnswers(models.TextChoices):
        AFTER_EACH = "after_each", "After each attempt"
        AFTER_LAST = "after_last", "After the student's last attempt, or after the due date"

    attempts_allowed = models.PositiveIntegerField(default=0, help_text="0 means unlimited.")
    # A graded quiz that shows its answers after every attempt can always be retaken to 100%; Moodle's
    # own defaults (unlimited attempts, right answers shown immediately after each attempt,
    # https://docs.moodle.org/en/Quiz_settings) suit practice quizzes. New graded quizzes here start with
    # GRADED_QUIZ_ATTEMPTS attempts and answers after the last attempt or the due date.
    review_answers = models.CharField(
        "Show right answers and feedback",
        max_length=12,
        choices=ReviewAnswers.choices,
        default=ReviewAnswers.AFTER_LAST,
    )
    due_at = models.DateTimeField(
        "Due",
        null=True,
        blank=True,
        help_text="No attempt starts after this time; then everyone sees the answers.",
    )
    shuffle_questions = models.BooleanField(default=False)
    # On by default, as in Moodle: students should not learn where the right answer sits. Pinned choices
    # keep their place; live polls never shuffle (quizzes/shuffling.py says where and why).
    shuffle_choices = models.BooleanField(
        default=True, help_text="Show each student the choices in their own order (pinned ones stay put)."
    )
    time_limit_s = models.PositiveIntegerField(null=True, blank=True, help_text="Enforced on the server.")
    pass_mark = models.PositiveIntegerField(default=70, help_text="Percent needed to pass.")
    is_published = models.BooleanField(default=True)
    source_key = models.CharField(max_length=300, blank=True, db_index=True)

    class Meta:
        ordering = ["course", "title"]
        verbose_name_plural = "quizzes"
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="quiz_unique_slug")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quizzes:quiz", args=[self.course.slug, self.slug])

    def is_past_due(self, now) -> bool:
        return self.due_at is not None and now >= self.due_at

    def answers_shown(self, *, attempts_used: int, now) -> bool:
        """Whether a student who has submitted ``attempts_used`` attempts may see the right answers and the
        feedback in a review."""
        if self.review_answers == self.ReviewAnswers.AFTER_EACH or self.is_past_due(now):
            return True
        return bool(self.attempts_allowed) and attempts_used >= self.attempts_allowed


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["quiz", "order"]
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="quizitem_unique")]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.order}"


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The questions drawn for this attempt, in the order shown, and each question's choice order.
    question_ids = models.JSONField(default=list)
    choice_orders = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True, help_text="Percent, computed on the server at submit.")
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user", "number"], name="attempt_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.quiz} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField(null=True)
    score = models.FloatField(default=0.0, help_text="Fraction 0..1.")
    correct = models.BooleanField(default=False)
    question_version = models.PositiveIntegerField(default=1)  # Question.version when answered

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="attemptanswer_unique")]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.question}"


class CheckAnswer(models.Model):
    """A student's latest answer to one knowledge-check question (retries overwrite; ``tries`` counts)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_answers")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="check_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="check_answers")
    response = models.JSONField(null=True)
    score = models.FloatField(default=0.0)
    correct = models.BooleanField(default=False)
    tries = models.PositiveIntegerField(default=1)
    answered_at = models.DateTimeField()
    question_version = models.PositiveIntegerField(default=1)  # Question.version when last answered

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz", "question"], name="checkanswer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.question}"


class PollSession(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to open"
        OPEN = "open", "Open for answers"
        CLOSED = "closed", "Closed"
        REVEALED = "revealed", "Answer revealed"
        ENDED = "ended", "Ended"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="poll_sessions")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_polls")
    title = models.CharField(max_length=200)
    code = models.CharField(max_length=8, unique=True)
    question_ids = models.JSONField(default=list)
    index = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    anonymous = models.BooleanField(default=False)
    competition = models.BooleanField(default=False)
    # The classroom default: answer bars stay hidden on the projector while a question is open (no herding).
    hide_results_while_open = models.BooleanField(default=True)
    timer_s = models.PositiveIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped on every state change; clients poll with it so an unchanged poll costs almost nothing.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def current_question_id(self) -> int | None:
        return self.question_ids[self.index] if self.index < len(self.question_ids) else None


class PollParticipant(models.Model):
    session = models.ForeignKey(PollSession, on_delete=models.CASCADE, related_name="participants")
    # A student with an account, or (user empty) a guest who joined with a nickname and no account: a guest is
    # tied to their browser's session, and is never in a course, so never in a grade.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True)
    nickname = models.CharField(max_length=24, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    points = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="participant_unique"),
            models.UniqueConstraint(
                Lower("nickname"), "session", condition=~Q(nickname=""), name="participant_nickname_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.session}"

    @property
    def name(self) -> str:
        return self.user.username if self.user_id else f"{self.nickname} (guest)"


class PollResponse(models.Model):
    session = models.ForeignKey(PollSession, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True)
    guest = models.ForeignKey(
        PollParticipant, on_delete=models.CASCADE, related_name="+", null=True
    )  # no account
    response = models.JSONField()
    correct = models.BooleanField(default=False)
    points = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField()
    changes = models.PositiveIntegerField(default=0, help_text="How many times the answer was changed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "question", "user"], name="pollresponse_unique"),
            models.UniqueConstraint(
                fields=["session", "question", "guest"],
                condition=Q(guest__isnull=False),
                name="pollresponse_guest_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.question} in {self.session}"

    @property
    def name(self) -> str:
        """Who answered, as the instructor reads it: the username, or the guest's nickname marked as a guest."""
        return self.user.username if self.user_id else f"{self.guest.nickname} (guest)"


class QuestionFile(models.Model):
    """An image a question shows, imported from a question bank (Moodle XML ``<file>``, a QTI package).
    Stored by the SHA-256 of its bytes, so the same image imported twice is kept once; served by
    ``quizzes:question_file`` with its checked content type (PNG, JPEG, GIF or WebP only)."""

    sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("quizzes:question_file", args=[self.sha256, self.name])


# --- Question versions for statistics (issue 20) -------------------------------------------------------
class QuestionVersion(models.Model):
    """A version of a question that students answered before it was edited. Saving a changed spec over a
    question with answers to its current version keeps the old spec here and bumps ``Question.version``;
    answers remember the version they were given to (``question_version``), so item statistics never mix
    answers to two different questions (quizzes/versions.py, quizzes/statistics.py)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    spec = models.JSONField()
    replaced_at = models.DateTimeField(help_text="When an edit replaced this version.")
    answers = models.PositiveIntegerField(default=0, help_text="Answers it had when it was replaced.")

    class Meta:
        ordering = ["question", "number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="questionversion_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"
