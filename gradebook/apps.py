from django.apps import AppConfig


class GradebookConfig(AppConfig):
    """A course's gradebook: labs and graded quizzes side by side. It sits above both apps (it reads
    their models); neither imports it. No models of its own."""

    name = "gradebook"
