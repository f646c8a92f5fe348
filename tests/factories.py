"""factory_boy factories for the whole domain. Times default to "voting open now"."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import Campaign, Expense, Pilot, Prize, Round, School
from core.codes import new_code
from voting.models import Activity, Entry, Visit, Vote, Voter


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role="staff")`` or ``role="ambassador"`` puts the user in that group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"测试大学{n}")
    slug = factory.Sequence(lambda n: f"school-{n}")
    city = "上海"
    province = "上海"
    student_population = 20000


class PilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pilot

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Pilot {n}")
    status = Pilot.Status.RUNNING
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    budget = Decimal("10000.00")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    pilot = factory.SubFactory(PilotFactory)
    kind = Campaign.Kind.CONTEST
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.Sequence(lambda n: f"最美跑者 {n}")
    status = Campaign.Status.OPEN
    submission_starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    submission_ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=5))
    voting_starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    voting_ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @factory.post_generation
    def with_round(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Round.objects.get_or_create(campaign=self, number=1)


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    campaign = factory.SubFactory(CampaignFactory, with_round=False)
    number = factory.Sequence(lambda n: n + 1)


class PrizeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prize

    campaign = factory.SubFactory(CampaignFactory)
    name = "运动手环"
    rank_from = 1
    rank_to = 3
    unit_cost = Decimal("199.00")


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expense

    pilot = factory.SubFactory(PilotFactory)
    category = Expense.Category.PRINTING
    amount = Decimal("300.00")
    spent_on = factory.LazyFunction(timezone.localdate)


class AmbassadorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambassador

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"实习生{n}")
    student_id = factory.Sequence(lambda n: f"0{2024000 + n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    hourly_rate = Decimal("25.00")
    referral_code = factory.LazyFunction(new_code)


class WorkLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkLog

    ambassador = factory.SubFactory(AmbassadorFactory)
    date = factory.LazyFunction(timezone.localdate)
    hours = Decimal("3.5")
    task = factory.Sequence(lambda n: f"摆摊宣传 {n}")


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry

    campaign = factory.SubFactory(CampaignFactory)
    round = factory.LazyAttribute(lambda o: o.campaign.rounds.order_by("number").first())
    name = factory.Sequence(lambda n: f"选手{n}")
    student_id = factory.Sequence(lambda n: f"{2023000 + n:08d}")
    status = Entry.Status.APPROVED
    share_code = factory.LazyFunction(new_code)


class VoterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Voter

    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    verified_at = factory.LazyFunction(timezone.now)


class VoteFactory(factory.django.DjangoModelFactory):
    """A raw vote row, bypassing the policy: for fixtures of counts and ranks only.
    Tests of the policy go through ``voting.services.votes.vote_cast``."""

    class Meta:
        model = Vote

    voter = factory.SubFactory(VoterFactory)
    entry = factory.SubFactory(EntryFactory)
    campaign = factory.LazyAttribute(lambda o: o.entry.campaign)
    cast_at = factory.LazyFunction(timezone.now)
    day = factory.LazyAttribute(lambda o: timezone.localdate(o.cast_at))


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    visitor_id = factory.Sequence(lambda n: f"visitor-{n}")
    campaign = factory.SubFactory(CampaignFactory)
    at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    day = factory.LazyFunction(timezone.localdate)
    kind = "workout"
