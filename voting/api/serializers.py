"""Input validation and output shapes of the public API (docs/contract.md "REST API v1").

Input serializers only validate and normalise; the services decide. DRF's CharField
already rejects NUL bytes (PostgreSQL text columns cannot store them).
"""

import re
import unicodedata

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign, Prize, Round, School
from core.phones import InvalidPhone, phone_normalize
from core.text import validate_single_line, validate_text_block
from voting.models import Entry, Vote, Voter
from voting.services.entry_files import entry_image_url, entry_public_url

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")

# --------------------------------------------------------------------------------------
# Errors (for the schema: voting/api/schema.py builds each operation's envelope)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    }
)
class FieldErrorsField(serializers.DictField):
    """Field name → messages; for nested input (a list of events, say) the value nests
    the same way, e.g. ``{"events": {"0": ["This field may not be null."]}}``."""


# --------------------------------------------------------------------------------------
# Sign-in


# What phone_normalize accepts, for clients to check before sending (core/phones.py): an
# optional "+86", "0086" or "86", then a mainland mobile number, 1[3-9] and 9 digits;
# ASCII or full-width digits and "+", separators anywhere (whitespace, dashes, dots,
# parentheses). The server decides the rest (e.g. "+" must be "+86").
_SEP = r"[\s().\u2010-\u2015-]*"


def _digit(digits: str) -> str:
    """``"3-9"`` → ``[3-9\\uff13-\\uff19]`` (ASCII and full-width), then separators."""
    full_width = re.sub(r"\d", lambda m: f"\\u{0xFF10 + int(m[0]):04x}", digits)
    return f"[{digits}{full_width}]{_SEP}"


PHONE_PATTERN = (
    rf"^{_SEP}(?:[+\uff0b]{_SEP})?(?:(?:{_digit('0')}{_digit('0')})?{_digit('8')}{_digit('6')})?"
    rf"{_digit('1')}{_digit('3-9')}(?:{_digit('0-9')}){{9}}$"
)


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 40,
        "pattern": PHONE_PATTERN,
        "example": "13800138000",
    }
)
class PhoneField(serializers.CharField):
    """A Chinese mobile number in any usual spelling, validated to E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", "Chinese mobile number, e.g. 13800138000 or +86 138…")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return phone_normalize(value)
        except InvalidPhone as exc:
            raise serializers.ValidationError(str(exc)) from exc


class SchoolSlugField(serializers.SlugRelatedField):
    """A school by slug; text that cannot be a slug is rejected before any query (a NUL
    byte would make PostgreSQL raise instead of finding nothing)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:80])
        return super().to_internal_value(data)


class CaptchaAnswerSerializer(serializers.Serializer):
    id = serializers.RegexField(
        r"^[0-9a-f]{40}$", help_text="`challenge.id` of the `captcha_required` answer."
    )
    answer = serializers.CharField(
        max_length=32, help_text="The text in the challenge's picture (any case)."
    )


class OtpRequestSerializer(serializers.Serializer):
    phone = PhoneField()
    captcha = CaptchaAnswerSerializer(
        required=False,
        help_text="Only after a `captcha_required` answer: the challenge and its solution.",
    )


class CaptchaChallengeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Send it back as `captcha.id`.")
    image_url = serializers.CharField(help_text="The picture to read, served by this site.")


class OtpSentSerializer(serializers.Serializer):
    sent = serializers.BooleanField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")


class VerifySerializer(serializers.Serializer):
    phone = PhoneField()
    code = serializers.CharField(max_length=12, help_text="The 6-digit code received by SMS.")
    school = SchoolSlugField(
        slug_field="slug",
        queryset=School.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of the voter's school; only set for a voter who has none.",
    )
    ref = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="An entry share code or an ambassador referral code (new voters only).",
    )

    def validate_code(self, value: str) -> str:
        # Full-width digits from Chinese keyboards count as digits.
        return unicodedata.normalize("NFKC", value).strip()


class VerifiedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Bearer token: `Authorization: Bearer <token>`.")
    voter_id = serializers.IntegerField()
    created = serializers.BooleanField(help_text="True when this sign-in created the voter.")


# --------------------------------------------------------------------------------------
# Campaigns


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["slug", "name", "city", "province"]


class CampaignListSerializer(serializers.ModelSerializer):
    school = SchoolSerializer(source="pilot.school")

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "title",
            "kind",
            "status",
            "school",
            "submission_starts_at",
            "submission_ends_at",
            "voting_starts_at",
            "voting_ends_at",
        ]


class PolicySerializer(serializers.Serializer):
    votes_per_day = serializers.IntegerField()
    votes_per_entry_per_day = serializers.IntegerField()
    school_voters_only = serializers.BooleanField()


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ["number", "topic", "voting_starts_at", "voting_ends_at"]


class PrizeSerializer(serializers.ModelSerializer):
    round = serializers.SerializerMethodField()

    class Meta:
        model = Prize
        fields = ["name", "rank_from", "rank_to", "quantity", "round"]

    # Null for a prize of every round.
    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_round(self, prize: Prize) -> int | None:
        # Rounds are prefetched on the campaign; avoid one query per prize.
        rounds = {r.pk: r.number for r in prize.campaign.rounds.all()}
        return rounds.get(prize.round_id)


