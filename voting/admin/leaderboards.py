"""Leaderboards in admin: "Refresh leaderboards now" on the campaign list.

``CampaignAdmin`` belongs to the campaigns app, which knows nothing of voting; this app,
above it, adds the action to it.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.admin import CampaignAdmin
from voting.services.leaderboards import leaderboards_refresh_request


@admin.action(description=_("Refresh leaderboards now"), permissions=["view"])
def refresh_leaderboards(modeladmin, request, queryset):
    ids = list(queryset.values_list("pk", flat=True))
    leaderboards_refresh_request(campaign_ids=ids)
    modeladmin.message_user(
        request,
        ngettext(
            "Leaderboard refresh queued for %(n)d campaign.",
            "Leaderboard refresh queued for %(n)d campaigns.",
            len(ids),
        )
        % {"n": len(ids)},
        messages.SUCCESS,
    )


CampaignAdmin.actions = [*CampaignAdmin.actions, refresh_leaderboards]
