from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:alert_id>/act/", views.act, name="act"),
    path("<int:alert_id>/action/", views.log_action, name="log_action"),
    path("save-rates/", views.save_rate_report, name="save_rates"),
    path("monthly/", views.monthly_owner_report, name="monthly"),
]
