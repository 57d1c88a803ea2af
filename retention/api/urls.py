"""/api/v1/: the resources, the OpenAPI schema and its interactive docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from alerts.api import AlertViewSet, RetentionActionViewSet, WebhookViewSet
from customers.api import (
    ContactViewSet,
    ContractViewSet,
    CustomerViewSet,
    ExchangeRateViewSet,
    InteractionViewSet,
    RiskModelViewSet,
    RiskScoreViewSet,
    UsageDayViewSet,
)
from handover.api import HandoverPlanViewSet, HandoverTaskViewSet
from staff.api import DepartureViewSet, EmployeeViewSet, TeamViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("contracts", ContractViewSet, basename="contract")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
router.register("usage", UsageDayViewSet, basename="usage")
router.register("teams", TeamViewSet, basename="team")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("departures", DepartureViewSet, basename="departure")
router.register("handover-plans", HandoverPlanViewSet, basename="handover-plan")
router.register("handover-tasks", HandoverTaskViewSet, basename="handover-task")
router.register("risk-scores", RiskScoreViewSet, basename="risk-score")
router.register("risk-models", RiskModelViewSet, basename="risk-model")
router.register("alerts", AlertViewSet, basename="alert")
router.register("retention-actions", RetentionActionViewSet, basename="retention-action")
router.register("webhooks", WebhookViewSet, basename="webhook")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves its start-up script as a file: no inline script, so the
    # Content-Security-Policy needs no exception.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
