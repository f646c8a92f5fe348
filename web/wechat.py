"""Optional WeChat JS-SDK share config, off unless ``WECHAT_APP_ID`` is set.

Pages share well in WeChat without it (og: tags and the first large image); with an
official account's app id and secret the page can also set the share card's title,
description and image through ``wx.updateAppMessageShareData``. That needs a signature
of the page URL made on the server from a ``jsapi_ticket``:
https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (appendix 1).

Fetching the ticket needs WeChat's servers, so it sits behind ``TicketClient``; the
signature itself is a pure function, tested against the documentation's example.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache

_API = "https://api.weixin.qq.com/cgi-bin"
# Both the access token and the ticket live 7200 s; refresh a little early.
_TTL_SECONDS = 7000


def jssdk_signature(*, ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """SHA-1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (keys in ASCII order,
    values raw, the URL without its #fragment)."""
    url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


class TicketClient:
    """Fetches and caches the ``jsapi_ticket`` (shared by every process through the
    cache: WeChat caps how often tokens may be fetched)."""

    def __init__(self, *, app_id: str, app_secret: str, timeout: float = 3.0) -> None:
        self.app_id, self.app_secret, self.timeout = app_id, app_secret, timeout

    def _get(self, path: str, **params) -> dict:
        url = f"{_API}/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
            body = json.load(response)
        if body.get("errcode"):
            raise RuntimeError(f"WeChat {path}: {body.get('errcode')} {body.get('errmsg')}")
        return body

    def ticket(self) -> str:
        key = f"wechat:jsapi_ticket:{self.app_id}"
        cached = cache.get(key)
        if cached:
            return cached
        token = self._get(
            "token", grant_type="client_credential", appid=self.app_id, secret=self.app_secret
        )["access_token"]
        ticket = self._get("ticket/getticket", access_token=token, type="jsapi")["ticket"]
        cache.set(key, ticket, _TTL_SECONDS)
        return ticket


def jssdk_config(*, url: str, client: TicketClient | None = None) -> dict | None:
    """``wx.config`` parameters for the page at ``url``, or None (not configured, or
    WeChat unreachable: the page shares with its og: tags alone)."""
    if not settings.WECHAT_APP_ID:
        return None
    client = client or TicketClient(
        app_id=settings.WECHAT_APP_ID, app_secret=settings.WECHAT_APP_SECRET
    )
    try:
        ticket = client.ticket()
    except (OSError, RuntimeError, KeyError, ValueError):
        return None
    noncestr, timestamp = secrets.token_hex(8), int(time.time())
    return {
        "appId": settings.WECHAT_APP_ID,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": jssdk_signature(
            ticket=ticket, noncestr=noncestr, timestamp=timestamp, url=url
        ),
    }
