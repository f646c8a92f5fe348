"""An intern's share kit: their referral link and a poster with its QR code.

The link is the student site's home page with ``?ref=<referral_code>`` (web/urls.py):
the site keeps the ref through sign-in, so a new voter it brings is attributed to the
ambassador (voting/services/sign_in.py ``attribution_for_ref``). The poster is drawn by
the share-poster renderer of entries (core/posters.py), with the link's QR code large
in the photo's place.
"""

from django.conf import settings

from ambassadors.models import Ambassador
from campaigns.models import Campaign
from core.images import jpeg_encode
from core.posters import poster_render, qr_image

# The photo card of a poster is 920x780 inside its margins (core/posters.py).
_QR_SIDE = 740


def referral_url(ambassador: Ambassador) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/?ref={ambassador.referral_code}"


def referral_poster_jpeg(ambassador: Ambassador) -> bytes:
    """The ambassador's poster: the school's open campaign (or the school) as its
    title, their name, and the QR code of their referral link."""
    link = referral_url(ambassador)
    campaign = (
        Campaign.objects.filter(pilot__school_id=ambassador.school_id, status=Campaign.Status.OPEN)
        .order_by("-voting_starts_at")
        .only("title")
        .first()
    )
    poster = poster_render(
        photo=qr_image(link, side=_QR_SIDE).convert("RGB"),
        name=ambassador.name,
        campaign_title=campaign.title if campaign else ambassador.school.name,
        share_url=link,
        share_code=ambassador.referral_code,
    )
    name = f"referral-{ambassador.referral_code}.jpg"
    return jpeg_encode(poster, name=name, quality=90).read()
