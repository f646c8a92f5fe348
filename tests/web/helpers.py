"""Helpers of the student site's tests."""

from django.test import Client

from voting.services.sign_in import voter_token_authenticate, voter_token_issue
from web.session import SESSION_TOKEN_ID, SESSION_VOTER_ID


def sign_in_as(client: Client, signed_in) -> int:
    """Sign ``client`` in as the voter ``signed_in`` the way the site does after
    ``otp_verify``; returns the voter token's id."""
    identity = voter_token_authenticate(token=voter_token_issue(voter=signed_in))
    session = client.session
    session[SESSION_TOKEN_ID] = identity.token_id
    session[SESSION_VOTER_ID] = signed_in.pk
    session.save()
    return identity.token_id


def entry_url(shown) -> str:
    return f"/c/{shown.campaign.slug}/e/{shown.pk}/"


def vote_url(shown) -> str:
    return entry_url(shown) + "vote/"
