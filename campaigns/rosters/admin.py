"""Spreadsheet import and export in admin: django-import-export's preview → confirm flow,
scoped to the user's school and run through the roster import service.

What changes from the library's defaults (docs/library-traps.md):

- one import "format" whose content decides XLSX, XLS or CSV (and the CSV encoding);
  the preview parses the upload once and stashes the parsed sheet, so the confirm step
  does not parse the workbook again;
- the import form chooses the school (and campaign) among the user's own; the confirm
  form carries them back and is validated against the same scope — a tampered hidden
  field cannot reach another school;
- the confirm step runs ``roster_import_confirm``: all rows or none, audited, and a big
  file becomes a background ``ImportJob``;
- the preview lists every bad row as "row N: reason" and offers it as an XLSX report;
- exports use the admin's scoped queryset and formats that escape every formula
  trigger; CSV carries a BOM for Chinese Excel; phones are masked unless staff.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.signals import post_export

from campaigns.models import Campaign, School
from campaigns.rosters.admin_pages import RosterPagesMixin, preview_context
from campaigns.rosters.pipeline import ImportScope, import_scope_build, resource_class_for
from campaigns.rosters.previews import import_preview_in_background, import_preview_job_create
from campaigns.rosters.service import ImportReport, roster_import_confirm
from campaigns.scoping import scope_queryset
from core.spreadsheets.exports import EXPORT_FORMATS, SpreadsheetFormat, problems_workbook
from core.spreadsheets.reading import read_sheet
from core.spreadsheets.sheet import SpreadsheetError
from core.spreadsheets.stash import stash_dumps
from core.storage import PreviewStorage

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_GONE = gettext_lazy("This preview has expired or is not yours: upload the file again.")


def _school_choices(user):
    return scope_queryset(School.objects.all(), user)


def _campaign_choices(user):
    return scope_queryset(Campaign.objects.select_related("pilot__school"), user)


class RosterImportForm(ImportForm):
    """The upload form, with the school (or, for contestants, the campaign) to import
    into, chosen among the user's own."""

    def __init__(self, formats, resources, *, user, kind: str, **kwargs):
        super().__init__(formats, resources, **kwargs)
        if kind == "contestants":
            self.fields["campaign"] = forms.ModelChoiceField(
                queryset=_campaign_choices(user), label=gettext_lazy("campaign")
            )
            self.fields["photos"] = forms.FileField(
                label=gettext_lazy("photos (zip, optional)"),
                required=False,
                help_text=gettext_lazy("The photo column names files in this zip."),
            )
        else:
            schools = _school_choices(user)
            self.fields["school"] = forms.ModelChoiceField(
                queryset=schools, label=gettext_lazy("school")
            )
            if schools.count() == 1:
                self.initial["school"] = schools.get().pk

    def clean(self):
        cleaned = super().clean()
        if "campaign" in self.fields and cleaned.get("campaign"):
            cleaned["school"] = cleaned["campaign"].pilot.school
        return cleaned


class RosterConfirmImportForm(ConfirmImportForm):
    school = forms.ModelChoiceField(queryset=School.objects.none(), widget=forms.HiddenInput)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), widget=forms.HiddenInput, required=False
    )
    photos_file_name = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Never trust the hidden fields: they must name the user's own school/campaign.
        self.fields["school"].queryset = _school_choices(user)
        self.fields["campaign"].queryset = _campaign_choices(user)

    # The stashed upload's names come back from the browser: anything but a preview we
    # stored (the library's uuid4 hex) is a form error, never a path or a 500.
    def clean_import_file_name(self):
        name = self.cleaned_data.get("import_file_name") or ""
        if not PreviewStorage(name=name).exists():
            raise forms.ValidationError(PREVIEW_GONE, code="preview_gone")
        return name

    def clean_photos_file_name(self):
        name = self.cleaned_data.get("photos_file_name") or ""
        if name and not PreviewStorage(name=name).exists():
            raise forms.ValidationError(PREVIEW_GONE, code="preview_gone")
        return name


