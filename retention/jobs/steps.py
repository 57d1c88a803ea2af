"""Running steps so that a night finishes by itself.

Every step is a `JobStep` row, unique per day, name and subject. A worker *claims* the
row (status running, owner host:pid:thread, attempts + 1) under a row lock before doing any
work, and a thread beats on it while the work runs. So:

- a message delivered twice (second beat, second `run_nightly`, redelivery after a
  lost worker) finds the row running or done and does nothing;
- a worker killed with SIGKILL stops beating: the watchdog (beat, every few minutes, and
  every worker when it starts) puts the step back in the queue, and the next worker
  runs it again: the steps are idempotent;
- a database error (connection killed, failover) re-queues the step with a backoff;
  anything else, or too many attempts, marks it failed with the error, and the steps
  after it still run (those that need its result are marked skipped, saying why);
- a step is sent to the broker only after its row is committed; if the broker is down,
  the row stays queued and the watchdog sends it again later.

Steps run one after another by `after` (the name of the steps that must finish first);
`advance(day)` moves waiting steps on. Without a broker (eager) the same steps run in
this process."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import os
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop

from retention import refusals
from retention.jobs.models import JobStep, SetAside
from retention.wording import Joined, Worded, coded

logger = logging.getLogger(__name__)
HOST = socket.gethostname()
Status = JobStep.Status

_current: contextvars.ContextVar[JobStep | None] = contextvars.ContextVar(
    "current_job_step", default=None
)


class TakenOver(Exception):  # noqa: N818 - what happened, not an error of the step's
    """This worker's step was given to another meanwhile (the watchdog thought it lost:
    the worker was frozen, or its beats were held up): the new owner alone goes on."""


class StepFailed(Exception):
    """A step that cannot complete, for a reason a re-run will not fix by itself."""


class MailServerUnavailable(Exception):
    """The mail server could not be reached, or dropped the connection: no e-mail of the
    step can go out now. The step stops (what it marked sent stays marked) and is tried
    again with a backoff, as after a database outage, instead of setting every reader
    aside as refused."""


@dataclass
class StepSpec:
    name: str
    target: str
    kwargs: dict = field(default_factory=dict)
    subject: str = ""
    after: str = ""
    needs_success: bool = False


_here: contextvars.ContextVar[bool] = contextvars.ContextVar("steps_in_this_process", default=False)
# Steps sent while running in this process, for `run_here` to run one after the other.
_pending: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "steps_sent_here", default=None
)


def _eager() -> bool:
    from retention.celery import app

    return _here.get() or bool(app.conf.task_always_eager)


@contextlib.contextmanager
def in_this_process():
    """Steps sent inside run here, not on the workers (`run_nightly` without --queue):
    each waits its turn in `run_here`, which runs them one after the other."""
    token, pending = _here.set(True), _pending.set([])
    try:
        yield
    finally:
        _here.reset(token)
        _pending.reset(pending)


def owner_id() -> str:
    """host:pid:thread of the code running a step (threaded pools run several per pid)."""
    return f"{HOST}:{os.getpid()}:{threading.get_ident()}"


def current_step() -> JobStep | None:
    return _current.get()


# --- adding steps -----------------------------------------------------------------------


def add_steps(day: dt.date, specs: Iterable[StepSpec], *, queue: str = "") -> list[JobStep]:
    """Create the steps that do not exist yet for the day (the unique key keeps one of
    each however many callers race) and send those ready to run once committed."""
    now = timezone.now()
    rows = [
        JobStep(
            day=day,
            name=spec.name,
            subject=spec.subject,
            target=spec.target,
            kwargs=spec.kwargs,
            after=spec.after,
            needs_success=spec.needs_success,
            queue=queue,
            time_zone=settings.TIME_ZONE,
            status=Status.WAITING if spec.after else Status.QUEUED,
            queued_at=None if spec.after else now,
        )
        for spec in specs
    ]
    with transaction.atomic():
        JobStep.objects.bulk_create(rows, ignore_conflicts=True)
        keys = {(row.name, row.subject) for row in rows}
        steps = [
            step
            for step in JobStep.objects.filter(day=day, name__in={name for name, _ in keys})
            if (step.name, step.subject) in keys
        ]
    # Only the ones this call created are sent; a step already there was sent by its maker.
    fresh = [s.pk for s in steps if s.status == Status.QUEUED and s.attempts == 0]
    send(fresh)
    return steps


def add_step(day: dt.date, spec: StepSpec, *, queue: str = "") -> JobStep:
    return add_steps(day, [spec], queue=queue)[0]


def start_job(spec: StepSpec, *, day: dt.date | None = None) -> JobStep:
    """A job a request starts (a handover's tasks, a file check or import): recorded in
    the caller's transaction and sent after it commits, so a broker that is down leaves
    a queued job the watchdog sends later, never a half-done request. Starting the same
    job again runs it again once it has finished."""
    day = day or timezone.localdate()
    step = JobStep.objects.filter(day=day, name=spec.name, subject=spec.subject).first()
    if step is None:
        return add_step(day, spec)
    JobStep.objects.filter(pk=step.pk).update(kwargs=spec.kwargs, target=spec.target)
    return rerun(step)


def replace_steps(day: dt.date, names: list[str], specs: list[StepSpec]) -> list[JobStep]:
    """The running step's own sub-steps, made anew (a re-run of a scoring day splits it
    again). Older rows of these names are removed; a late message for one finds no row."""
    parent = current_step()
    with transaction.atomic():
        JobStep.objects.filter(day=day, name__in=names).exclude(
            pk=parent.pk if parent else None
        ).delete()
        return add_steps(day, specs, queue=parent.queue if parent else "")


# --- sending ----------------------------------------------------------------------------


def send(step_ids: list[int], *, countdown: float | None = None) -> None:
    """Hand the steps to the workers once the rows are committed; `run_nightly` in this
    process runs them one after the other (`run_here`); without a broker otherwise
    (tests, a request of the embedded default) here and now, inside the caller's
    transaction."""
    if not step_ids:
        return
    ids = list(step_ids)
    if _here.get():
        # `run_nightly` in this process: run by `run_here` after the step that sent them
        # has finished, each outside the others' transactions, so each commits its own
        # writes as it goes (a digest marked sent stays marked if the process is killed
        # later in the night) and is done before the next starts.
        _pending.get().extend(ids)
    elif _eager():
        _dispatch(ids)
    else:
        transaction.on_commit(lambda: _dispatch(ids, countdown=countdown))


def _dispatch(step_ids: list[int], *, countdown: float | None = None) -> None:
    if _eager():
        for step_id in step_ids:
            run_step(step_id)
        return
    from retention.jobs.tasks import run_step as run_step_task

    queues = dict(JobStep.objects.filter(pk__in=step_ids).values_list("pk", "queue"))
    for step_id in step_ids:
        try:
            run_step_task.apply_async(
                args=[step_id], queue=queues.get(step_id) or None, countdown=countdown, retry=False
            )
        except Exception:  # noqa: BLE001 - the broker being down must not undo the caller's work
            logger.warning(
                "Could not send step %s to the broker; the watchdog sends it again", step_id
            )


# --- running ----------------------------------------------------------------------------


def _pid_gone(owner: str) -> bool:
    """The owner ran on this host and its process is no longer there (or is a zombie)."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    if owner == owner_id():
        return True  # this thread is free to run it: the earlier attempt here has ended
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def db_now() -> dt.datetime:
    """The database's clock (PostgreSQL): heartbeats are written and judged by it, so a
    worker whose own clock runs ahead does not find a live step stale and take it over."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def check_still_owner() -> None:
    """Before a step's effects outside the database (e-mails): raise TakenOver if the
    running step is no longer this worker's, so a worker that was frozen past the stale
    limit does not send what its successor sends too. Outside a step, nothing."""
    step = current_step()
    if step is None:
        return
    if not JobStep.objects.filter(pk=step.pk, owner=step.owner, status=Status.RUNNING).exists():
        raise TakenOver(step.pk)


def owner_lost(step: JobStep, *, now: dt.datetime | None = None) -> bool:
    now = now or db_now()
    stale = now - dt.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    return (step.heartbeat_at is None or step.heartbeat_at < stale) or _pid_gone(step.owner)


def _claim(step_id: int, me: str) -> JobStep | None:
    with transaction.atomic():
        step = JobStep.objects.select_for_update().filter(pk=step_id).first()
        if step is None or step.status in (Status.WAITING, *JobStep.FINISHED):
            return None
        now = db_now()
        if step.status == Status.RUNNING and not owner_lost(step, now=now):
            return None
        if step.status == Status.RUNNING:
            step.retries += 1
            _say(
                step,
                Worded(
                    gettext_noop("Worker %(owner)s was lost; taken over by %(me)s."),
                    owner=step.owner,
                    me=me,
                ),
            )
        step.status, step.owner, step.heartbeat_at = Status.RUNNING, me, now
        step.attempts += 1
        step.started_at = step.started_at or now
        step.save()
        # Every attempt looks at all of its records again (what an earlier one set aside
        # is still there to be done), so the jobs page lists what the latest attempt set
        # aside, once, not also a killed attempt's copy with its older reason.
        SetAside.objects.filter(step_id=step.pk).delete()
    return step


class _Heartbeat(threading.Thread):
    """Marks the step alive every JOBS_HEARTBEAT_SECONDS on a connection of its own."""

    def __init__(self, step_id: int, owner: str):
        super().__init__(daemon=True, name=f"heartbeat-{step_id}")
        self.step_id, self.owner, self.stopped = step_id, owner, threading.Event()

    def run(self) -> None:
        from django.db import connections

        try:
            while not self.stopped.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    JobStep.objects.filter(pk=self.step_id, owner=self.owner).update(
                        heartbeat_at=Now() if connection.vendor == "postgresql" else timezone.now()
                    )
                except DatabaseError:
                    logger.warning("Heartbeat of step %s failed; trying again", self.step_id)
                    connections["default"].close()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def _fault_pause(step: JobStep) -> None:
    """Test-only failpoint: JOBS_FAULT_PAUSE="name=seconds,..." holds a claimed step that
    long, so fault tests can kill a worker, the broker or a connection in the middle."""
    for item in settings.JOBS_FAULT_PAUSE:
        name, _, seconds = item.partition("=")
        if name == step.name:
            time.sleep(float(seconds))


def fault_point(name: str) -> None:
    """Test-only failpoint inside a step's work (JOBS_FAULT_PAUSE="name=seconds"): says
    so in the log, then holds, so a fault test can strike midway (mid-file, mid-chunk)."""
    for item in settings.JOBS_FAULT_PAUSE:
        point, _, seconds = item.partition("=")
        if point == name:
            logger.warning("Fault point %s reached: holding %s s", name, seconds)
            time.sleep(float(seconds))


_PLAIN = (int, float, str, bool, type(None), list, dict)


def _json_safe(result) -> dict:
    if isinstance(result, dict):
        return {str(k): v if isinstance(v, _PLAIN) else str(v) for k, v in result.items()}
    return {"value": result if isinstance(result, _PLAIN) else str(result)}


TRANSIENT = (OperationalError, InterfaceError)


def run_step(step_id: int) -> dict:
    """Claim the step, run it, record the outcome and move the day's later steps on."""
    me = owner_id()
    step = _claim(step_id, me)
    if step is None:
        return {"step": step_id, "ran": False}
    if step.time_zone and not same_clock(step.time_zone, settings.TIME_ZONE):
        return _failed(step, me, _other_time_zone(step))
    token = _current.set(step)
    # Beating in this process too (`run_nightly`), where a watchdog elsewhere could take
    # a live step over; not on SQLite (a second writer waits for the first) or in tests.
    beats = not _eager() or (_here.get() and connection.vendor == "postgresql")
    heartbeat = _Heartbeat(step.pk, me) if beats else None
    if heartbeat:
        heartbeat.start()
    try:
        _fault_pause(step)
        result = import_string(step.target)(**step.kwargs)
    except TakenOver:
        logger.warning("Step %s was taken over while it ran; its new owner finishes it", step)
        return {"step": step.pk, "ran": True, "taken_over": True}
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the step
        logger.exception("Step %s failed", step)
        return _failed(step, me, error)
    finally:
        _current.reset(token)
        if heartbeat:
            heartbeat.stop()
    summary = _json_safe(result)
    # Only while it is still ours: a step taken over meanwhile (its owner thought lost)
    # is the new owner's to finish, and its outcome is not overwritten.
    finished = JobStep.objects.filter(pk=step.pk, owner=me, status=Status.RUNNING).update(
        status=Status.DONE,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        result=summary,
        error="",
        error_wording={},
    )
    if not finished:
        logger.warning("Step %s was taken over while it ran; its new owner finishes it", step)
        return {"step": step.pk, "ran": True, "taken_over": True}
    advance(step.day)
    return {"step": step.pk, "ran": True, **summary}


