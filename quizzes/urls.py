from django.urls import path

from .views import attempts, authoring, authoring_banks, checks, polls, statistics

app_name = "quizzes"

urlpatterns = [
    # Knowledge checks (inside lessons)
    path("checks/<int:quiz_id>/<int:question_id>/", checks.check_answer_view, name="check_answer"),
    path("checks/question/<int:question_id>/", checks.check_question_view, name="check_question"),
    # Graded quizzes
    path("course/<slug:course_slug>/", attempts.quiz_list, name="quiz_list"),
    path("course/<slug:course_slug>/<slug:quiz_slug>/", attempts.quiz_detail, name="quiz"),
    path(
        "course/<slug:course_slug>/<slug:quiz_slug>/start/", attempts.attempt_start_view, name="attempt_start"
    ),
    path("attempt/<int:attempt_id>/", attempts.attempt_take, name="attempt"),
    path(
        "attempt/<int:attempt_id>/answer/<int:question_id>/",
        attempts.attempt_answer_view,
        name="attempt_answer",
    ),
    path("attempt/<int:attempt_id>/summary/", attempts.attempt_summary, name="attempt_summary"),
    path("attempt/<int:attempt_id>/submit/", attempts.attempt_submit_view, name="attempt_submit"),
    path("attempt/<int:attempt_id>/review/", attempts.attempt_review, name="attempt_review"),
    # Live polls
    path("polls/join/", polls.join, name="poll_join"),
    path("polls/new/<slug:course_slug>/", polls.create, name="poll_create"),
    path("polls/<str:code>/", polls.student, name="poll_student"),
    path("polls/<str:code>/state/", polls.student_state, name="poll_state"),
    path("polls/<str:code>/answer/", polls.answer, name="poll_answer"),
    path("polls/<str:code>/present/", polls.present, name="poll_present"),
    path("polls/<str:code>/present/live/", polls.present_live, name="poll_present_live"),
    path("polls/<str:code>/qr.svg", polls.qr, name="poll_qr"),
    path("polls/<str:code>/action/<str:name>/", polls.action, name="poll_action"),
    path("polls/<str:code>/results/", polls.results, name="poll_results"),
    path("polls/<str:code>/results.csv", polls.results_csv, name="poll_results_csv"),
    # Instructor authoring
    path("author/", authoring.author_home, name="author_home"),
    path("author/preview/", authoring.preview, name="preview"),
    path("author/preview/question/", authoring.question_preview, name="question_preview"),
    path("author/<slug:course_slug>/", authoring.bank, name="author_bank"),
    path("author/<slug:course_slug>/questions/new/", authoring.question_edit, name="question_new"),
    path(
        "author/<slug:course_slug>/questions/<int:question_id>/",
        authoring.question_edit,
        name="question_edit",
    ),
    path(
        "author/<slug:course_slug>/questions/<int:question_id>/duplicate/",
        authoring.question_duplicate_view,
        name="question_duplicate",
    ),
    path(
        "author/<slug:course_slug>/questions/<int:question_id>/delete/",
        authoring.question_delete_view,
        name="question_delete",
    ),
    path("author/<slug:course_slug>/quizzes/new/", authoring.quiz_edit, name="quiz_new"),
    path("author/<slug:course_slug>/quizzes/<int:quiz_id>/", authoring.quiz_edit, name="quiz_edit"),
    path(
        "author/<slug:course_slug>/quizzes/<int:quiz_id>/delete/",
        authoring.quiz_delete_view,
        name="quiz_delete",
    ),
    path(
        "author/<slug:course_slug>/quizzes/<int:quiz_id>/reorder/",
        authoring.quiz_reorder,
        name="quiz_reorder",
    ),
    path(
        "author/<slug:course_slug>/quizzes/<int:quiz_id>/statistics/",
        statistics.quiz_statistics,
        name="quiz_statistics",
    ),
    path("author/<slug:course_slug>/gift/import/", authoring_banks.bank_upload, name="gift_import"),
    path("author/<slug:course_slug>/import/", authoring_banks.bank_upload, name="bank_import"),
    path("author/<slug:course_slug>/import/confirm/", authoring_banks.bank_confirm, name="bank_confirm"),
    path(
        "author/<slug:course_slug>/import/<str:token>/files/<str:sha256>/<str:name>",
        authoring_banks.bank_staged_file,
        name="bank_staged_file",
    ),
    path(
        "author/<slug:course_slug>/moodle-xml/export/",
        authoring_banks.moodle_xml_download,
        name="moodle_xml_export",
    ),
    path("author/<slug:course_slug>/qti/export/", authoring_banks.qti_download, name="qti_export"),
    path("files/<str:sha256>/<str:name>", authoring_banks.question_file, name="question_file"),
    path("author/<slug:course_slug>/gift/export/", authoring.gift_download, name="gift_export"),
]
