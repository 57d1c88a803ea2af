"""Outgoing webhooks: alert changes pushed to integrations, signed with HMAC-SHA256,
retried with exponential backoff, every attempt logged. See docs/WEBHOOKS.md for the
receiving side."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert, Webhook, WebhookDelivery, webhook_target

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30  # then 60, 120, 240, 480
TIMEOUT_SECONDS = 10
ALERTS_PER_DELIVERY = 1000


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the X-Retention-Signature header carries: sha256=HMAC(secret, "<timestamp>.<body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


PAYLOAD_FIELDS = (
    "id",
    "customer__external_id",
    "customer__name",
    "signal",
    "text",
    "params",
    "status",
    "revenue_at_risk",
    "probability",
)


def alert_payload(row: dict) -> dict:
    return {
        "id": row["id"],
        "customer": row["customer__external_id"],
        "customer_name": row["customer__name"],
        "signal": row["signal"],
        "text": row["text"],  # English; "params" holds its figures
        "params": row["params"],
        "status": row["status"],
        "revenue_at_risk": str(row["revenue_at_risk"]),
        "probability": row["probability"],
    }


def queue_alert_event(event: str, alert_ids: list[int], *, day: dt.date) -> list[int]:
    """One delivery per subscribed webhook and batch of alerts, recorded as due now. Never
    sent here: the night's steps must not wait on a receiver. `send_due` (a worker, beat
    every minute, and a nudge after commit) sends them."""
    hooks = [hook for hook in Webhook.objects.filter(active=True) if hook.wants(event)]
    if not hooks or not alert_ids:
        return []
    ids = []
    for start in range(0, len(alert_ids), ALERTS_PER_DELIVERY):
        rows = Alert.objects.filter(pk__in=alert_ids[start : start + ALERTS_PER_DELIVERY])
        batch = [alert_payload(row) for row in rows.order_by("id").values(*PAYLOAD_FIELDS)]
        created = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                webhook=hook,
                event=event,
                payload={"event": event, "day": day.isoformat(), "alerts": batch},
                next_attempt_at=timezone.now(),
            )
            for hook in hooks
        )
        ids.extend(d.pk for d in created)
    transaction.on_commit(_nudge_sender)
    return ids


def _nudge_sender() -> None:
    """Ask a worker to send what is due now rather than at the next minute; with no broker
    (or the broker down) beat's sweep sends them."""
    from alerts.tasks import send_due_webhooks
    from retention.celery import app

    if app.conf.task_always_eager:
        return
    # The broker being down is fine: beat's sweep sends them later.
    with contextlib.suppress(Exception):
        send_due_webhooks.apply_async(retry=False)


def send_due(*, limit: int = 200) -> dict[str, int]:
    """Send the pending deliveries that are due (first attempts, retries after their
    backoff, and any left pending past their time by a lost worker). Each is leased
    before sending, so two sweeps never send the same one."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        lease = now + dt.timedelta(seconds=TIMEOUT_SECONDS * 3)
        WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=lease)
    sent = 0
    for delivery in WebhookDelivery.objects.select_related("webhook").filter(pk__in=due):
        sent += attempt(delivery)
    return {"due": len(due), "delivered": sent}


def resend(deliveries) -> int:
    """Send deliveries again (admin): pending and due now, with a fresh set of attempts."""
    count = deliveries.update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        delivered_at=None,
    )
    transaction.on_commit(_nudge_sender)
    return count


def attempt(delivery: WebhookDelivery) -> bool:
    """POST the delivery once; record the outcome. True when the receiver took it (2xx).

    The receiver's address is checked again now (the rule of `webhook_url_problem`: DNS
    may have changed since the webhook was saved) and the request goes to the address
    that was checked. Redirects are not followed: a 3xx is a failed attempt, so a
    receiver cannot send the POST on to an address the rule refuses."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "retention-crm-webhooks/1",
        "X-Retention-Event": delivery.event,
        "X-Retention-Delivery": str(delivery.pk),
        "X-Retention-Timestamp": timestamp,
        "X-Retention-Signature": signature(delivery.webhook.secret, timestamp, body),
    }
    delivery.attempts += 1
    addresses, problem = webhook_target(delivery.webhook.url)
    if problem:
        delivery.last_status_code, delivery.last_error = None, f"Not sent: {problem}"[:500]
        ok = False
    else:
        try:
            status, location = _post(delivery.webhook.url, addresses[0], body, headers)
        except (http.client.HTTPException, OSError, ValueError) as error:
            delivery.last_status_code, delivery.last_error = None, str(error)[:500]
            ok = False
        else:
            delivery.last_status_code, ok = status, 200 <= status < 300
            delivery.last_error = ""
            if 300 <= status < 400:
                delivery.last_error = (
                    f"Redirect to {location or '(no location)'} not followed: webhooks are "
                    "delivered only to their saved address."
                )[:500]
            elif not ok:
                delivery.last_error = http.client.responses.get(status, "")
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


def _post(url: str, address: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST to `url`, connecting to `address` (one its host resolved to, checked) while
    the Host header and the TLS certificate check keep the host name. Never follows a
    redirect. Returns the status and any Location header."""
    parts = urlsplit(url)
    host = parts.hostname.encode("idna").decode("ascii")
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port or 443, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port or 80, timeout=TIMEOUT_SECONDS)

    def connect_to_checked_address(target, *args, **kwargs):
        return socket.create_connection((address, target[1]), *args, **kwargs)

    connection._create_connection = connect_to_checked_address
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status, response.getheader("Location", "")
    finally:
        connection.close()


def retry_delay(attempts_made: int) -> int:
    return FIRST_RETRY_SECONDS * 2 ** (attempts_made - 1)
