from django.conf import settings
from django.db import models
from django.urls import reverse


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    # Changes whenever an import changes the course's modules or lessons; keys the cached outline.
    content_version = models.CharField(max_length=32, default="0")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:course", args=[self.slug])


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "order"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="module_unique_slug")]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    objectives = models.JSONField(default=list)
    minutes = models.PositiveIntegerField(help_text="Estimated reading time in minutes.")
    body = models.TextField(help_text="Markdown source, without front matter, fact tags resolved.")
    sources = models.JSONField(default=list, help_text="AWS pages the lesson relies on: [{title, url}].")
    verified = models.CharField(max_length=7, blank=True, help_text="YYYY-MM the facts were last checked.")
    search_text = models.TextField(blank=True, help_text="Plain text of the body, for search.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the source file.")
    source_path = models.CharField(max_length=500, blank=True)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["module__order", "order"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="lesson_unique_slug")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:lesson", args=[self.course.slug, self.slug])


class Enrollment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)
    last_lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class LessonProgress(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="progress_unique")]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"
