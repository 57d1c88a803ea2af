"""The manager's start notice is now logged on the plan once it is handed to the mail
server ("manager_told"), and a plan whose tasks no notice has named tells the manager
again. Plans raised before were told when their tasks were raised: recorded so, so that
no manager is e-mailed a second time."""

from django.db import migrations


def record_notices(apps, schema_editor):
    HandoverPlan = apps.get_model("handover", "HandoverPlan")
    for plan in HandoverPlan.objects.filter(tasks_raised_at__isnull=False):
        count = plan.tasks.count()
        if not count:
            continue
        plan.log = [
            *plan.log,
            {
                "at": plan.tasks_raised_at.isoformat(),
                "code": "manager_told",
                "params": {"count": count, "manager": ""},
                "message": f"E-mailed the manager: {count} customers need a successor.",
            },
        ]
        plan.save(update_fields=["log"])


class Migration(migrations.Migration):
    dependencies = [("handover", "0004_steps_wait_for_an_accepted_successor")]

    operations = [migrations.RunPython(record_notices, migrations.RunPython.noop)]
