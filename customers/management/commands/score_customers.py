import datetime as dt
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.models import ScoringRun
from customers.scoring import runs
from customers.tasks import score_day
from retention.jobs.models import JobStep


class Command(BaseCommand):
    help = "Score every active customer's churn risk for a day now, showing progress."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Fan the chunks out to the Celery workers and follow their progress.",
        )
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="DAYS",
            help="Also score the DAYS before (every --every days), oldest first, as each day "
            "then stood: risk history for a new installation's trend lines.",
        )
        parser.add_argument("--every", type=int, default=7, metavar="DAYS")

    def handle(self, *args, **options):
        day = options["as_of"] or timezone.localdate()
        for back in range(options["history"], 0, -max(1, options["every"])):
            earlier = day - dt.timedelta(days=back)
            summary = runs.score_all(day=earlier, chunk_size=options["chunk_size"])
            self.stdout.write(f"  {earlier}: {summary['customers']} customers scored")
        if options["queue"]:
            try:
                score_day(day, chunk_size=options["chunk_size"])
            except ValidationError as error:
                # Already running (say, tonight's run): follow that one.
                self.stdout.write(self.style.WARNING(" ".join(error.messages)))
            summary = self._follow(day)
        else:
            busy = JobStep.objects.filter(
                day=day,
                name__in=["score_customers", "score_chunk", "finish_scoring"],
                status__in=[JobStep.Status.QUEUED, JobStep.Status.RUNNING],
            ).first()
            if busy is not None:
                raise CommandError(
                    f"Scoring for {day} is running on the workers ({busy.name} {busy.subject} "
                    "is " + busy.get_status_display().lower() + "); use --queue to follow it."
                )
            summary = runs.score_all(day=day, chunk_size=options["chunk_size"], progress=self._show)
        self.stdout.write(self.style.SUCCESS(f"Scored: {summary}"))

    def _show(self, run: ScoringRun) -> None:
        self.stdout.write(f"  chunks {run.chunks_done}/{run.chunks_total} ({run.progress:.0%})")

    def _follow(self, day: dt.date) -> dict:
        """Until the day is complete, or a step of it failed (then exit with its error)."""
        shown = None
        while True:
            run = ScoringRun.objects.filter(day=day).first()
            if run and (run.chunks_done, run.status) != shown:
                shown = (run.chunks_done, run.status)
                self._show(run)
            if run and run.status == ScoringRun.Status.COMPLETE and run.finished_at:
                return {"customers": run.customers_scored, "tiers": run.tier_sizes}
            failed = JobStep.objects.filter(
                day=day,
                name__in=["score_customers", "score_chunk", "finish_scoring"],
                status=JobStep.Status.FAILED,
            ).first()
            if failed is not None or (run and run.status == ScoringRun.Status.FAILED):
                error = run.error if run and run.error else failed.error
                raise CommandError(
                    f"Scoring {day} failed: {error} (see /jobs/{day}/ to re-run the step)"
                )
            time.sleep(1)
