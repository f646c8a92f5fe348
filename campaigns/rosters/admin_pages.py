"""The import page's own additions to django-import-export's admin flow: the preview's
rows about to be written, page by page, and the blank template of each kind.

``RosterImportExportMixin`` (campaigns/rosters/admin.py) inherits these; they read the
stashed upload the way the bad-row report does and write nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.rosters.blanks import roster_template_workbook
from campaigns.rosters.guide import column_guide
from campaigns.rosters.pipeline import resource_class_for
from campaigns.rosters.preview import preview_page

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def preview_context(result, page=1) -> dict:
    """What the preview block of the import page shows of ``result`` (a dry run)."""
    changes = getattr(result, "changes", None) or []
    shown = preview_page(changes, page)
    return {
        "preview_page": shown,
        "preview_page_range": list(shown.paginator.get_elided_page_range(shown.number)),
        "preview_notes": getattr(result, "notes", None) or [],
        "preview_sheet": getattr(result, "sheet", None),
    }


class RosterPagesMixin:
    """Preview pages and template downloads of an admin with an ``import_kind``."""

    def get_import_context_data(self, **kwargs):
        # Which columns the kind needs and which values it accepts (the import page).
        return {
            **super().get_import_context_data(**kwargs),
            "column_guide": column_guide(self.import_kind),
        }

    def roster_page_urls(self):
        info = self.get_model_info()
        return [
            path(
                "import_preview/",
                self.admin_site.admin_view(self.import_preview),
                name="{}_{}_import_preview".format(*info),
            ),
            path(
                "import_template/",
                self.admin_site.admin_view(self.import_template),
                name="{}_{}_import_template".format(*info),
            ),
        ]

    def rerun_preview(self, request, form):
        """The dry run of the stashed upload named by a (valid) confirm form."""
        dataset = self.get_import_formats()[0]().create_dataset(
            self._tmp_storage(name=form.cleaned_data["import_file_name"]).read()
        )
        resource = resource_class_for(self.import_kind)(
            **self.get_import_resource_kwargs(request, form=form)
        )
        return dataset, resource.import_data(dataset, dry_run=True)

    @method_decorator(require_POST)
    def import_preview(self, request):
        """Another page of the preview's rows, with the confirm button as on the first."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            raise PermissionDenied
        _dataset, result = self.rerun_preview(request, form)
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "opts": self.model._meta,
            "result": result,
            "confirm_form": form if not result.problems else None,
            "import_error_display": self.import_error_display,
            **preview_context(result, request.POST.get("page", 1)),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    @method_decorator(require_GET)
    def import_template(self, request):
        """The blank XLSX of this kind: headers, an example row, drop-down lists, 填写说明."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(roster_template_workbook(self.import_kind), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.import_kind}-template.xlsx"'
        return response