def same_clock(zone: str, other: str) -> bool:
    """Whether two zone names read the same clock: the same name, or names of one zone
    (UTC and Etc/UTC, Europe/Kiev and Europe/Kyiv) giving the same offset every six hours
    from two years back to two years ahead."""
    if zone == other:
        return True
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        first, second = ZoneInfo(zone), ZoneInfo(other)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return all(
        moment.astimezone(first).utcoffset() == moment.astimezone(second).utcoffset()
        for moment in (now + dt.timedelta(hours=6 * k) for k in range(-2920, 2920))
    )


def _other_time_zone(step: JobStep) -> StepFailed:
    """A worker whose TIME_ZONE differs from the planner's would draw the step's day
    (midnight, "today", the windows of days) on another clock: scores, alerts and
    figures shifted by hours, without an error. It refuses the step instead."""
    return StepFailed(
        Worded(
            gettext_noop(
                "Not run: this worker's TIME_ZONE is %(worker)s, but the step was planned "
                "in %(planned)s. Give the web server, beat and every worker the same "
                "TIME_ZONE, then run the step again."
            ),
            worker=settings.TIME_ZONE,
            planned=step.time_zone,
        )
    )


def _say(step: JobStep, message: str, raw: str = "") -> None:
    """Record on the step what people read (worded for each reader) and the raw text."""
    step.error, step.error_wording = raw or str(message), coded(message)


