"""Spaced review: one ReviewItem per student and missed thing (a question, or a lab check), scheduled by FSRS
(the ``fsrs`` package; practice/review.py). ``card`` holds the library's card as its own dict form;
``due`` and ``last_review`` are copied out of it so the 'Review today' query is one index range scan."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReviewItem(models.Model):
    class Source(models.TextChoices):
        CHECK = "check", "Knowledge check"
        QUIZ = "quiz", "Graded quiz"
        EXAM = "exam", "Practice exam"
        LAB = "lab", "Lab check"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="review_items")
    source = models.CharField(max_length=10, choices=Source.choices)
    question = models.ForeignKey(
        "quizzes.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="review_items"
    )
    lab = models.ForeignKey("labs.Lab", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    check_id = models.CharField(max_length=100, blank=True)
    check_message = models.TextField(blank=True, help_text="What the failing check said.")
    card = models.JSONField(help_text="fsrs.Card.to_dict()")
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reviews = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["user", "course", "suspended", "due"], name="reviewitem_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], condition=Q(question__isnull=False), name="reviewitem_question"
            ),
            models.UniqueConstraint(
                fields=["user", "lab", "check_id"],
                condition=Q(lab__isnull=False),
                name="reviewitem_lab_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question or self.check_id} (due {self.due:%Y-%m-%d %H:%M})"


class ReviewLog(models.Model):
    """One recall the student recorded (the library's ReviewLog, kept for the optimizer and for audit)."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField(help_text="fsrs.Rating: 1 again, 2 hard, 3 good, 4 easy")
    reviewed_at = models.DateTimeField()
    due_after = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_at"]

    def __str__(self) -> str:
        return f"{self.item_id} rated {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class ReviewSync(models.Model):
    """Up to when a student's answers and lab results have been turned into review items."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    synced_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} synced {self.synced_at:%Y-%m-%d %H:%M}"
