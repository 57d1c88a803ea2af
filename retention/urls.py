from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from customers import import_views
from customers import views as customer_views
from customers.model_page import views as model_views
from staff import language as staff_language
from staff import views as staff_views
from staff.auth import SignInForm

urlpatterns = [
    path("", customer_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", staff_language.choose_language, name="language"),
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/owners/", customer_views.customer_owners, name="customer_owners"),
    path("customers/<int:customer_id>/", customer_views.customer_detail, name="customer"),
    path(
        "customers/<int:customer_id>/log/", customer_views.log_interaction, name="log_interaction"
    ),
    path("customers/<int:customer_id>/grant/", customer_views.grant_access, name="grant_access"),
    path(
        "customers/<int:customer_id>/score-change/",
        customer_views.score_change,
        name="score_change",
    ),
    path("dashboard/", customer_views.dashboard, name="dashboard"),
    path("renewals/", customer_views.renewals, name="renewals"),
    path("hr/", staff_views.hr_dashboard, name="hr"),
    path("model/", model_views.model_page, name="model"),
    path("model/run/", model_views.run_now, name="model_run"),
    path("model/jobs/<str:task_id>/", model_views.job_progress, name="model_job_progress"),
    path("healthz/", customer_views.healthz, name="healthz"),
    path("imports/", import_views.imports, name="imports"),
    path("imports/<int:import_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:import_id>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:import_id>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("exports/requests/", import_views.export_requests, name="export_requests"),
    path("exports/<str:kind>.csv", import_views.export, name="export"),
    path("handover/", include("handover.urls")),
    path("alerts/", include("alerts.urls")),
    path("jobs/", include("retention.jobs.urls")),
    path("api/v1/", include("retention.api.urls")),
    path("admin/", admin.site.urls),
]

# Errors under /api/ answer in the API's error shape, in production too.
handler400 = "retention.api.errors.bad_request"
handler403 = "retention.api.errors.permission_denied"
handler404 = "retention.api.errors.page_not_found"
handler500 = "retention.api.errors.server_error"