def _step_message(error: Exception) -> Worded | Joined:
    """What a failed step shows people: the step's own message, a validation's, the
    database's refusal in words; anything else says where to look."""
    carried = error.args[0] if error.args else None
    if isinstance(carried, Worded | Joined):
        return carried
    if isinstance(error, ValidationError):
        return Joined(error.messages)
    if isinstance(error, TRANSIENT):  # after the last attempt: no record was refused
        return Worded(
            gettext_noop(
                "The database did not answer (attempts: %(attempts)s); run the step again "
                "once it does (the detail says why)."
            ),
            attempts=settings.JOBS_MAX_ATTEMPTS,
        )
    if isinstance(error, DatabaseError):
        return refusals.refusal(error)
    return Worded(gettext_noop("The step stopped on an unexpected error (see the detail)."))


def _failed(step: JobStep, me: str, error: Exception) -> dict:
    transient = isinstance(error, (*TRANSIENT, MailServerUnavailable))
    message = _step_message(error)
    # The raw text for admins; where the step said why, its message is all there is.
    carried = error.args[0] if error.args else None
    text = str(carried) if carried is message else refusals.detail(error)
    if transient and not connection.in_atomic_block:
        connection.close()  # a killed connection must not be reused for the bookkeeping
    mail = isinstance(error, MailServerUnavailable)
    try:
        limit = settings.JOBS_MAIL_MAX_ATTEMPTS if mail else settings.JOBS_MAX_ATTEMPTS
        if transient and step.attempts < limit:
            # 2, 4, 8 ... s for the database; 30 s, 1, 2, 4, 8, then 15 min for mail.
            delay = min(30 * 2 ** (step.attempts - 1), 900) if mail else min(2**step.attempts, 60)
            retry = Worded(
                gettext_noop(
                    "The mail server did not answer (attempt %(attempt)s); trying again in "
                    "%(seconds)s s."
                )
                if mail
                else gettext_noop(
                    "The database did not answer (attempt %(attempt)s); trying again in "
                    "%(seconds)s s."
                ),
                attempt=step.attempts,
                seconds=delay,
            )
            JobStep.objects.filter(pk=step.pk, owner=me).update(
                status=Status.QUEUED,
                owner="",
                retries=step.retries + 1,
                error=text,
                error_wording=coded(retry),
                queued_at=timezone.now() + dt.timedelta(seconds=delay),
            )
            send([step.pk], countdown=delay)
            return {"step": step.pk, "ran": True, "retry": True, "error": text}
        JobStep.objects.filter(pk=step.pk).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            error=text,
            error_wording=coded(message),
        )
    except DatabaseError:
        # The database is gone too: the step stays running, stops beating, and the
        # watchdog re-queues it once the database answers again.
        logger.exception("Could not record the failure of step %s", step.pk)
        return {"step": step.pk, "ran": True, "error": text}
    advance(step.day)
    return {"step": step.pk, "ran": True, "failed": True, "error": text}


