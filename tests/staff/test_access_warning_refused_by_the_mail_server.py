"""An access warning whose e-mail the mail server refuses is set aside with what the
server said (both addresses it refused, or its answer to the message), not recorded, and
tried again on the next run."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.jobs import steps
from retention.jobs.models import JobStep
from staff.models import AccessWarning
from staff.watch import watch_access
from tests.alerts.smtp_server import Mailbox, sending_to
from tests.staff.test_export_watch import DAY, ann, views  # noqa: F401 (ann: the fixture)

pytestmark = pytest.mark.django_db


def watch_of_the_day(day: str) -> dict:
    return {"warnings": len(watch_access(day=dt.date.fromisoformat(day)))}


def run_watch_step() -> JobStep:
    step = JobStep.objects.create(
        day=DAY,
        name="watch_access",
        target=f"{__name__}.watch_of_the_day",
        kwargs={"day": str(DAY)},
    )
    with steps.in_this_process():
        steps.run_step(step.pk)
    return JobStep.objects.get(pk=step.pk)


def test_both_addresses_refused_are_named_with_the_servers_words(ann, settings):  # noqa: F811
    box = Mailbox(
        refuse_rcpt={
            "boss@example.com": "550 5.1.1 boss@example.com: mailbox unavailable",
            "hr@example.com": "551 5.1.6 user has moved",
        }
    )
    views(ann, DAY, 16)
    with sending_to(settings, box):
        step = run_watch_step()
    assert step.status == "done" and step.result["warnings"] == 0
    [aside] = step.set_aside.all()
    assert (aside.model, aside.key) == ("access warning", "Ann: unusual_volume")
    assert aside.reason == (
        'The mail server refused boss@example.com, answering "550 5.1.1 boss@example.com: '
        'mailbox unavailable". The mail server refused hr@example.com, answering '
        '"551 5.1.6 user has moved".'
    )
    assert not AccessWarning.objects.exists() and box.received == []


def test_a_message_refused_after_data_gives_the_servers_answer(ann, settings):  # noqa: F811
    box = Mailbox(refuse_data={"hr@example.com": "554 5.7.1 Message rejected as spam"})
    views(ann, DAY, 16)
    with sending_to(settings, box):
        step = run_watch_step()
        [aside] = step.set_aside.all()
        assert aside.reason == (
            'The mail server refused the e-mail, answering "554 5.7.1 Message rejected as spam".'
        )
        box.refuse_data.clear()  # the next run sends it
        assert len(watch_access(day=DAY)) == 1
    assert [sorted(to) for to, _ in box.received] == [["boss@example.com", "hr@example.com"]]
