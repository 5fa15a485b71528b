from django.apps import AppConfig


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI 1.3 (use from an LMS)"

    def ready(self) -> None:
        from courses.signals import score_changed

        from . import services

        def send_best_score(sender, *, user, item, **kwargs) -> None:
            services.scores_changed(user, item)  # async: a pending GradeSync row, sent after commit

        score_changed.connect(send_best_score, dispatch_uid="lti.send_best_score", weak=False)