def advance(day: dt.date) -> list[int]:
    """Queue (or skip) the day's waiting steps whose earlier steps have all finished."""
    ready: list[int] = []
    with transaction.atomic():
        waiting = list(
            JobStep.objects.select_for_update(skip_locked=True).filter(
                day=day, status=Status.WAITING
            )
        )
        if not waiting:
            return []
        statuses: dict[str, list[str]] = {}
        for name, status in JobStep.objects.filter(day=day).values_list("name", "status"):
            statuses.setdefault(name, []).append(status)
        now = timezone.now()
        for step in waiting:
            before = statuses.get(step.after, [])
            if not before or any(s not in JobStep.FINISHED for s in before):
                continue
            if step.needs_success and any(s != Status.DONE for s in before):
                step.status, step.finished_at = Status.SKIPPED, now
                _say(
                    step,
                    Worded(
                        gettext_noop("Not run: %(after)s did not complete that day."),
                        after=_step_named(step.after),
                    ),
                )
            else:
                step.status, step.queued_at = Status.QUEUED, now
                ready.append(step.pk)
            step.save(
                update_fields=["status", "finished_at", "error", "error_wording", "queued_at"]
            )
            statuses.setdefault(step.name, []).append(step.status)
    send(ready)
    # A skipped step may be what a later one waits for.
    if len(ready) < len(waiting) and any(s.status == Status.SKIPPED for s in waiting):
        advance(day)
    return ready


