"""The e-mails of a handover: the manager told a departure needs successors, each successor
told whom they take over from. Each in the recipient's language."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from handover.chain import acting_manager
from handover.models import HandoverPlan, HandoverTask
from retention.jobs import steps as job_steps
from staff.language import language_of
from staff.models import Employee


def notify_start(plan: HandoverPlan, *, new_count: int) -> Employee | None:
    """E-mail the leaver's acting manager that `new_count` customers need a successor;
    the manager told, or None when there is nobody to tell."""
    manager = acting_manager(plan.employee)
    if manager:
        with translation.override(language_of(manager)):
            values = {
                "name": plan.employee.name,
                "day": date_format(plan.last_day),
                "count": new_count,
            }
            subject = _("Handover: %(name)s leaves on %(day)s") % values
            body = (
                ngettext(
                    "%(count)d customer of %(name)s needs a successor. Review the recommendation "
                    "and accept it in the handover plan.",
                    "%(count)d customers of %(name)s need a successor. Review the "
                    "recommendations and accept them in the handover plan.",
                    new_count,
                )
                % values
            )
        with job_steps.mail_server_errors():
            send_mail(subject, body, None, [manager.email])
    return manager


def notify_successors(plan: HandoverPlan, tasks: list[HandoverTask]) -> None:
    by_successor: dict[int, int] = {}
    for task in tasks:
        by_successor[task.successor_id] = by_successor.get(task.successor_id, 0) + 1
    for employee in Employee.objects.filter(pk__in=by_successor):
        count = by_successor[employee.pk]
        with translation.override(language_of(employee)):
            values = {"count": count, "name": plan.employee.name, "day": date_format(plan.last_day)}
            subject = (
                ngettext(
                    "You take over %(count)d customer from %(name)s",
                    "You take over %(count)d customers from %(name)s",
                    count,
                )
                % values
            )
            if plan.last_day < timezone.localdate():
                body = (
                    _(
                        "%(name)s left on %(day)s. Please introduce yourself to each customer "
                        "soon and read the knowledge-transfer notes."
                    )
                    % values
                )
            else:
                body = (
                    _(
                        "%(name)s leaves on %(day)s. Please arrange a joint introduction with "
                        "each customer before then and read the knowledge-transfer notes."
                    )
                    % values
                )
        with job_steps.mail_server_errors():
            send_mail(subject, body, None, [employee.email])
