from django.contrib import admin

from retention.jobs.models import JobStep, SetAside


class SetAsideInline(admin.TabularInline):
    model = SetAside
    extra = 0
    can_delete = False
    readonly_fields = ("model", "object_id", "key", "reason", "created_at")


@admin.register(JobStep)
class JobStepAdmin(admin.ModelAdmin):
    """Read-only: steps are run again from the jobs page (/jobs/), which audits it."""

    list_display = (
        "day",
        "name",
        "subject",
        "status",
        "attempts",
        "retries",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "name", "day")
    readonly_fields = [f.name for f in JobStep._meta.fields]
    inlines = [SetAsideInline]

    def has_add_permission(self, request) -> bool:
        return False
