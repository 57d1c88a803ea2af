import datetime as dt
import logging

from django.core.management.base import BaseCommand
from django.utils import timezone

from customers.scoring import training
from customers.tasks import train_risk_model


class Command(BaseCommand):
    help = "Train, compare and store a new churn model now (weekly on the beat schedule)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument(
            "--max-customers",
            type=int,
            default=None,
            help="Sample every k-th customer above this many (default TRAINING_MAX_CUSTOMERS).",
        )
        parser.add_argument("--queue", action="store_true", help="Send to the Celery workers.")

    def handle(self, *args, **options):
        day = options["as_of"] or timezone.localdate()
        if options["queue"]:
            result = train_risk_model.delay(as_of=day.isoformat())
            self.stdout.write(f"Training queued as {result.id}")
            return
        logging.getLogger("customers.scoring.training").setLevel(logging.INFO)
        model = training.train_model(as_of=day, max_customers=options["max_customers"])
        self.stdout.write(self.style.SUCCESS(f"Stored {model}: {model.description}"))
        if model.note:
            self.stdout.write(model.note)
        for name, value in model.metrics.items():
            if isinstance(value, dict):  # learners by kind: their codes, not Python's names
                value = {str(key): figures for key, figures in value.items()}
            self.stdout.write(f"  {name}: {value}")
