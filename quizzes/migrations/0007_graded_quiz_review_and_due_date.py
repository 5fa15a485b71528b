"""Graded quizzes get a due date and a choice of when the right answers and feedback are shown.

Existing quizzes keep their behaviour: they are added with ``review_answers="after_each"`` (the answers
shown after every attempt, as before) and no due date, and their ``attempts_allowed`` is left as it is.
Only quizzes created afterwards start from the new default, ``"after_last"`` (after the student's last
attempt, or after the due date), and new graded quizzes from GRADED_QUIZ_ATTEMPTS attempts.
"""

from django.db import migrations, models

CHOICES = [
    ("after_each", "After each attempt"),
    ("after_last", "After the student's last attempt, or after the due date"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0006_shuffle_choices_by_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="quiz",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="No attempt starts after this time; then everyone sees the answers.",
                null=True,
                verbose_name="Due",
            ),
        ),
        # existing rows: the behaviour they had
        migrations.AddField(
            model_name="quiz",
            name="review_answers",
            field=models.CharField(
                choices=CHOICES, default="after_each", max_length=12, verbose_name="Show right answers and feedback"
            ),
        ),
        # new rows: the graded default
        migrations.AlterField(
            model_name="quiz",
            name="review_answers",
            field=models.CharField(
                choices=CHOICES, default="after_last", max_length=12, verbose_name="Show right answers and feedback"
            ),
        ),
    ]