class SafeExportMixin(ExportMixin):
    """Exports of a school-scoped admin: its queryset, safe formats, masked phones."""

    export_resource_class: ClassVar[type | None] = None

    def get_export_formats(self):
        return list(EXPORT_FORMATS)

    def get_export_resource_classes(self, request):
        return [self.export_resource_class]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_queryset(self, request):
        # The library builds the changelist from get_queryset(), which SchoolScopedAdmin
        # scopes already; scope again so an override of either can never widen it.
        return scope_queryset(super().get_export_queryset(request), request.user)

    def has_export_permission(self, request):
        return super().has_export_permission(request) and self.has_view_permission(request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        # Typed cells (numbers, dates) for the binary formats: the library decides by
        # exact class and would not recognise our escaping subclasses.
        data = self.get_data_for_export(
            request, queryset, force_native_type=file_format.is_binary(), **kwargs
        )
        return file_format.export_data(data)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        response = HttpResponse(
            self.get_export_data(file_format, request, queryset, export_form=export_form),
            content_type=file_format.get_content_type()
            + ("" if file_format.is_binary() else "; charset=utf-8"),
        )
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response


class RosterImportExportMixin(RosterPagesMixin, SafeExportMixin, ImportExportMixin):
    """Import (preview → confirm) and export for an admin whose model is a roster kind."""

    import_kind: ClassVar[str] = ""
    import_template_name = "admin/campaigns/roster_import.html"
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm

    def get_export_resource_classes(self, request):
        return [self.export_resource_class or resource_class_for(self.import_kind)]

    def get_import_formats(self):
        # The kind's columns decide which sheet, and which of its top rows, is the table.
        return [SpreadsheetFormat.for_columns(resource_class_for(self.import_kind).columns)]

    def get_import_resource_classes(self, request):
        return [resource_class_for(self.import_kind)]

    def has_import_permission(self, request):
        # The library asks for the "add" permission (settings); the admin's own add
        # permission also holds the object-level rules.
        return super().has_import_permission(request) and self.has_add_permission(request)

    # --- forms ------------------------------------------------------------------------

    def get_import_form_kwargs(self, request):
        return {
            **super().get_import_form_kwargs(request),
            "user": request.user,
            "kind": self.import_kind,
        }

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            cleaned = import_form.cleaned_data
            initial["school"] = cleaned["school"].pk
            initial["campaign"] = cleaned["campaign"].pk if cleaned.get("campaign") else None
            initial["photos_file_name"] = getattr(import_form, "photos_tmp_name", "")
        return initial

    def _scope(self, request, form) -> ImportScope | None:
        if form is None or not form.is_bound or not form.is_valid():
            return None
        cleaned = form.cleaned_data
        photos = None
        if cleaned.get("photos"):
            photos = b"".join(cleaned["photos"].chunks())
            tmp = self._tmp_storage()
            tmp.save(photos)
            form.photos_tmp_name = tmp.name
        elif cleaned.get("photos_file_name"):
            photos = self._tmp_storage(name=cleaned["photos_file_name"]).read()
        try:
            return import_scope_build(
                user=request.user,
                school=cleaned["school"],
                campaign=cleaned.get("campaign"),
                photos=photos,
            )
        except Exception as exc:  # ImportRefused: the querysets make this unreachable
            raise PermissionDenied(str(exc)) from exc

    def get_import_resource_kwargs(self, request, form=None, **kwargs):
        kwargs = {"user": request.user}
        if isinstance(form, ImportForm | ConfirmImportForm):
            kwargs["scope"] = getattr(form, "_roster_scope", None) or self._scope(request, form)
            form._roster_scope = kwargs["scope"]
        return kwargs

    def _tmp_storage(self, name: str | None = None):
        cls = self.get_tmp_storage_class()
        kwargs = {"encoding": None, "read_mode": "rb", **self.get_tmp_storage_class_kwargs()}
        if name:
            kwargs["name"] = name
        return cls(**kwargs)

    # --- preview ----------------------------------------------------------------------

    def write_to_tmp_storage(self, import_file, input_format):
        """Parse once, stash the parsed sheet for the confirm step. A file that cannot be
        read is stored as uploaded, so the library's read step reports why."""
        data = b"".join(import_file.chunks())
        try:
            columns = resource_class_for(self.import_kind).columns
            payload = stash_dumps(read_sheet(data, file_name=import_file.name, columns=columns))
        except SpreadsheetError:
            payload = data
        tmp = self._tmp_storage()
        tmp.save(payload)
        return tmp

    def _preview_in_background(self, request):
        """A big file (or photo zip) is previewed by a Celery job: redirect to its page.
        None: preview in this request, as the library does."""
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        upload = form.cleaned_data["import_file"]
        photos = form.cleaned_data.get("photos")
        photo_bytes = b"".join(photos.chunks()) if photos else None
        try:
            sheet = read_sheet(b"".join(upload.chunks()), file_name=upload.name)
        except SpreadsheetError:
            return None  # the library's path reports why
        if not import_preview_in_background(rows=len(sheet.rows), photos=photo_bytes):
            return None
        cleaned = form.cleaned_data
        try:
            scope = import_scope_build(
                user=request.user,
                school=cleaned["school"],
                campaign=cleaned.get("campaign"),
                photos=photo_bytes,
            )
        except Exception as exc:  # ImportRefused: the form's choices make this unreachable
            raise PermissionDenied(str(exc)) from exc
        job = import_preview_job_create(
            kind=self.import_kind, sheet=sheet, file_name=upload.name, scope=scope
        )
        messages.info(
            request,
            _("%(file)s has %(n)d rows: it is being checked in the background.")
            % {"file": upload.name, "n": len(sheet.rows)},
        )
        return HttpResponseRedirect(reverse("admin:campaigns_importjob_change", args=[job.pk]))

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            background = self._preview_in_background(request)
            if background is not None:
                return background
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        result = context.get("result") if context else None
        if result is not None and getattr(result, "problems", None):
            # The bad-row report re-runs the preview of the stashed file.
            form = context["form"]
            context["report_form"] = self.create_confirm_form(request, import_form=form)
        if result is not None:
            context.update(preview_context(result))
        return response

    def get_urls(self):
        info = self.get_model_info()
        return [
            path(
                "import_report/",
                self.admin_site.admin_view(self.import_report),
                name="{}_{}_import_report".format(*info),
            ),
            *self.roster_page_urls(),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def import_report(self, request):
        """The preview's bad rows as an XLSX download."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            raise PermissionDenied
        dataset, result = self.rerun_preview(request, form)
        response = HttpResponse(
            problems_workbook(result.problems, list(dataset.headers or [])),
            content_type=XLSX_TYPE,
        )
        response["Content-Disposition"] = 'attachment; filename="import-problems.xlsx"'
        return response

    # --- confirm ----------------------------------------------------------------------

    def process_dataset(self, dataset, form, request, **kwargs):
        scope = self.get_import_resource_kwargs(request, form=form)["scope"]
        report = roster_import_confirm(
            kind=self.import_kind,
            dataset=dataset,
            file_name=form.cleaned_data["original_file_name"],
            scope=scope,
        )
        if form.cleaned_data.get("photos_file_name"):
            self._tmp_storage(name=form.cleaned_data["photos_file_name"]).remove()
        return report

    def process_result(self, result: ImportReport, request):
        opts = self.model._meta
        if result.job is not None:
            messages.info(
                request,
                _("%(file)s has %(n)d rows: it is being imported in the background.")
                % {"file": result.file_name, "n": result.total},
            )
            return HttpResponseRedirect(
                reverse("admin:campaigns_importjob_change", args=[result.job.pk])
            )
        if result.ok:
            messages.success(
                request,
                _(
                    "Imported %(file)s: %(new)d new, %(updated)d updated, %(unchanged)d "
                    "unchanged %(what)s."
                )
                % {
                    "file": result.file_name,
                    "new": result.new,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "what": opts.verbose_name_plural,
                },
            )
        else:
            shown = "; ".join(str(p) for p in result.problems[:5])
            messages.error(
                request,
                _("Nothing was imported: %(n)d problem(s) since the preview: %(shown)s")
                % {"n": len(result.problems), "shown": shown},
            )
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
