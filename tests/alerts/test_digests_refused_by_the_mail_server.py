"""A real mail server (on 127.0.0.1) refuses one digest's address with 550 and another's
message with 554: the other digests go out over the same connection, and each refused one
is set aside on the jobs page with what the server said (code and text) and to whom, in
the reader's language; it goes out on a later run once mended."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from alerts.digests import send_digests
from alerts.models import DigestSent
from retention.jobs import steps
from retention.jobs.models import JobStep
from tests.alerts.smtp_server import Mailbox, sending_to
from tests.alerts.test_digests import people  # noqa: F401 (the fixture: 12 people)
from tests.customers.scoring_world import AS_OF

pytestmark = pytest.mark.django_db


def digests_of_the_day(day: str) -> dict:
    """The step's target: the digests of the night, as the night's step sends them."""
    return {"digests": send_digests(day=dt.date.fromisoformat(day))}


@pytest.fixture
def mail_server(settings):
    box = Mailbox(
        refuse_rcpt={"am3@example.com": "550 5.1.1 <am3@example.com>: mailbox unavailable"},
        refuse_data={"am8@example.com": "554 5.7.1 Message rejected as spam"},
    )
    with sending_to(settings, box):
        yield box


def run_digest_step() -> JobStep:
    step = JobStep.objects.create(
        day=AS_OF,
        name="raise_alerts",
        target=f"{__name__}.digests_of_the_day",
        kwargs={"day": AS_OF.isoformat()},
    )
    with steps.in_this_process():
        steps.run_step(step.pk)
    return JobStep.objects.get(pk=step.pk)


def test_a_refused_digest_is_set_aside_in_the_servers_words_and_the_rest_go_out(
    people,  # noqa: F811
    mail_server,
    admin_client,
):
    world, extra = people
    am3, am8 = extra[2], extra[7]
    step = run_digest_step()
    assert step.status == "done"
    assert step.result["digests"] == 10
    delivered = sorted(to for recipients, _ in mail_server.received for to in recipients)
    assert delivered == sorted(
        [world.e1.email, world.e3.email] + [f"am{k}@example.com" for k in (1, 2, 4, 5, 6, 7, 9, 10)]
    )
    aside = {row.object_id: row for row in step.set_aside.all()}
    assert set(aside) == {am3.pk, am8.pk}
    assert aside[am3.pk].reason == (
        "The mail server refused am3@example.com, answering "
        '"550 5.1.1 <am3@example.com>: mailbox unavailable".'
    )
    assert aside[am8.pk].reason == (
        "The mail server refused the e-mail to am8@example.com, answering "
        '"554 5.7.1 Message rejected as spam".'
    )
    assert aside[am3.pk].detail.startswith("SMTPRecipientsRefused:")
    assert aside[am8.pk].detail.startswith("SMTPDataError:")
    sent = set(DigestSent.objects.filter(day=AS_OF).values_list("employee_id", flat=True))
    assert len(sent) == 10 and not sent & {am3.pk, am8.pk}

    url = reverse("jobs") + f"?day={AS_OF}"
    page = html.unescape(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert (
        "AM3: The mail server refused am3@example.com, answering "
        '"550 5.1.1 <am3@example.com>: mailbox unavailable".'
    ) in page
    chinese = html.unescape(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert (
        "邮件服务器拒绝了 am3@example.com，答复为“550 5.1.1 <am3@example.com>: mailbox "
        "unavailable”。"
    ) in chinese
    assert (
        "邮件服务器拒绝了发往 am8@example.com 的邮件，答复为“554 5.7.1 Message rejected as spam”。"
        in chinese
    )


def test_a_mended_address_gets_its_digest_on_the_next_run(people, mail_server):  # noqa: F811
    _, extra = people
    run_digest_step()
    mail_server.received.clear()
    extra[2].email = "am3.new@example.com"
    extra[2].save()
    assert send_digests(day=AS_OF) == 1  # am8's message is refused again
    assert [recipients for recipients, _ in mail_server.received] == [["am3.new@example.com"]]


def test_a_mail_server_out_of_reach_retries_the_step_and_sets_nobody_aside(
    people,  # noqa: F811
    settings,
):
    """Nothing listens on the mail port: the step is queued again with a backoff, saying
    the mail server did not answer; nobody is set aside as refused, nothing marked sent."""
    from tests.support.faults import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    step = run_digest_step()
    assert (step.status, step.attempts, step.retries) == ("queued", 1, 1)
    assert step.error_text == "The mail server did not answer (attempt 1); trying again in 30 s."
    assert step.error.startswith(f"The mail server 127.0.0.1:{settings.EMAIL_PORT} did not answer")
    assert not step.set_aside.exists()
    assert not DigestSent.objects.filter(day=AS_OF, handed_over=True).exists()


def test_a_mail_server_that_hangs_up_mid_send_retries_the_step_and_every_digest_goes_out(
    people,  # noqa: F811
    settings,
):
    """The server takes three digests, then drops the connection: the step stops and is
    retried (the others were all set aside as refused, the step "done"); the retry sends
    every digest not marked sent, so everybody gets theirs."""
    world, extra = people
    everyone = sorted(
        [world.e1.email, world.e3.email] + [f"am{k}@example.com" for k in range(1, 11)]
    )
    box = Mailbox(drop_after=3)
    with sending_to(settings, box):
        step = run_digest_step()
        assert (step.status, step.retries) == ("queued", 1)
        assert not step.set_aside.exists()
        assert len(box.received) == 3
        box.drop_after = None
        with steps.in_this_process():
            steps.run_step(step.pk)
    step.refresh_from_db()
    assert step.status == "done" and step.attempts == 2
    delivered = {to for recipients, _ in box.received for to in recipients}
    assert sorted(delivered) == everyone
    assert DigestSent.objects.filter(day=AS_OF, handed_over=True).count() == 12
