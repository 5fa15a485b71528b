from django.urls import path

from .views import exams, instructor, mastery, review

app_name = "practice"

urlpatterns = [
    path("<slug:course_slug>/exams/<slug:pool_slug>/", exams.exam_home, name="exam_home"),
    path("<slug:course_slug>/exams/<slug:pool_slug>/start/", exams.exam_start_view, name="exam_start"),
    path("exam/<int:attempt_id>/", exams.exam_take, name="exam_take"),
    path("exam/<int:attempt_id>/submit/", exams.exam_submit_view, name="exam_submit"),
    path("exam/<int:attempt_id>/review/", exams.exam_review, name="exam_review"),
    path("<slug:course_slug>/review/", review.review_today, name="review_today"),
    path("review/<int:item_id>/answer/", review.review_answer, name="review_answer"),
    path("review/<int:item_id>/rate/", review.review_rate, name="review_rate"),
    path("review/<int:item_id>/suspend/", review.review_suspend, name="review_suspend"),
    path("<slug:course_slug>/mastery/", mastery.mastery, name="mastery"),
    path("instructor/<slug:course_slug>/mastery/", mastery.class_mastery, name="class_mastery"),
    path("instructor/labs/<slug:lab_slug>/checks/", instructor.lab_checks, name="lab_checks"),
]
