from django.urls import path

from labs.views import catalog, live, playground, review, submissions

app_name = "labs"

urlpatterns = [
    path("", catalog.lab_list, name="list"),
    path("<slug:slug>/", catalog.lab_detail, name="detail"),
    path("<slug:slug>/draft/", catalog.draft_save, name="draft"),
    path("<slug:slug>/draft/reset/", catalog.draft_reset, name="draft_reset"),
    path("<slug:slug>/submissions/", submissions.submission_create, name="submit"),
    path("<slug:slug>/submissions/<int:pk>/", submissions.submission_detail, name="submission"),
    path("<slug:slug>/submissions/compare/", submissions.submission_diff, name="diff"),
    path("<slug:slug>/submissions/<int:pk>/status/", submissions.submission_status, name="status"),
    # Instructors (labs/views/live.py, review.py); "instructor" as the second segment never clashes with the above.
    path("<slug:slug>/instructor/live/", live.lab_live, name="instructor_live"),
    path("<slug:slug>/instructor/deadline/", live.lab_deadline, name="instructor_deadline"),
    path("<slug:slug>/instructor/live/checks/<str:check_id>/", live.check_stuck, name="instructor_stuck"),
    path("<slug:slug>/instructor/submissions/", review.submission_list, name="instructor_submissions"),
    path(
        "<slug:slug>/instructor/submissions/<int:pk>/",
        review.submission_review,
        name="instructor_submission",
    ),
    path(
        "<slug:slug>/instructor/submissions/<int:pk>/review/",
        review.submission_review_save,
        name="instructor_review",
    ),
    path(
        "<slug:slug>/instructor/submissions/<int:pk>/regrade/",
        review.submission_regrade,
        name="instructor_regrade",
    ),
    path("<slug:slug>/instructor/regrade/", review.lab_regrade_all, name="instructor_regrade_all"),
]
urlpatterns += [
    path("<slug:slug>/playground/", playground.playground_run_create, name="playground"),
    path("<slug:slug>/playground/sample/", playground.playground_sample, name="playground_sample"),
    path("<slug:slug>/playground/events/", playground.saved_event_save, name="saved_event_save"),
    path("<slug:slug>/playground/events/delete/", playground.saved_event_delete, name="saved_event_delete"),
    path("<slug:slug>/playground/<int:pk>/", playground.playground_run_detail, name="playground_run"),
    path(
        "<slug:slug>/playground/<int:pk>/status/", playground.playground_run_status, name="playground_status"
    ),
]
