from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from alerts import actions, services, webhooks
from alerts.models import WebhookDelivery


@shared_task
def raise_alerts(as_of: str | None = None) -> dict:
    """After each scoring run: open, refresh and close alerts from the day's signs, then
    send each person their daily digest. A pass skipped (an older night run after a
    later one: alerts follow the latest day) sends no digest either: the later night's
    digests already said what is open, and a second one dated the older day repeated
    them."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    result = vars(services.raise_alerts(day=day))
    result["digests"] = 0 if result["skipped"] else services.send_digests(day=day)
    return result


@shared_task
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at one pending delivery; a failure leaves it pending with its next
    attempt after the backoff, for `send_due_webhooks`."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.PENDING:
        webhooks.attempt(delivery)
    return delivery.status


@shared_task
def send_due_webhooks() -> dict:
    """Beat, every minute: send the deliveries that are due (first tries and retries)."""
    return webhooks.send_due()


@shared_task
def settle_retention_actions(as_of: str | None = None) -> dict:
    """Nightly: record which retention actions saved the customer and which lost it."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return actions.settle_actions(day=day)
