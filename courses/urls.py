from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("<slug:course_slug>/", views.course_detail, name="course"),
    path("<slug:course_slug>/enroll/", views.course_enroll, name="enroll"),
    path("<slug:course_slug>/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
    path("<slug:course_slug>/<slug:lesson_slug>/complete/", views.lesson_complete, name="lesson_complete"),
]
