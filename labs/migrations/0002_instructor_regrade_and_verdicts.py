# Instructor pages: when a re-grade was asked for, and each graded submission's check verdicts kept apart
# from its (large) result.

from django.db import migrations, models

VERDICT_MESSAGE_CHARS = 300


def copy_verdicts(apps, schema_editor):
    """Fill ``verdicts`` of submissions graded before the field existed, from their results."""
    Submission = apps.get_model("labs", "Submission")
    graded = Submission.objects.filter(status="graded").only("pk", "result")
    for submission in graded.iterator(chunk_size=500):
        checks = (submission.result or {}).get("checks", [])
        verdicts = [
            {"id": c.get("id"), "passed": bool(c.get("passed")), "message": (c.get("message") or "")[:VERDICT_MESSAGE_CHARS]}
            for c in checks
        ]
        Submission.objects.filter(pk=submission.pk).update(verdicts=verdicts)


class Migration(migrations.Migration):

    dependencies = [
        ('labs', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='submission',
            name='regrade_requested_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='submission',
            name='verdicts',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_verdicts, migrations.RunPython.noop),
    ]
