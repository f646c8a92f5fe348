"""A contestant enters a campaign from the phone's camera or album: the API's
``entry_submit`` (window, photo checks, moderation), its refusals word for word."""

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from voting import errors
from voting.models import Voter
from voting.selectors.public import campaign_get_public
from voting.services.entries import entry_submit
from web.forms import EntrySubmitForm
from web.selectors import submissions_open
from web.session import session_voter_id
from web.throttles import submit_allowed
from web.views.common import friendly_not_found, page, throttled_sentence, visit
from web.views.votes import sign_in_url

SESSION_SUBMITTED = "web_submitted_entry"


@require_http_methods(["GET", "POST"])
@friendly_not_found
def submit(request, slug: str):
    campaign = campaign_get_public(slug=slug, prefetch=("rounds",))
    here = reverse("web:submit", args=[campaign.slug])
    voter_id = session_voter_id(request)
    if voter_id is None:
        return redirect(sign_in_url(next_url=here))
    context = {"campaign": campaign, "closed_message": None, "submitted": None}
    if request.method == "GET":
        context["submitted"] = request.session.pop(SESSION_SUBMITTED, None)
        form = EntrySubmitForm()
    else:
        form = EntrySubmitForm(request.POST, request.FILES)
        if form.is_valid():
            if not submit_allowed(request, voter_id=voter_id):
                form.add_error(None, throttled_sentence())
            else:
                try:
                    entry = entry_submit(
                        voter=Voter.objects.get(pk=voter_id), campaign=campaign, **form.cleaned_data
                    )
                except errors.SubmissionsClosed as error:
                    form.add_error(None, error.message)
                except DomainError as error:  # the photo's checks: InvalidImage
                    form.add_error("photo", error.message)
                else:
                    request.session[SESSION_SUBMITTED] = {"name": entry.name, "id": entry.pk}
                    return redirect(here)
    if not submissions_open(campaign=campaign):
        context["closed_message"] = errors.SubmissionsClosed().message
    context["form"] = form
    response = page(request, "submit.html", context)
    return visit(request, response, campaign_id=campaign.pk)
