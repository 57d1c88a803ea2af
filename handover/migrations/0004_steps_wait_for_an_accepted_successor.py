"""The introduction and follow-ups of a task with no accepted successor were assigned to
the recommended colleague, who learned of a departure only being planned and could act
on it. They wait, unassigned, for a manager to accept a successor (or the last day)."""

from django.db import migrations


def unassign(apps, schema_editor):
    HandoverStep = apps.get_model("handover", "HandoverStep")
    HandoverStep.objects.filter(
        task__successor__isnull=True,
        kind__in=["joint_introduction", "follow_up"],
        done_at__isnull=True,
    ).exclude(assignee__isnull=True).update(assignee=None)


class Migration(migrations.Migration):
    dependencies = [("handover", "0003_foreign_keys_led_by_a_composite_index")]

    operations = [migrations.RunPython(unassign, migrations.RunPython.noop)]
