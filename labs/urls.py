from django.urls import path

from . import views

app_name = "labs"

urlpatterns = [
    path("", views.lab_list, name="list"),
    path("<slug:slug>/", views.lab_detail, name="detail"),
    path("<slug:slug>/draft/", views.draft_save, name="draft"),
    path("<slug:slug>/submissions/", views.submission_create, name="submit"),
    path("<slug:slug>/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("<slug:slug>/submissions/<int:pk>/status/", views.submission_status, name="status"),
]
urlpatterns += [
    path("<slug:slug>/playground/", views.playground_run_create, name="playground"),
    path("<slug:slug>/playground/sample/", views.playground_sample, name="playground_sample"),
    path("<slug:slug>/playground/<int:pk>/", views.playground_run_detail, name="playground_run"),
    path("<slug:slug>/playground/<int:pk>/status/", views.playground_run_status, name="playground_status"),
]
