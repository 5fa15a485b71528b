from django.urls import path

from . import instructor_views, views

app_name = "labs"

urlpatterns = [
    path("", views.lab_list, name="list"),
    path("<slug:slug>/", views.lab_detail, name="detail"),
    path("<slug:slug>/draft/", views.draft_save, name="draft"),
    path("<slug:slug>/submissions/", views.submission_create, name="submit"),
    path("<slug:slug>/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("<slug:slug>/submissions/<int:pk>/status/", views.submission_status, name="status"),
    # Instructors (labs/instructor_views.py); "instructor" as the second segment never clashes with the above.
    path("<slug:slug>/instructor/live/", instructor_views.lab_live, name="instructor_live"),
    path(
        "<slug:slug>/instructor/submissions/", instructor_views.submission_list, name="instructor_submissions"
    ),
    path(
        "<slug:slug>/instructor/submissions/<int:pk>/",
        instructor_views.submission_review,
        name="instructor_submission",
    ),
    path(
        "<slug:slug>/instructor/submissions/<int:pk>/regrade/",
        instructor_views.submission_regrade,
        name="instructor_regrade",
    ),
    path("<slug:slug>/instructor/regrade/", instructor_views.lab_regrade_all, name="instructor_regrade_all"),
    path("instructor/gradebook/<slug:course_slug>/", instructor_views.gradebook, name="gradebook"),
    path("instructor/gradebook/<slug:course_slug>.csv", instructor_views.gradebook_csv, name="gradebook_csv"),
]
urlpatterns += [
    path("<slug:slug>/playground/", views.playground_run_create, name="playground"),
    path("<slug:slug>/playground/sample/", views.playground_sample, name="playground_sample"),
    path("<slug:slug>/playground/<int:pk>/", views.playground_run_detail, name="playground_run"),
    path("<slug:slug>/playground/<int:pk>/status/", views.playground_run_status, name="playground_status"),
]
