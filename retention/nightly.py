"""The nightly jobs, in the order they must run. Beat schedules live in settings."""

from customers.tasks import roll_contracts

NIGHTLY_JOBS = [roll_contracts]
