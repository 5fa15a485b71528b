from django.urls import path

from .views import launch, manage

app_name = "lti"

urlpatterns = [
    # The contract other tools rely on: keep these five stable.
    path("login/", launch.login, name="login"),
    path("launch/", launch.launch, name="launch"),
    path("jwks/", launch.jwks, name="jwks"),
    path("register/", launch.register, name="register"),
    path("deep-link/", launch.deep_link, name="deep_link"),
    # Our own pages.
    path("platforms/", manage.platforms, name="platforms"),
    path("platforms/invite/", manage.invite_create, name="invite_create"),
    path("platforms/rotate-key/", manage.keys_rotate, name="keys_rotate"),
    path("contexts/", manage.contexts, name="contexts"),
    path("contexts/<int:pk>/", manage.context_detail, name="context"),
    path("contexts/<int:pk>/resend/", manage.context_resend, name="context_resend"),
    path("contexts/<int:pk>/roster/", manage.context_roster, name="context_roster"),
]
