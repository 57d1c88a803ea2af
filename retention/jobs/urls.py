from django.urls import path

from retention.jobs import views

urlpatterns = [
    path("", views.nights, name="jobs"),
    path("steps/<int:step_id>/rerun/", views.rerun, name="job_rerun"),
]
