import datetime as dt
from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from retention.jobs import steps
from retention.jobs.models import JobStep
from retention.nightly import start_night


class Command(BaseCommand):
    help = (
        "Run the night's steps for a day now, in this process (or queue them with --queue). "
        "A night already run (or running) is not run again: re-run a step from the jobs page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument(
            "--queue", action="store_true", help="Send to the Celery workers instead."
        )

    def handle(self, *args, **options):
        day = options["as_of"] or timezone.localdate()
        if options["queue"]:
            start_night(day)
            page = f"{reverse('jobs')}?{urlencode({'day': day.isoformat()})}"
            self.stdout.write(f"Night of {day} queued; follow it on {page}")
            return
        with steps.in_this_process():
            start_night(day)
            steps.run_here(day)
        for step in JobStep.objects.filter(day=day).order_by("id"):
            subject = f" {step.subject}" if step.subject else ""
            outcome = step.result if step.status == JobStep.Status.DONE else step.error
            self.stdout.write(f"{step.target}{subject}: {step.status} {outcome}")
