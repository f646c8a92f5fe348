"""The optional WeChat JS-SDK config: off by default; its signature is the documented
one (JS-SDK docs, appendix 1: the example ticket, nonce, timestamp and URL)."""

import pytest

from web.wechat import jssdk_config, jssdk_signature


def test_signature_matches_the_documented_example():
    signature = jssdk_signature(
        ticket="sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        noncestr="Wm3WZYTPz0wzccnW",
        timestamp=1414587457,
        url="http://mp.weixin.qq.com?params=value",
    )
    assert signature == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_the_fragment_is_not_signed():
    args = {"ticket": "t", "noncestr": "n", "timestamp": 1}
    assert jssdk_signature(url="https://a.cn/x?y=1#top", **args) == jssdk_signature(
        url="https://a.cn/x?y=1", **args
    )


def test_off_unless_configured(settings):
    settings.WECHAT_APP_ID = ""
    assert jssdk_config(url="https://a.cn/") is None


class _Client:
    def __init__(self, ticket=None, error=None):
        self._ticket, self._error = ticket, error

    def ticket(self):
        if self._error:
            raise self._error
        return self._ticket


def test_configured_it_signs_the_page_url(settings):
    settings.WECHAT_APP_ID = "wx123"
    config = jssdk_config(url="https://a.cn/c/x/", client=_Client(ticket="T"))
    assert config["appId"] == "wx123"
    assert config["signature"] == jssdk_signature(
        ticket="T",
        noncestr=config["nonceStr"],
        timestamp=config["timestamp"],
        url="https://a.cn/c/x/",
    )


def test_unreachable_wechat_leaves_the_page_to_its_og_tags(settings):
    settings.WECHAT_APP_ID = "wx123"
    assert jssdk_config(url="https://a.cn/", client=_Client(error=OSError("offline"))) is None


@pytest.mark.django_db
def test_pages_load_no_sdk_by_default(client, entry):
    assert "jweixin" not in client.get(f"/c/{entry.campaign.slug}/e/{entry.pk}/").content.decode()
