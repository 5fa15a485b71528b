from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice: SAA-C03 exams, item analysis of lab checks"
