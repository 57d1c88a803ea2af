"""A webhook is delivered only to an address the rule allows, checked when it is saved and
again at every delivery (DNS may have changed), and never by following a redirect: a
3xx is a failed attempt. Multicast and reserved addresses are refused like private ones."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from alerts.models import Webhook, WebhookDelivery, webhook_url_problem
from alerts.webhooks import attempt

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A local server that records every request (method, path, Host) and answers with
    `status`, plus `location` when given."""

    def __init__(self, status=200, location=None):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                receiver.requests.append((self.command, self.path, self.headers["Host"]))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(**kwargs):
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def delivery_to(url: str) -> WebhookDelivery:
    # objects.create skips clean(): as for a webhook saved when its host was public
    hook = Webhook.objects.create(name="Receiver", url=url)
    return WebhookDelivery.objects.create(
        webhook=hook, event="alerts.opened", payload={"event": "alerts.opened", "alerts": []}
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receivers, settings, status):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the on-premises receiver
    inner = receivers()
    outer = receivers(status=status, location=f"http://127.0.0.1:{inner.port}/admin")
    delivery = delivery_to(f"http://127.0.0.1:{outer.port}/hook")

    assert attempt(delivery) is False

    delivery.refresh_from_db()
    assert [r[:2] for r in outer.requests] == [("POST", "/hook")]
    assert inner.requests == []
    assert delivery.last_status_code == status
    assert delivery.last_error.startswith(f"Redirect to http://127.0.0.1:{inner.port}/admin")
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 1)


def test_an_address_refused_now_is_not_sent_to_even_if_it_was_allowed_when_saved(receivers):
    # WEBHOOK_ALLOWED_NETWORKS is empty: loopback is refused, as a name that resolved to a
    # public address when saved and to 127.0.0.1 now
    receiver = receivers()
    for url in (f"http://localhost:{receiver.port}/", f"http://127.0.0.1:{receiver.port}/"):
        delivery = delivery_to(url)
        assert attempt(delivery) is False
        delivery.refresh_from_db()
        assert delivery.last_status_code is None
        assert delivery.last_error.startswith("Not sent: ")
        assert "loopback address" in delivery.last_error
        assert delivery.attempts == 1
    assert receiver.requests == []


def test_an_allowed_host_name_is_delivered_with_its_own_host_header(receivers, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    receiver = receivers()
    delivery = delivery_to(f"http://localhost:{receiver.port}/hook?team=7")
    assert attempt(delivery) is True
    assert receiver.requests == [("POST", "/hook?team=7", f"localhost:{receiver.port}")]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (WebhookDelivery.Status.DELIVERED, 200)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://224.0.0.1/hook", "multicast"),
        ("http://239.255.255.250:1900/", "multicast"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://[ff0e::1]/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://255.255.255.255/hook", "reserved"),
        ("http://0.0.0.0/hook", "reserved"),
        ("http://100.64.0.1/hook", "non-public"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://[::1]/hook", "loopback"),
    ],
)
def test_multicast_reserved_and_private_addresses_are_refused(url, kind):
    assert f"a {kind} address" in webhook_url_problem(url)
    with pytest.raises(ValidationError) as refused:
        Webhook(name="Hook", url=url, secret="s" * 32).full_clean()
    assert "url" in refused.value.message_dict


def test_a_public_address_is_allowed():
    assert webhook_url_problem("https://8.8.8.8/hook") is None
    assert webhook_url_problem("https://[2606:4700:4700::1111]/hook") is None


def test_multicast_and_reserved_are_refused_at_send_time_too(receivers):
    delivery = delivery_to("http://224.0.0.1:9/hook")
    assert attempt(delivery) is False
    delivery.refresh_from_db()
    assert "a multicast address" in delivery.last_error


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://[2002:7f00:1::]/", "127.0.0.1, a loopback"),  # 6to4
        ("http://[2002:a01:203::1]/", "10.1.2.3, a private"),  # 6to4
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1, a loopback"),  # IPv4-mapped
        ("http://[64:ff9b::a9fe:a9fe]/", "169.254.169.254, a link-local"),  # NAT64
        ("http://[64:ff9b:1::7f00:1]/", "127.0.0.1, a loopback"),  # NAT64 local-use
        ("http://[::10.1.2.3]/", "10.1.2.3, a private"),  # IPv4-compatible
        # Teredo: the client 127.0.0.1 is stored inverted (0x80ff:fffe).
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "127.0.0.1, a loopback"),
    ],
)
def test_every_ipv6_form_of_a_private_ipv4_address_is_refused(url, named, receivers):
    problem = webhook_url_problem(url)
    assert problem is not None and named in problem
    with pytest.raises(ValidationError):
        Webhook(name="Hook", url=url, secret="s" * 32).full_clean()
    delivery = delivery_to(url)
    assert attempt(delivery) is False
    delivery.refresh_from_db()
    assert named in delivery.last_error


def test_a_6to4_form_of_a_public_ipv4_address_is_allowed():
    assert webhook_url_problem("https://[2002:808:808::]/hook") is None  # 8.8.8.8
