"""The night's steps in one process (no broker): once per day, failures recorded and the
night going on, bad rows set aside, empty inputs normal, re-runs from the jobs page."""

import datetime as dt

import pytest

from customers import services
from customers.models import Contract, RiskScore, ScoringRun
from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.nightly import start_night
from staff.models import AuditEvent
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 30)


def night(day=DAY):
    with steps.in_this_process():
        start_night(day)
        steps.run_here(day)
    return {s.name: s for s in JobStep.objects.filter(day=day).exclude(name="score_chunk")}


def test_customers_without_an_owner_are_scored():
    CustomerFactory(primary_owner=None)
    CustomerFactory(primary_owner=None)

    done = night()

    assert {s.status for s in done.values()} == {"done"}
    assert RiskScore.objects.filter(day=DAY).count() == 2
    assert ScoringRun.objects.get(day=DAY).status == "complete"


def test_a_contract_the_database_refuses_is_set_aside_and_the_night_goes_on(monkeypatch):
    good = ContractFactory(
        external_id="GOOD",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 6, 29),
        auto_renew=True,
    )
    bad = ContractFactory(
        external_id="BAD",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 6, 29),
        auto_renew=True,
    )
    real = services.renewal_external_id
    # A key the column cannot hold: the kind of row a set-based step meets one night.
    monkeypatch.setattr(
        services,
        "renewal_external_id",
        lambda root, generation: "X" * 80 if root == "BAD" else real(root, generation),
    )

    done = night()

    roll = done["roll_contracts"]
    assert roll.status == "done" and roll.result == {"expired": 0, "renewed": 1}
    [aside] = roll.set_aside.all()
    assert (aside.model, aside.object_id, aside.key) == ("contract", bad.pk, "BAD")
    # People read which field and its limit; admins also get the database's own words.
    assert aside.reason == "external_id is longer than the 64 characters it holds."
    assert aside.detail.startswith("DataError: value too long for type character varying(64)")
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == ("renewed", "active")  # BAD rolls when fixed
    assert Contract.objects.filter(external_id="GOOD-R").exists()
    # The following steps ran.
    assert done["finish_scoring"].status == "done" and done["raise_alerts"].status == "done"


def test_a_failed_step_is_recorded_the_rest_of_the_night_runs_and_a_rerun_completes(
    monkeypatch, client
):
    CustomerFactory()
    CustomerFactory()
    from customers.scoring import runs

    real = runs.score_chunk
    monkeypatch.setattr(
        runs, "score_chunk", lambda **kw: (_ for _ in ()).throw(ValueError("model file missing"))
    )

    done = night()

    assert done["roll_contracts"].status == "done"
    chunk = JobStep.objects.get(day=DAY, name="score_chunk")
    assert (chunk.status, chunk.error) == ("failed", "ValueError: model file missing")
    assert done["finish_scoring"].status == "failed"
    assert (done["raise_alerts"].status, done["compute_dashboard_figures"].status) == (
        "skipped",
        "skipped",
    )
    run = ScoringRun.objects.get(day=DAY)
    assert run.status == "failed" and "model file missing" in run.error
    assert not RiskScore.objects.filter(day=DAY).exists()

    # The next morning an admin sees it on the jobs page and runs the chunk again.
    monkeypatch.setattr(runs, "score_chunk", real)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(f"/jobs/?day={DAY}")
    assert page.status_code == 200 and "model file missing" in page.content.decode()
    response = client.post(f"/jobs/steps/{chunk.pk}/rerun/")
    assert response.status_code == 302
    steps.run_here(DAY)

    assert ScoringRun.objects.get(day=DAY).status == "complete"
    assert RiskScore.objects.filter(day=DAY).count() == 2
    assert set(JobStep.objects.filter(day=DAY).values_list("status", flat=True)) == {"done"}
    event = AuditEvent.objects.get(action="job_rerun")
    assert (event.object_id, event.detail["step"], event.detail["was"]) == (
        str(chunk.pk),
        "score_chunk",
        "failed",
    )


def test_a_step_still_running_cannot_be_started_again(client):
    step = JobStep.objects.create(
        day=DAY,
        name="roll_contracts",
        target="customers.tasks.roll_contracts",
        status="running",
        owner="elsewhere:1",
        heartbeat_at=dt.datetime.now(dt.UTC),
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    client.post(f"/jobs/steps/{step.pk}/rerun/")
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("running", 0)
    assert not AuditEvent.objects.filter(action="job_rerun").exists()
