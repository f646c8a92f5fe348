"""Referral credit stays within the school.

Before, a referral code of school B's intern used on school A's campaign credited B's
intern and showed their name in A's report, which A's interns can read.
"""

import pytest

from reports.runner import CampaignReportRunner
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    VoteFactory,
    VoterFactory,
)

pytestmark = pytest.mark.django_db


def test_another_schools_intern_is_not_credited_nor_named(school_a, school_b):
    campaign = CampaignFactory(pilot__school=school_a)
    own = AmbassadorFactory(school=school_a, name="本校实习生")
    foreign = AmbassadorFactory(school=school_b, name="外校实习生")
    entry = EntryFactory(campaign=campaign)
    for ambassador, n in [(own, 2), (foreign, 3)]:
        for _ in range(n):
            voter = VoterFactory(
                attributed_campaign=campaign, channel="ambassador", attributed_ambassador=ambassador
            )
            VoteFactory(voter=voter, entry=entry)
    report = CampaignReportRunner(campaign).run().as_json()
    assert report["new_users_by_channel"]["ambassador"] == 5  # how they came is a fact
    credited, uncredited = report["by_ambassador"]
    assert (credited["ambassador_id"], credited["name"], credited["new_users"]) == (
        own.pk,
        "本校实习生",
        2,
    )
    assert uncredited == {**uncredited, "ambassador_id": None, "name": "", "uncredited": True}
    assert uncredited["new_users"] == 3
    assert "外校实习生" not in str(report)
