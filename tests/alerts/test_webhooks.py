"""Webhooks against a real local HTTP receiver: signed, retried with backoff, logged."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.models import Webhook, WebhookDelivery
from alerts.services import raise_alerts
from alerts.webhooks import attempt, resend, retry_delay, send_due
from customers.scoring import runs
from tests.customers.scoring_world import AS_OF, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def receivers_on_premises(settings):
    """The local receivers stand for an on-premises one: loopback is allowed here."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


class Receiver:
    """A local HTTP server that answers with the queued status codes and checks each
    request's signature the way docs/WEBHOOKS.md tells integrators to."""

    def __init__(self, secret: str, statuses: list[int]):
        self.secret, self.statuses, self.received = secret, statuses, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-Retention-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(
                        receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                )
                valid = hmac.compare_digest(expected, self.headers["X-Retention-Signature"])
                receiver.received.append(
                    (self.headers["X-Retention-Event"], json.loads(body), valid)
                )
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(secret, statuses=()):
        made.append(Receiver(secret, list(statuses)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_new_alerts_reach_the_receiver_signed(receiver):
    world = build_world()
    hook = Webhook.objects.create(
        name="CRM bridge", url="http://placeholder/", events=["alerts.opened"]
    )
    local = receiver(hook.secret)
    Webhook.objects.filter(pk=hook.pk).update(url=local.url)
    runs.score_all(day=AS_OF)

    raise_alerts(day=AS_OF)
    assert local.received == []  # never sent inside the night's step
    assert WebhookDelivery.objects.get().status == "pending"

    assert send_due() == {"due": 1, "delivered": 1}  # beat's sweep, every minute

    [(event, payload, valid)] = local.received
    assert (event, valid) == ("alerts.opened", True)
    assert payload["day"] == "2026-06-30" and len(payload["alerts"]) == 7
    assert {a["customer_name"] for a in payload["alerts"]} == {world.alpha.name, world.bravo.name}
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_failed_attempt_is_logged_and_retried_with_backoff(receiver):
    hook = Webhook.objects.create(name="Flaky", url="http://placeholder/")
    local = receiver(hook.secret, statuses=[500, 503])
    Webhook.objects.filter(pk=hook.pk).update(url=local.url)
    delivery = WebhookDelivery.objects.create(
        webhook=Webhook.objects.get(pk=hook.pk), event="alerts.opened", payload={"alerts": []}
    )

    assert attempt(delivery) is False
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at is not None
    assert attempt(delivery) is False and delivery.last_status_code == 503
    assert attempt(delivery) is True
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [retry_delay(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert all(valid for _, _, valid in local.received)


def test_an_unreachable_receiver_is_given_up_after_six_attempts():
    hook = Webhook.objects.create(name="Gone", url="http://127.0.0.1:9/")  # discard port: refused
    delivery = WebhookDelivery.objects.create(webhook=hook, event="alerts.opened", payload={})
    for _ in range(6):
        attempt(delivery)
    assert (delivery.status, delivery.attempts) == ("failed", 6)
    assert delivery.last_error and delivery.next_attempt_at is None


def test_a_dead_receiver_never_stops_the_night_and_deliveries_are_retried_then_resent(receiver):
    build_world()
    hook = Webhook.objects.create(name="Down", url="http://127.0.0.1:9/", events=["alerts.opened"])
    runs.score_all(day=AS_OF)

    summary = raise_alerts(day=AS_OF)  # the receiver is down: the alerts are raised anyway

    assert summary.opened == 7
    delivery = WebhookDelivery.objects.get()
    assert send_due() == {"due": 1, "delivered": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert send_due() == {"due": 0, "delivered": 0}  # not due again before its backoff
    WebhookDelivery.objects.update(status="failed", attempts=6, next_attempt_at=None)

    local = receiver(hook.secret)
    Webhook.objects.filter(pk=hook.pk).update(url=local.url)
    assert resend(WebhookDelivery.objects.all()) == 1  # the admin's "send again"
    assert send_due() == {"due": 1, "delivered": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(local.received) == 1