# --- healing ----------------------------------------------------------------------------


def watchdog() -> dict:
    """Re-queue steps whose worker stopped beating, re-send queued steps whose message
    was lost, and move waiting steps on. Safe to run anywhere, any number of times."""
    now = db_now()
    requeued, failed, resent = [], [], []
    with transaction.atomic():
        for step in JobStep.objects.select_for_update(skip_locked=True).filter(
            status=Status.RUNNING
        ):
            if not owner_lost(step, now=now):
                continue
            last = f"{step.heartbeat_at:%H:%M:%S}" if step.heartbeat_at else "–"
            beat = {"owner": step.owner, "last": last}
            if step.attempts >= settings.JOBS_MAX_ATTEMPTS:
                step.status, step.finished_at = Status.FAILED, now
                message = gettext_noop(
                    "Worker %(owner)s stopped beating (last %(last)s); gave up after "
                    "%(attempts)s attempts."
                )
                _say(step, Worded(message, **beat, attempts=step.attempts))
                failed.append(step)
            else:
                step.status, step.queued_at, step.owner = Status.QUEUED, now, ""
                step.retries += 1
                message = gettext_noop(
                    "Worker %(owner)s stopped beating (last %(last)s); re-queued."
                )
                _say(step, Worded(message, **beat))
                requeued.append(step.pk)
            step.save()
        # Queued steps can wait their turn behind others for a while; only one queued
        # for longer than JOBS_RESEND_SECONDS counts as a lost message (a re-send is
        # harmless anyway: the first to claim it runs it).
        waited = now - dt.timedelta(seconds=settings.JOBS_RESEND_SECONDS)
        lost_messages = JobStep.objects.select_for_update(skip_locked=True).filter(
            status=Status.QUEUED, queued_at__lt=waited
        )
        resent = list(lost_messages.values_list("pk", flat=True))
        JobStep.objects.filter(pk__in=resent).update(queued_at=now)
    send(requeued + resent)
    days = set(
        JobStep.objects.filter(status=Status.WAITING).values_list("day", flat=True).distinct()
    ) | {step.day for step in failed}
    moved = sum(len(advance(day)) for day in days)
    if requeued or failed or resent:
        logger.warning(
            "Watchdog: %d re-queued, %d failed, %d re-sent", len(requeued), len(failed), len(resent)
        )
    return {"requeued": len(requeued), "failed": len(failed), "resent": len(resent), "moved": moved}


# --- set-aside records and re-runs ----------------------------------------------------------


