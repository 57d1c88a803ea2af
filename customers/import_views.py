"""File import in the browser (upload a CSV or Excel file, map the columns, check,
import, with a progress bar) and CSV export. Admins only until per-object permissions
arrive. Reading and writing the files is customers/csv_io/."""

from __future__ import annotations

import threading
from pathlib import Path

from django import db, forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import csv_io
from customers.models import Contact, Contract, CsvImport, Customer, ExchangeRate, Interaction
from customers.tasks import (
    cancel_csv_job,
    progress_key,
    run_csv_job_here,
    settle_csv_job,
    start_csv_job,
)
from retention.post_only import post_only
from staff import audit
from staff.access import (
    Role,
    employee_of,
    has_role,
    is_leaving,
    report_team_ids,
    role_required,
    visible_to,
)
from staff.models import ExportRequest

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
EXPORTS = {
    "customers": Customer,
    "contacts": Contact,
    "contracts": Contract,
    "interactions": Interaction,
    "exchange_rates": ExchangeRate,
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=CsvImport.Kind.choices, label=_("What the file holds"))
    file = forms.FileField(
        label=_("CSV or Excel file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
        help_text=_(
            "CSV: UTF-8 (with or without BOM), comma or semicolon separated. Excel: "
            ".xlsx, the first sheet. A header row naming each column once."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 512 MB; split it."))
        return upload


def mapping_form(job: CsvImport, data=None) -> forms.Form:
    """One select per CSV column: the field it fills, or nothing."""
    choices = [("", _("— ignore this column —"))] + [(f, f) for f in csv_io.fields_of(job.kind)]
    try:
        examples = csv_io.samples(Path(job.file.path), job.delimiter)
    except (OSError, csv_io.CsvUnreadable):
        examples = [[] for _ in job.header]
    fields = {
        f"column_{i}": forms.ChoiceField(
            label=column,
            choices=choices,
            required=False,
            initial=job.mapping.get(column, ""),
            help_text=_("e.g. %(values)s") % {"values": ", ".join(values)}
            if values
            else _("empty in the first rows"),
        )
        for i, (column, values) in enumerate(zip(job.header, examples, strict=False))
    }
    fields["decimal_mark"] = forms.ChoiceField(
        label=_("Decimal mark in numbers"),
        choices=[("", _("Point in comma-separated files; otherwise refuse what reads two ways"))]
        + CsvImport._meta.get_field("decimal_mark").choices,
        required=False,
        initial=job.decimal_mark,
    )
    fields["date_order"] = forms.ChoiceField(
        label=_("Order of dates"),
        choices=[("", _("Only what reads one way (2025-12-31, 31.12.2025, 31-Dec-2025)"))]
        + CsvImport._meta.get_field("date_order").choices,
        required=False,
        initial=job.date_order,
        help_text=_(
            "Proposed from the file's dates when they say it, e.g. a 31 in the first place."
        ),
    )
    return type("MappingForm", (forms.Form,), fields)(data)


@role_required(Role.ADMIN)
def imports(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = CsvImport(
            kind=form.cleaned_data["kind"], original_name=upload.name[:255], created_by=request.user
        )
        job.file.save(Path(upload.name).name, upload, save=False)
        try:
            job.delimiter, job.header = csv_io.sniff(Path(job.file.path))
        except csv_io.CsvUnreadable as error:
            job.file.delete(save=False)
            form.add_error("file", str(error))
        else:
            job.mapping = csv_io.default_mapping(job.kind, job.header)
            job.date_order = (
                csv_io.propose_date_order(Path(job.file.path), job.delimiter, job.kind, job.mapping)
                or ""
            )
            job.save()
            return redirect("import_detail", job.pk)
    recent = CsvImport.objects.select_related("created_by")[:20]
    return render(request, "customers/imports.html", {"form": form, "recent": recent})


@role_required(Role.ADMIN)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = get_object_or_404(CsvImport, pk=import_id)
    settle_csv_job(job)
    form = mapping_form(job, request.POST or None)
    mapping_problems: list[str] = []
    if request.method == "POST" and not job.working and job.status != CsvImport.Status.DONE:
        action = request.POST.get("action")
        if action == "check" and form.is_valid():
            mapping = {
                column: form.cleaned_data[f"column_{i}"]
                for i, column in enumerate(job.header)
                if form.cleaned_data[f"column_{i}"]
            }
            mapping_problems = csv_io.mapping_problems(
                job.kind, job.header, mapping, Path(job.file.path), job.delimiter
            )
            if not mapping_problems:
                job.mapping, job.status = mapping, CsvImport.Status.CHECKING
                job.decimal_mark = form.cleaned_data["decimal_mark"]
                job.date_order = form.cleaned_data["date_order"]
                job.problem_count, job.problems = 0, []
                job.save()
                _start(job.pk, write=False)
                return redirect("import_detail", job.pk)
        elif action == "import":
            if job.status != CsvImport.Status.CHECKED or job.problem_count:
                messages.error(request, _("Check the file first; it can be imported once clean."))
            else:
                CsvImport.objects.filter(pk=job.pk).update(status=CsvImport.Status.IMPORTING)
                _start(job.pk, write=True)
            return redirect("import_detail", job.pk)
    return render(
        request,
        "customers/import_detail.html",
        {
            "job": job,
            "form": form,
            "mapping_problems": mapping_problems,
            "sheet": _sheet_read(job),
        },
    )


def _sheet_read(job: CsvImport) -> tuple[str, list[str]] | None:
    """Which sheet of a workbook of several sheets is read (hidden ones are skipped)."""
    if job.delimiter != csv_io.EXCEL or not job.file:
        return None
    path = Path(job.file.path)
    return csv_io.sheet_read(path) if path.is_file() else None


def _start(import_id: int, *, write: bool) -> None:
    """With workers: a durable job (customers.tasks.start_csv_job). Without workers
    (embedded), run it in a thread once the request's transaction commits, so the page
    answers at once and polls the progress like it does with workers."""
    if not settings.CSV_IMPORT_IN_THREAD:
        start_csv_job(import_id, write=write)
        return

    def run() -> None:
        try:
            run_csv_job_here(import_id, write=write)
        finally:
            db.connections.close_all()  # this thread's own connection

    transaction.on_commit(
        lambda: threading.Thread(target=run, daemon=True, name=f"csv-job-{import_id}").start()
    )


@login_required
@post_only(lambda request, import_id: reverse("import_detail", args=[import_id]))
def import_cancel(request: HttpRequest, import_id: int) -> HttpResponse:
    """Cancel a check or import that is queued or running: its owner or an admin."""
    job = get_object_or_404(CsvImport, pk=import_id)
    admin = has_role(request.user, (Role.ADMIN,))
    if job.created_by_id != request.user.pk and not admin:
        raise PermissionDenied(
            _("Only the person who started this import, or an admin, can cancel it.")
        )
    if cancel_csv_job(job=job):
        messages.success(request, _("Cancelled: nothing from this file was written."))
    else:
        messages.info(request, _("This import had already finished; nothing was cancelled."))
    # The import pages are for admins; an owner who is not one goes back home.
    return redirect("import_detail", job.pk) if admin else redirect("home")


@role_required(Role.ADMIN)
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress bar, polled by the page while the task works."""
    job = get_object_or_404(CsvImport, pk=import_id)
    settle_csv_job(job)
    if job.working:  # rows written inside the import's transaction are counted here
        job.rows_done = max(job.rows_done, cache.get(progress_key(job.pk)) or 0)
    response = render(request, "customers/_import_progress.html", {"job": job})
    if not job.working and request.GET.get("was") == "working":
        response["HX-Refresh"] = "true"  # done: reload to show the outcome
    return response


class ExportForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need this export?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail with your name, the time and the number of rows."),
    )


LIST_FILTERS = {
    "q",
    "team",
    "owner",
    "owner_name",
    "tier",
    "segment",
    "renewal",
    "handover",
    "status",
}


def _list_filters(data) -> list[tuple[str, str]]:
    """The customers list's filters carried by the export form (hidden fields)."""
    return [(key, value) for key in data if key in LIST_FILTERS for value in data.getlist(key)]


@role_required(Role.ADMIN, Role.MANAGER)
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """Asks for the reason, records the export in the audit trail, then streams the CSV.
    Only a POST with its CSRF token exports: a GET (a link, an image on another site)
    shows the form and neither writes the audit trail nor puts the reason in a URL."""
    model = EXPORTS.get(kind)
    if model is None and kind.replace("-", "_") in EXPORTS:  # the API's spelling
        target = reverse("export", args=[kind.replace("-", "_")])
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{target}?{query}" if query else target, permanent=True)
    if model is None:
        raise Http404(_("Nothing to export by that name."))
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    posted = request.method == "POST"
    form = ExportForm(request.POST if posted else None)
    filters = _list_filters(request.POST if posted else request.GET)
    if not form.is_valid():
        from staff.reads import kind_label

        return render(
            request,
            "customers/export.html",
            {"form": form, "kind": kind_label(kind), "slug": kind, "filters": filters},
        )
    me = employee_of(request.user)
    if is_leaving(me):  # someone leaving exports only what their manager approved
        # Claimed by one conditional UPDATE: of two requests at once, one finds it unused.
        unused = ExportRequest.objects.filter(
            employee=me, kind=kind, approved_at__isnull=False, used_at__isnull=True
        )
        approved = unused.order_by("pk").values_list("pk", flat=True).first()
        if approved is not None and not unused.filter(pk=approved).update(used_at=timezone.now()):
            approved = None
        if approved is None:
            from staff.reads import waiting_request

            pending, created = waiting_request(me, kind, form.cleaned_data["reason"].strip())
            if created:
                _ask_for_approval(request, pending)
            from staff.reads import approver_for

            approver = approver_for(me)
            return render(
                request,
                "customers/export_pending.html",
                {
                    "pending": pending,
                    # Someone without a manager (an admin) is approved by another admin.
                    "approver_is_admin": approver is not None
                    and approver.role == approver.Role.ADMIN
                    and approver.pk != me.manager_id,
                },
            )
    if model is ExchangeRate:  # the company's rates, not anyone's customers
        queryset = model.objects.all()
    else:
        queryset = visible_to(
            request.user, model.objects.all(), "" if model is Customer else "customer__"
        )
    if model is Customer and filters:
        # From the customers list: the customers its filters show, no others.
        from customers.forms import CustomerListFilterForm
        from customers.selectors import latest_scoring_run
        from customers.views import customer_list_query

        chosen = QueryDict(mutable=True)
        for key, value in filters:
            chosen.appendlist(key, value)
        shown = customer_list_query(
            request.user,
            CustomerListFilterForm(chosen, teams=report_team_ids(request.user)),
            latest_scoring_run(),
            timezone.localdate(),
            # Every customer the filters match, whatever the list's sort: sorted by a
            # score, the list waits for the night to show a customer added today.
            scored_only=False,
        )
        queryset = queryset.filter(pk__in=shown.order_by().values("pk"))
    audit.record_read(
        kind, queryset.count(), action="export", reason=form.cleaned_data["reason"].strip()
    )
    name = f"{kind}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        csv_io.export_rows(kind, queryset), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _ask_for_approval(request: HttpRequest, pending: ExportRequest) -> None:
    from staff.reads import ask_for_approval

    ask_for_approval(pending, request.build_absolute_uri(reverse("export_requests")))


@role_required(Role.ADMIN, Role.MANAGER)
def export_requests(request: HttpRequest) -> HttpResponse:
    """Exports asked for by people leaving, for their manager (or an admin) to approve."""
    me = employee_of(request.user)
    # A manager of the requester's team who is not leaving, or an admin; never their own.
    from staff.reads import kind_label, requests_awaiting

    mine = list(requests_awaiting(request.user).select_related("employee"))
    for waiting in mine:
        waiting.label = kind_label(waiting.kind)
    if request.method == "POST":
        chosen = next((r for r in mine if str(r.pk) == request.POST.get("request")), None)
        if chosen is None:
            raise Http404(_("No such request waiting for you."))
        chosen.approved_by, chosen.approved_at = me, timezone.now()
        chosen.save(update_fields=["approved_by", "approved_at"])
        messages.success(
            request,
            _("Approved: %(name)s may export %(kinds)s once.")
            % {"name": chosen.employee.name, "kinds": kind_label(chosen.kind)},
        )
        return redirect("export_requests")
    return render(request, "customers/export_requests.html", {"requests": mine})
