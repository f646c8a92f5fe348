"""Requesting a report in admin: ``add/?campaign=<pk>`` or ``add/?pilot=<pk>`` (the links
of the campaign and pilot pages) shows a one-click confirmation naming what the report is
about; ``add/`` without either offers a choice among the user's schools' campaigns and
pilots. Anything else (both, neither on a POST, a malformed or foreign number) is a
message and nothing written."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Pilot
from campaigns.scoping import scope_queryset
from reports.models import Report
from reports.services import pilot_report_request, report_request

TEMPLATE = "admin/reports/report/request.html"
UNFINISHED = (Report.Status.PENDING, Report.Status.RUNNING)


@dataclass
class Subject:
    kind: str  # "campaign" | "pilot"
    obj: Campaign | Pilot

    @property
    def title(self) -> str:
        return self.obj.title if self.kind == "campaign" else self.obj.name

    @property
    def school(self) -> str:
        pilot = self.obj.pilot if self.kind == "campaign" else self.obj
        return pilot.school.name

    @property
    def dates(self) -> tuple:
        if self.kind == "campaign":
            return (
                timezone.localtime(self.obj.submission_starts_at),
                timezone.localtime(self.obj.voting_ends_at),
            )
        return self.obj.starts_on, self.obj.ends_on

    @property
    def admin_url(self) -> str:
        return reverse(f"admin:campaigns_{self.kind}_change", args=[self.obj.pk])

    def unfinished_report(self) -> Report | None:
        reports = Report.objects.filter(status__in=UNFINISHED)
        if self.kind == "campaign":
            reports = reports.filter(campaign=self.obj)
        else:
            reports = reports.filter(campaign__isnull=True, pilot=self.obj)
        return reports.order_by("-requested_at").first()

    def latest_report(self) -> Report | None:
        if self.kind == "campaign":
            reports = Report.objects.filter(campaign=self.obj)
        else:
            reports = Report.objects.filter(campaign__isnull=True, pilot=self.obj)
        return reports.order_by("-requested_at").first()


class SubjectError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _campaigns(user):
    return scope_queryset(Campaign.objects.select_related("pilot__school"), user)


def _pilots(user):
    return scope_queryset(Pilot.objects.select_related("school"), user)


def subject_from(params, user) -> Subject | None:
    """The campaign or pilot named by ``params`` among the user's schools'; None when
    neither is named; SubjectError when the request cannot be honoured."""
    campaign, pilot = params.get("campaign", ""), params.get("pilot", "")
    if campaign and pilot:
        raise SubjectError(_("Choose a campaign or a pilot, not both."), 400)
    if not (campaign or pilot):
        return None
    kind, raw = ("campaign", campaign) if campaign else ("pilot", pilot)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise SubjectError(
            _("“%(value)s” is not the number of a %(kind)s.")
            % {"value": raw[:30], "kind": _("campaign") if kind == "campaign" else _("pilot")},
            400,
        )
    queryset = _campaigns(user) if kind == "campaign" else _pilots(user)
    obj = queryset.filter(pk=int(raw)).first()
    if obj is None:
        # The same answer for a missing one and another school's: nothing to learn here.
        message = (
            _("There is no campaign #%(pk)s among your schools' campaigns.")
            if kind == "campaign"
            else _("There is no pilot #%(pk)s among your schools' pilots.")
        )
        raise SubjectError(message % {"pk": raw}, 404)
    return Subject(kind, obj)


def _choice_page(admin, request, *, error: str = "", status: int = 200) -> HttpResponse:
    campaigns = _campaigns(request.user).order_by("-voting_ends_at")
    pilots = _pilots(request.user).order_by("-starts_on")
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            **admin.admin_site.each_context(request),
            "title": _("Request a report"),
            "opts": admin.model._meta,
            "error": error,
            "campaign_choices": [Subject("campaign", c) for c in campaigns],
            "pilot_choices": [Subject("pilot", p) for p in pilots],
        },
        status=status,
    )


def report_request_view(admin, request: HttpRequest) -> HttpResponse:
    if not admin.has_add_permission(request):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    try:
        subject = subject_from(params, request.user)
    except SubjectError as problem:
        return _choice_page(admin, request, error=problem.message, status=problem.status)
    if subject is None:
        if request.method == "POST":
            return _choice_page(
                admin, request, error=_("Choose a campaign or a pilot."), status=400
            )
        return _choice_page(admin, request)
    if request.method != "POST":
        return TemplateResponse(
            request,
            TEMPLATE,
            {
                **admin.admin_site.each_context(request),
                "title": _("Request a report"),
                "opts": admin.model._meta,
                "subject": subject,
                "latest": subject.latest_report(),
            },
        )
    with transaction.atomic():
        # A second click (or a second manager) while one is computing reads that one.
        report = subject.unfinished_report()
        if report is not None:
            messages.info(request, _("This report is already being computed."))
        elif subject.kind == "campaign":
            report = report_request(campaign=subject.obj)
        else:
            report = pilot_report_request(pilot=subject.obj)
    return HttpResponseRedirect(reverse("admin:reports_report_change", args=[report.pk]))
