from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:alert_id>/act/", views.act, name="act"),
]
