import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")

app = Celery("retention")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def origin_queue(request) -> str | None:
    """The queue a running task was taken from, so the work it fans out stays there."""
    return (request.delivery_info or {}).get("routing_key")
