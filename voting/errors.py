from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class CampaignClosed(DomainError):
    code = "campaign_closed"
    status = 409
    default_message = _("Voting is not open for this campaign.")


class EntryNotVotable(DomainError):
    code = "entry_not_votable"
    status = 409
    default_message = _("This entry cannot receive votes.")


class DailyLimitReached(DomainError):
    code = "daily_limit_reached"
    status = 409
    default_message = _("You have used all your votes in this campaign for today.")


class EntryLimitReached(DomainError):
    code = "entry_limit_reached"
    status = 409
    default_message = _("You have used all your votes for this entry today.")


class SchoolNotEligible(DomainError):
    code = "school_not_eligible"
    status = 403
    default_message = _("Only students of this campaign's school can vote.")


class VoterNotVerified(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = _("Sign in with a verified phone number to vote.")


class VoteContention(DomainError):
    code = "throttled"
    status = 429
    default_message = _("Too many votes at once; please try again.")


class InvalidCode(DomainError):
    code = "invalid_code"
    status = 400
    default_message = _("The code is wrong, expired or already used. Request a new one.")


class TooManyCodes(DomainError):
    code = "throttled"
    status = 429
    default_message = _("Too many codes requested for this phone; please try again later.")


class CaptchaRequired(DomainError):
    """SMS-pumping risk: solve the challenge and send the request again with
    ``captcha: {id, answer}`` (a new challenge each time)."""

    code = "captcha_required"
    status = 403
    default_message = _("Please solve the picture challenge and try again.")
    wrong_answer_message = _("That was not the text in the picture; please try this one.")

    def __init__(self, *, challenge: dict, message: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge


class SubmissionsClosed(DomainError):
    code = "submissions_closed"
    status = 409
    default_message = _("This campaign is not accepting entries now.")


class SubmissionLimitReached(DomainError):
    code = "submission_limit_reached"
    status = 409
    default_message = _("You have already submitted as many entries to this round as allowed.")


class PosterUnavailable(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Only approved entries have a share poster.")