class CampaignDetailSerializer(CampaignListSerializer):
    policy = serializers.SerializerMethodField()
    rounds = RoundSerializer(many=True)
    prizes = PrizeSerializer(many=True)

    class Meta(CampaignListSerializer.Meta):
        fields = [*CampaignListSerializer.Meta.fields, "rules", "policy", "rounds", "prizes"]

    @extend_schema_field(PolicySerializer)
    def get_policy(self, campaign: Campaign) -> dict:
        return {
            "votes_per_day": campaign.votes_per_day,
            "votes_per_entry_per_day": campaign.votes_per_entry_per_day,
            "school_voters_only": campaign.school_voters_only,
        }


class RoundQuerySerializer(serializers.Serializer):
    round = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, help_text="Round number."
    )


# --------------------------------------------------------------------------------------
# Entries


# Photo URLs are null for an entry without a photo (e.g. a contestant imported from a
# roster before their photo arrives) and for an entry not approved: its files are private
# (docs/files.md), so a submission answers with null URLs until it is approved.
NULLABLE_URL = serializers.URLField(allow_null=True)


def _absolute(request, entry: Entry, field: str) -> str | None:
    url = entry_public_url(entry, field)
    if url is None:
        return None
    return request.build_absolute_uri(url) if request is not None else url


def _derivative_url(request, entry: Entry, field: str) -> str | None:
    url = entry_image_url(entry, field)
    return request.build_absolute_uri(url) if request is not None and url else url


class EntrySerializer(serializers.ModelSerializer):
    """An approved entry as students see it. ``votes`` comes from the latest leaderboard
    snapshot (context ``vote_counts``), not a live count."""

    round = serializers.IntegerField(source="round.number")
    topic = serializers.CharField(source="round.topic")
    photo_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = [
            "id",
            "round",
            "topic",
            "name",
            "caption",
            "photo_url",
            "thumbnail_url",
            "preview_url",
            "poster_url",
            "share_code",
            "share_url",
            "votes",
        ]

    @extend_schema_field(NULLABLE_URL)
    def get_photo_url(self, entry: Entry) -> str | None:
        return _absolute(self.context.get("request"), entry, "photo")

    @extend_schema_field(NULLABLE_URL)
    def get_thumbnail_url(self, entry: Entry) -> str | None:
        """List size (setting PHOTO_THUMBNAIL_SIZE); the photo until it is drawn."""
        return _derivative_url(self.context.get("request"), entry, "thumbnail")

    @extend_schema_field(NULLABLE_URL)
    def get_preview_url(self, entry: Entry) -> str | None:
        """Detail size (setting PHOTO_PREVIEW_SIZE); the photo until it is drawn."""
        return _derivative_url(self.context.get("request"), entry, "preview")

    @extend_schema_field(OpenApiTypes.URI)
    def get_poster_url(self, entry: Entry) -> str:
        """The share poster (JPEG), drawn on first request if need be."""
        slug = self.context.get("campaign_slug") or entry.campaign.slug
        path = reverse("api-v1:entry-poster", kwargs={"slug": slug, "entry_id": entry.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_share_url(self, entry: Entry) -> str:
        path = f"/s/{entry.share_code}"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_votes(self, entry: Entry) -> int:
        return self.context.get("vote_counts", {}).get(entry.pk, 0)


class EntrySubmitSerializer(serializers.Serializer):
    # One line of printable text: the name is printed on the share poster (core/text.py).
    name = serializers.CharField(max_length=60, validators=[validate_single_line])
    caption = serializers.CharField(
        max_length=280,
        required=False,
        allow_blank=True,
        validators=[validate_text_block],
    )
    # Every check of the file, emptiness included, is the photo service's: `invalid_image`.
    photo = serializers.FileField(help_text="JPEG, PNG or WebP.", allow_empty_file=True)


class EntrySubmittedSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="round.number")
    photo_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = ["id", "round", "name", "caption", "status", "share_code", "photo_url"]
        fields += ["thumbnail_url"]

    @extend_schema_field(NULLABLE_URL)
    def get_photo_url(self, entry: Entry) -> str | None:
        return _absolute(self.context.get("request"), entry, "photo")

    @extend_schema_field(NULLABLE_URL)
    def get_thumbnail_url(self, entry: Entry) -> str | None:
        return _derivative_url(self.context.get("request"), entry, "thumbnail")


# --------------------------------------------------------------------------------------
# Leaderboard and votes


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    entry_id = serializers.IntegerField()
    name = serializers.CharField()
    votes = serializers.IntegerField()


class LeaderboardSerializer(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.slug")
    round = serializers.IntegerField(source="round.number")
    topic = serializers.CharField(source="round.topic")
    computed_at = serializers.DateTimeField()
    is_final = serializers.BooleanField()
    entries = StandingSerializer(many=True)


class VoteCastSerializer(serializers.Serializer):
    vote_id = serializers.IntegerField()
    remaining_today = serializers.IntegerField(
        help_text="Votes this voter has left in this campaign today."
    )


# --------------------------------------------------------------------------------------
# Me


class MeSerializer(serializers.ModelSerializer):
    voter_id = serializers.IntegerField(source="pk")
    phone = serializers.CharField(
        source="masked_phone", help_text="Masked: only staff see full numbers."
    )
    school = SchoolSerializer(allow_null=True)

    class Meta:
        model = Voter
        fields = ["voter_id", "phone", "school", "channel", "first_seen_at", "verified_at"]


class MyVoteSerializer(serializers.ModelSerializer):
    vote_id = serializers.IntegerField(source="pk")
    campaign = serializers.CharField(source="campaign.slug")
    entry_id = serializers.IntegerField()
    entry_name = serializers.CharField(source="entry.name")

    class Meta:
        model = Vote
        fields = ["vote_id", "campaign", "entry_id", "entry_name", "day", "cast_at", "status"]
