from django.urls import path

from .views import exams, instructor

app_name = "practice"

urlpatterns = [
    path("<slug:course_slug>/exams/<slug:pool_slug>/", exams.exam_home, name="exam_home"),
    path("<slug:course_slug>/exams/<slug:pool_slug>/start/", exams.exam_start_view, name="exam_start"),
    path("exam/<int:attempt_id>/", exams.exam_take, name="exam_take"),
    path("exam/<int:attempt_id>/submit/", exams.exam_submit_view, name="exam_submit"),
    path("exam/<int:attempt_id>/review/", exams.exam_review, name="exam_review"),
    path("instructor/labs/<slug:lab_slug>/checks/", instructor.lab_checks, name="lab_checks"),
]
