from django.contrib import admin

from staff.models import Employee, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "manager", "parent")
    list_filter = ("region",)
    search_fields = ("name", "region", "manager__name")
    autocomplete_fields = ("manager", "parent")


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "team",
        "role",
        "status",
        "is_key_employee",
        "hired_on",
        "departure_date",
    )
    list_filter = ("status", "role", "is_key_employee", "team", "departure_voluntary")
    search_fields = ("name", "email", "external_id")
    autocomplete_fields = ("user", "team", "manager")
    date_hierarchy = "hired_on"