def set_aside(
    *, model: str, reason: str, key: str = "", object_id: int | None = None, detail: str = ""
) -> None:
    """Record a row the running step left out, with why (shown on the jobs page): the
    reason people read, and the database's own text as a detail for admins."""
    step = current_step()
    logger.warning("Set aside %s %s: %s %s", model, key or object_id, reason, detail)
    if step is not None:
        SetAside.objects.create(
            step_id=step.pk,
            model=model,
            key=key[:200],
            object_id=object_id,
            reason=reason,
            wording=coded(reason),
            detail=detail,
        )


def set_aside_for(error: BaseException, **record) -> None:
    """Set the record aside for this error: a refusal in words, the raw text as detail."""
    set_aside(**record, **refusals.explain(error, model=record.get("model")))


def write_or_set_aside(
    items: list,
    write: Callable[[list], object],
    *,
    describe: Callable[[object], dict],
) -> list:
    """Write the items in one go; only if the database refuses the batch, halve it
    (each half in a savepoint) until the refused items are found, set those aside with
    the database's reason and write the rest. A clean batch costs one write, a batch
    with one bad item about 2 log2(n) writes; never a write per item unless needed.
    A lost connection (OperationalError) is no bad item: it propagates, so the step is
    retried. Returns the items set aside."""
    if not items:
        return []
    try:
        with transaction.atomic():
            write(items)
            _check_deferred_constraints()
        return []
    except TRANSIENT:
        raise
    except DatabaseError as error:
        if len(items) == 1:
            set_aside_for(error, **describe(items[0]))
            return list(items)
    middle = len(items) // 2
    return write_or_set_aside(items[:middle], write, describe=describe) + write_or_set_aside(
        items[middle:], write, describe=describe
    )


def _check_deferred_constraints() -> None:
    """Foreign keys are checked at commit on PostgreSQL (Django makes them deferred):
    check them now, while the refused rows can still be told apart."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def each_or_set_aside(
    items: Iterable, do: Callable[[object], object], *, describe: Callable[[object], dict]
) -> list:
    """For steps that already work item by item (a plan, an e-mail): an item that fails
    for a reason of its own (bad data, a refused address) is set aside with the reason
    and the others go on. Database connection faults propagate (the step is retried)."""
    results = []
    for item in items:
        try:
            with transaction.atomic():
                results.append(do(item))
        except (*TRANSIENT, MailServerUnavailable):
            raise
        except Exception as error:  # noqa: BLE001 - one item's fault is recorded, not fatal
            logger.exception("Setting aside %s", item)
            set_aside_for(error, **describe(item))
    return results


def _mail_server_unavailable(error: BaseException) -> bool:
    """Whether `error` says the mail server is out of reach (refused or timed out
    connections, a dropped connection, a 421 "service not available", a failed
    greeting or login) rather than refusing one message or address."""
    if isinstance(
        error,
        smtplib.SMTPServerDisconnected
        | smtplib.SMTPConnectError
        | smtplib.SMTPHeloError
        | smtplib.SMTPAuthenticationError,
    ):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


@contextlib.contextmanager
def mail_server_errors():
    """Around sending e-mail in a step: a mail server out of reach raises
    MailServerUnavailable, worded with the server and what went wrong."""
    try:
        yield
    except Exception as error:
        if not _mail_server_unavailable(error):
            raise
        raise MailServerUnavailable(
            Worded(
                gettext_noop(
                    "The mail server %(server)s did not answer or closed the connection "
                    "(%(reason)s); nothing more was sent."
                ),
                server=f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
                reason=str(error) or type(error).__name__,
            )
        ) from error


@contextlib.contextmanager
def mail_connection():
    """One connection to the mail server for a step's e-mails, opened now (a server that
    cannot be reached fails the step, to be retried, before anything is recorded as
    sent), closed after."""
    from django.core.mail import get_connection

    mail = get_connection()
    with mail_server_errors():
        mail.open()
    try:
        yield mail
    finally:
        with contextlib.suppress(Exception):  # a dropped connection has nothing to close
            mail.close()


def send_or_set_aside(mail, messages: list[tuple[object, object]], *, describe) -> list:
    """each_or_set_aside for e-mails already written: (item, EmailMessage) pairs sent over
    one open connection `mail`; a message the server or the message itself refuses (a bad
    address) is set aside with the reason, the others go out. Returns the refused items.
    A server's refusal is set aside in its own words: its reply code and text, and the
    address (retention/refusals.py mail_refusal)."""
    refused = []
    for item, message in messages:
        try:
            with mail_server_errors():
                mail.send_messages([message])
        except MailServerUnavailable:
            raise  # no message can go out: the step is retried
        except Exception as error:  # noqa: BLE001 - one message's fault is recorded, not fatal
            logger.exception("Setting aside %s", item)
            record = describe(item)
            set_aside(
                **record,
                **refusals.explain(
                    error, model=record.get("model"), recipients=message.recipients()
                ),
            )
            refused.append(item)
    return refused


def _step_named(name: str) -> Worded | str:
    """A step's label as a figure of a stored message, worded again for each reader."""
    from retention.jobs.labels import STEP_LABELS

    label = STEP_LABELS.get(name)
    return Worded(refusals.source(label)) if label is not None else name


