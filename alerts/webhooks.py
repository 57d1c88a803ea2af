"""Outgoing webhooks: alert changes pushed to integrations, signed with HMAC-SHA256,
retried with exponential backoff, every attempt logged. See docs/WEBHOOKS.md for the
receiving side."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, Webhook, WebhookDelivery
from customers.models import Customer

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30  # then 60, 120, 240, 480
TIMEOUT_SECONDS = 10
ALERTS_PER_DELIVERY = 1000


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the X-Retention-Signature header carries: sha256=HMAC(secret, "<timestamp>.<body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def alert_payload(alert: Alert, customer: Customer) -> dict:
    return {
        "id": alert.pk,
        "customer": customer.external_id,
        "customer_name": customer.name,
        "signal": alert.signal,
        "text": alert.text,
        "status": alert.status,
        "revenue_at_risk": str(alert.revenue_at_risk),
        "probability": alert.probability,
    }


def queue_alert_event(event: str, alerts: list[Alert], *, day: dt.date) -> list[int]:
    """One delivery per subscribed webhook and batch of alerts, sent after commit."""
    from alerts.tasks import deliver_webhook

    hooks = [hook for hook in Webhook.objects.filter(active=True) if hook.wants(event)]
    if not hooks or not alerts:
        return []
    customers = Customer.objects.only("external_id", "name").in_bulk(
        {a.customer_id for a in alerts}
    )
    deliveries = []
    for start in range(0, len(alerts), ALERTS_PER_DELIVERY):
        batch = [
            alert_payload(a, customers[a.customer_id])
            for a in alerts[start : start + ALERTS_PER_DELIVERY]
        ]
        for hook in hooks:
            deliveries.append(
                WebhookDelivery(
                    webhook=hook,
                    event=event,
                    payload={"event": event, "day": day.isoformat(), "alerts": batch},
                )
            )
    created = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in created]
    transaction.on_commit(lambda: [deliver_webhook.delay(delivery_id=i) for i in ids])
    return ids


def attempt(delivery: WebhookDelivery) -> bool:
    """POST the delivery once; record the outcome. True when the receiver took it (2xx)."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "retention-crm-webhooks/1",
            "X-Retention-Event": delivery.event,
            "X-Retention-Delivery": str(delivery.pk),
            "X-Retention-Timestamp": timestamp,
            "X-Retention-Signature": signature(delivery.webhook.secret, timestamp, body),
        },
    )
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            delivery.last_status_code, delivery.last_error = response.status, ""
            ok = 200 <= response.status < 300
    except urllib.error.HTTPError as error:
        delivery.last_status_code, delivery.last_error = error.code, str(error.reason)[:500]
        ok = False
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        delivery.last_status_code, delivery.last_error = None, str(error)[:500]
        ok = False
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.Status.DELIVERED,
            timezone.now(),
            None,
        )
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.next_attempt_at = timezone.now() + dt.timedelta(
            seconds=retry_delay(delivery.attempts)
        )
    delivery.save()
    return ok


def retry_delay(attempts_made: int) -> int:
    return FIRST_RETRY_SECONDS * 2 ** (attempts_made - 1)
