from django.urls import path

from . import views

app_name = "gradebook"

# Included at /labs/instructor/gradebook/ (config/urls.py), where the gradebook lived before it had an app.
urlpatterns = [
    path("<slug:course_slug>/", views.gradebook, name="course"),
    path("<slug:course_slug>.csv", views.gradebook_csv, name="csv"),
    path("<slug:course_slug>/moodle.csv", views.gradebook_moodle_csv, name="moodle_csv"),
]
