"""The admin site of the house: its index is the manager's home.

``OpsAdminSite`` is ``admin.site`` (home/apps.py: ``OpsAdminConfig.default_site``). Its
index lists what needs attention (home/selectors.py), each item a link into the filtered
admin list, then the apps: the business apps first in the order a manager works through
them, the framework's own (Celery results, periodic tasks, users and groups) last under
a heading of their own and only for superusers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.rules import is_ops, user_school_id
from home import selectors

# The business apps, in the order a manager meets them; their models likewise. Any other
# app (django_celery_beat, django_celery_results, auth, axes...) is a system app.
BUSINESS_APPS = ("campaigns", "voting", "ambassadors", "reports")
MODEL_ORDER = {
    "campaigns": (
        "school",
        "pilot",
        "campaign",
        "round",
        "prize",
        "expense",
        "importjob",
        "auditlog",
        "staffphone",
    ),
    "voting": (
        "entry",
        "leaderboardsnapshot",
        "prizeaward",
        "fraudflag",
        "vote",
        "voter",
        "visit",
        "activity",
    ),
    "ambassadors": ("ambassador", "worklog"),
}


@dataclass(frozen=True)
class AttentionLink:
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class AttentionItem:
    """One line of the home page: a count, what it counts, and the list it opens."""

    key: str
    label: str
    count: int
    url: str
    urgent: bool = False  # a non-zero count asks for action, not only for a look
    links: list[AttentionLink] = field(default_factory=list)


def _list_url(label: str, **query: object) -> str:
    url = reverse(f"admin:{label}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def attention_items(user) -> list[AttentionItem]:
    """What ``user`` should look at now; an intern's counts are their school's only."""
    ops = is_ops(user)
    school_id = None if ops else user_school_id(user)
    if not ops and school_id is None:
        return []
    since = selectors.recent_since()
    since_day = timezone.localdate(since).isoformat()

    running_total, running = selectors.campaigns_running(school_id=school_id)
    items = [
        AttentionItem(
            key="campaigns-running",
            label=_("Campaigns running"),
            count=running_total,
            url=_list_url("campaigns_campaign", status__exact="open"),
            links=[
                AttentionLink(
                    label=str(c.title) if school_id else f"{c.title} · {c.school}",
                    count=c.votes_today,
                    url=reverse("admin:campaigns_campaign_change", args=[c.pk]),
                )
                for c in running
            ],
        ),
        AttentionItem(
            key="entries-pending",
            label=_("Entries waiting for moderation"),
            count=selectors.entries_pending_count(school_id=school_id),
            url=_list_url("voting_entry", status__exact="pending"),
            urgent=True,
        ),
    ]
    if ops:
        fraud = selectors.fraud_flags_open()
        flags = "voting_fraudflag"
        items.append(
            AttentionItem(
                key="fraud-open",
                label=_("Fraud flags to review"),
                count=fraud.total,
                url=_list_url(flags, status__exact="open"),
                urgent=True,
                links=[
                    AttentionLink(
                        label=str(name),
                        count=count,
                        url=_list_url(flags, status__exact="open", severity__exact=level),
                    )
                    for name, count, level in (
                        (_("high"), fraud.high, 30),
                        (_("medium"), fraud.medium, 20),
                        (_("low"), fraud.low, 10),
                    )
                ],
            )
        )
    reports = selectors.reports_recent(school_id=school_id, since=since)
    items += [
        AttentionItem(
            key="reports-ready",
            label=_("Reports ready (last 7 days)"),
            count=reports.ready,
            url=_list_url(
                "reports_report", status__exact="done", generated_at__date__gte=since_day
            ),
            links=_nonzero(
                AttentionLink(
                    label=str(_("being computed")),
                    count=reports.running,
                    url=_list_url("reports_report", status__in="pending,running"),
                )
            ),
        ),
        AttentionItem(
            key="reports-failed",
            label=_("Reports failed (last 7 days)"),
            count=reports.failed,
            url=_list_url(
                "reports_report", status__exact="failed", requested_at__date__gte=since_day
            ),
            urgent=True,
        ),
    ]
    imports = selectors.imports_recent(school_id=school_id, since=since)
    items += [
        AttentionItem(
            key="imports-running",
            label=_("Imports running"),
            count=imports.running,
            url=_list_url("campaigns_importjob", status__in=",".join(selectors.IMPORT_RUNNING)),
            links=_nonzero(
                AttentionLink(
                    label=str(_("checked: confirm to import")),
                    count=imports.ready,
                    url=_list_url("campaigns_importjob", status__exact="previewed"),
                )
            ),
        ),
        AttentionItem(
            key="imports-failed",
            label=_("Imports failed (last 7 days)"),
            count=imports.failed,
            url=_list_url(
                "campaigns_importjob", status__exact="failed", created_at__date__gte=since_day
            ),
            urgent=True,
        ),
    ]
    if ops:
        items.append(
            AttentionItem(
                key="prizes-waiting",
                label=_("Prizes not handed out yet"),
                count=selectors.prizes_waiting_count(),
                url=_list_url("voting_prizeaward", state__in=",".join(selectors.PRIZES_WAITING)),
                urgent=True,
            )
        )
    return items


def _nonzero(*links: AttentionLink) -> list[AttentionLink]:
    return [link for link in links if link.count]


def _app_rank(app: dict) -> tuple[int, str]:
    label = app["app_label"]
    if label in BUSINESS_APPS:
        return (BUSINESS_APPS.index(label), "")
    return (len(BUSINESS_APPS), str(app["name"]))


def _model_rank(app_label: str, model: dict) -> tuple[int, str]:
    order = MODEL_ORDER.get(app_label, ())
    name = model["object_name"].lower()
    return (order.index(name) if name in order else len(order), str(model["name"]))


class OpsAdminSite(admin.AdminSite):
    index_template = "admin/home/index.html"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if not request.user.is_superuser:
            apps = [app for app in apps if app["app_label"] in BUSINESS_APPS]
        for app in apps:
            app["system"] = app["app_label"] not in BUSINESS_APPS
            app["models"].sort(key=lambda model, label=app["app_label"]: _model_rank(label, model))
        apps.sort(key=_app_rank)
        return apps

    def index(self, request, extra_context=None):
        apps = self.get_app_list(request)
        context = {
            "attention": attention_items(request.user),
            "business_apps": [app for app in apps if not app["system"]],
            "system_apps": [app for app in apps if app["system"]],
            "today": timezone.localdate(),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
