from django.contrib import admin

from customers.models import Contact, Contract, Customer, Interaction, OwnershipPeriod


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "role", "email", "phone", "is_decision_maker", "status", "left_on")


class ContractInline(admin.TabularInline):
    model = Contract
    fk_name = "customer"
    extra = 0
    fields = (
        "external_id",
        "start_date",
        "end_date",
        "annual_value",
        "currency",
        "kind",
        "status",
        "auto_renew",
    )


class OwnershipInline(admin.TabularInline):
    model = OwnershipPeriod
    extra = 0
    fields = ("employee", "role", "started_on", "ended_on", "changed_by", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # History is written by owner changes, never typed in.
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "external_id",
        "segment",
        "region",
        "primary_owner",
        "secondary_owner",
        "status",
    )
    list_filter = ("status", "segment", "region", "industry", "churn_reason")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("primary_owner", "secondary_owner")
    list_select_related = ("primary_owner", "secondary_owner")
    inlines = [ContactInline, ContractInline, OwnershipInline]

    def save_model(self, request, obj, form, change):
        changed_by = getattr(request.user, "employee", None)
        obj.save(changed_by=changed_by, change_reason="Changed in the admin")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "role", "is_decision_maker", "status", "left_on")
    list_filter = ("status", "is_decision_maker")
    search_fields = ("name", "email", "customer__name", "external_id")
    autocomplete_fields = ("customer",)
    list_select_related = ("customer",)


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "customer",
        "start_date",
        "end_date",
        "annual_value",
        "currency",
        "status",
        "auto_renew",
    )
    list_filter = ("status", "kind", "auto_renew", "currency")
    search_fields = ("external_id", "customer__name")
    autocomplete_fields = ("customer", "renewal_of")
    list_select_related = ("customer",)
    date_hierarchy = "end_date"


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("happened_at", "customer", "kind", "direction", "employee", "satisfaction")
    list_filter = ("kind", "direction")
    search_fields = ("customer__name", "external_id", "notes")
    autocomplete_fields = ("customer", "employee", "contact")
    list_select_related = ("customer", "employee")
    date_hierarchy = "happened_at"
    show_full_result_count = False


@admin.register(OwnershipPeriod)
class OwnershipPeriodAdmin(admin.ModelAdmin):
    list_display = ("customer", "employee", "role", "started_on", "ended_on", "changed_by")
    list_filter = ("role",)
    search_fields = ("customer__name", "employee__name")
    list_select_related = ("customer", "employee", "changed_by")
    readonly_fields = (
        "customer",
        "employee",
        "role",
        "started_on",
        "ended_on",
        "changed_by",
        "reason",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
