"""The fraud flags list and a flag's page read as sentences naming the entry, with the
scan box; the list's queries do not grow with its rows."""

import pytest
from django.urls import reverse

from tests.voting.services.test_fraud import build_honest, make_world, plant_device_farm, scan
from voting.models import FraudFlag

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:voting_fraudflag_changelist"


@pytest.fixture
def farm():
    world = make_world()
    build_honest(world, 10)
    plant_device_farm(world)  # six accounts, votes spread over three entries
    scan(world)
    return world, FraudFlag.objects.get(kind="device_cluster")


@pytest.mark.parametrize(
    ("language", "sentence", "raw"),
    [
        (
            "zh-hans",
            "6 个账号在 5 分钟内用同一设备为 {entry} 等 2 个其他作品 投票",
            "votes per entry",
        ),
        (
            "en",
            "6 accounts voted for {entry} and 2 other entries from one device within 5 minutes",
            "votes_per_entry",
        ),
    ],
)
def test_the_list_and_the_page_read_as_sentences(ops_client, farm, language, sentence, raw):
    world, flag = farm
    top = world.entries[0].name  # two votes each; the lowest id first
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    listing = ops_client.get(reverse(CHANGELIST), **headers).content.decode()
    assert sentence.format(entry=top) in listing
    assert "device:farm-phone" not in listing
    page = ops_client.get(
        reverse("admin:voting_fraudflag_change", args=[flag.pk]), **headers
    ).content.decode()
    assert sentence.format(entry=top) in page
    assert raw not in page and "sample_voter_ids" not in page
    assert "+86138****" in page  # sample voters masked in the evidence


def test_the_list_queries_do_not_grow_with_flags(ops_client, farm, django_assert_max_num_queries):
    world, _flag = farm
    ops_client.get(reverse(CHANGELIST))
    with django_assert_max_num_queries(40) as few:
        ops_client.get(reverse(CHANGELIST))
    for i in range(10):
        FraudFlag.objects.create(
            campaign=world.campaign,
            kind="device_cluster",
            key=f"device:extra-{i}",
            evidence={"voters": 4, "votes_per_entry": {str(world.entries[i % 6].pk): 4}},
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        ops_client.get(reverse(CHANGELIST))
