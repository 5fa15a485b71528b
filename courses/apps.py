from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"

    def ready(self) -> None:
        from accounts.signals import user_changed

        from .page_cache import user_generation_bump

        # A user's role or profile changed (accounts announces it): their cached lesson pages are stale.
        user_changed.connect(
            lambda sender, user_id, **kwargs: user_generation_bump(user_id=user_id),
            dispatch_uid="courses.user_changed",
            weak=False,
        )
