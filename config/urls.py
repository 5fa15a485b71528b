from django.contrib import admin
from django.urls import include, path

from courses import views as course_views

urlpatterns = [
    path("", course_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("courses/", include("courses.urls")),
    path("quizzes/", include("quizzes.urls")),
    # before "labs/": the gradebook keeps the address it had when it lived in labs
    path("labs/instructor/gradebook/", include("gradebook.urls")),
    path("labs/", include("labs.urls")),
    path("lti/", include("lti.urls")),
    path("practice/", include("practice.urls")),
    path("admin/", admin.site.urls),
]