def _dependants(day: dt.date, name: str) -> set[str]:
    after = dict(JobStep.objects.filter(day=day).values_list("name", "after"))
    found, frontier = set(), {name}
    while frontier:
        frontier = {n for n, a in after.items() if a in frontier and n not in found}
        found |= frontier
    return found


def rerun(step: JobStep) -> JobStep:
    """Run a finished (failed, skipped, done) or lost step again; the steps after it that
    did not complete wait for it again. Refused while it is queued or running."""
    with transaction.atomic():
        step = JobStep.objects.select_for_update().get(pk=step.pk)
        busy = step.status == Status.QUEUED or (
            step.status == Status.RUNNING and not owner_lost(step)
        )
        if busy or step.status == Status.WAITING:
            raise ValidationError(
                gettext(
                    "%(step)s for %(day)s is %(status)s; it can be re-run once it has finished."
                )
                % {
                    "step": step.label,
                    "day": date_format(step.day),
                    "status": step.get_status_display().lower(),
                }
            )
        if step.needs_success and (
            JobStep.objects.filter(day=step.day, name=step.after)
            .exclude(status=Status.DONE)
            .exists()
        ):
            raise ValidationError(
                gettext("%(step)s for %(day)s needs %(after)s to complete first: re-run that.")
                % {
                    "step": step.label,
                    "day": date_format(step.day),
                    "after": str(_step_named(step.after)),
                }
            )
        step.set_aside.all().delete()
        step.status, step.queued_at, step.owner = Status.QUEUED, timezone.now(), ""
        step.started_at, step.finished_at, step.error, step.result = None, None, "", {}
        step.error_wording = {}
        # Re-run on this process's clock (a step refused for another TIME_ZONE is run
        # again once the settings agree).
        step.time_zone = settings.TIME_ZONE
        step.save()
        JobStep.objects.filter(
            day=step.day,
            name__in=_dependants(step.day, step.name),
            status__in=[Status.FAILED, Status.SKIPPED],
        ).update(
            status=Status.WAITING,
            finished_at=None,
            error="",
            error_wording={},
            time_zone=settings.TIME_ZONE,
        )
    send([step.pk])
    return step


def _taken_over_here(step: JobStep) -> bool:
    """Whether `run_here` may take over a running step: its process on this host is
    gone, or its owner elsewhere stopped beating. A live process on this host keeps its
    step, beating or not (on SQLite steps run here do not beat: a second `run_nightly`
    must not run a step the first is still running)."""
    if step.owner.partition(":")[0] == HOST:
        return _pid_gone(step.owner) and step.owner != owner_id()
    return owner_lost(step)


def run_here(day: dt.date) -> None:
    """Run the day's queued steps in this process until none is left (eager mode, and
    tests whose transaction never commits), and take over the day's running steps whose
    owner is gone (an earlier `run_nightly` killed mid-step, a worker that stopped
    beating): with no worker and no watchdog, nothing else would."""
    pending = _pending.get()
    while True:
        sent = list(pending or [])
        if pending:
            pending.clear()
        ready = list(
            JobStep.objects.filter(day=day, status=Status.QUEUED).values_list("pk", flat=True)
        )
        ready += [
            step.pk
            for step in JobStep.objects.filter(day=day, status=Status.RUNNING)
            if _taken_over_here(step)
        ]
        # Steps sent for other days too (a departure's tasks raised by the night).
        ready += [step_id for step_id in sent if step_id not in ready]
        if not ready:
            return
        for step_id in ready:
            run_step(step_id)
