"""``{% pilot_panel original %}`` and ``{% campaign_panel original %}``: the panels the
pilot and campaign change pages show above their forms (home/panels.py)."""

from django import template

from home import panels

register = template.Library()


@register.inclusion_tag("admin/home/_pilot_panel.html", takes_context=True)
def pilot_panel(context, pilot):
    return {"panel": panels.pilot_panel(pilot=pilot, user=context["request"].user), "pilot": pilot}


@register.inclusion_tag("admin/home/_campaign_panel.html", takes_context=True)
def campaign_panel(context, campaign):
    return {
        "panel": panels.campaign_panel(campaign=campaign, user=context["request"].user),
        "campaign": campaign,
    }
