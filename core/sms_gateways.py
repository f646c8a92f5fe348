"""Real SMS gateways for sign-in codes, through the providers' official SDKs.

``SMS_BACKEND=aliyun``: Alibaba Cloud SMS (Dysmsapi 2017-05-25, ``SendSms``) with the
``alibabacloud_dysmsapi20170525`` SDK. ``SMS_BACKEND=tencent``: Tencent Cloud SMS
(2021-01-11, ``SendSms``) with ``tencentcloud-sdk-python-sms``. Credentials, sign name
and template come from settings (environment, empty by default); the template's
variables are ``SMS_TEMPLATE_PARAMS`` in order (``code``, ``minutes``), because each
provider only sends the text of a template approved in its console.

Both raise :class:`core.sms.SmsError`: ``retryable`` for network trouble and the
providers' throttling, not for a refused number or a wrong template, which retrying
cannot fix. The endpoints are settings too, so tests point them at a local server.
https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
https://cloud.tencent.com/document/api/382/55981
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings

from core.sms import SmsError

logger = logging.getLogger(__name__)

# Provider codes worth another try: their rate limits and their own transient faults.
_ALIYUN_RETRYABLE = {"isp.SYSTEM_ERROR", "Throttling.User", "isv.BUSINESS_LIMIT_CONTROL"}
_TENCENT_RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded")


def _template_values(*, code: str, minutes: int) -> list[tuple[str, str]]:
    values = {"code": code, "minutes": str(minutes)}
    names = [n.strip() for n in settings.SMS_TEMPLATE_PARAMS.split(",") if n.strip()]
    unknown = [n for n in names if n not in values]
    if unknown:
        raise SmsError(f"SMS_TEMPLATE_PARAMS names unknown values: {unknown}", retryable=False)
    return [(name, values[name]) for name in names]


def _minutes() -> int:
    return max(1, settings.OTP_TTL_SECONDS // 60)


def _require(*names: str) -> None:
    missing = [name for name in names if not getattr(settings, name, "")]
    if missing:
        raise SmsError(f"SMS gateway not configured: set {', '.join(missing)}", retryable=False)


class AliyunSmsBackend:
    """Alibaba Cloud SMS. Numbers go without the plus (``8613912345678``)."""

    def send(self, *, to: str, code: str, text: str) -> None:
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import utils_models
        from darabonba.runtime import RuntimeOptions

        _require(
            "ALIYUN_SMS_ACCESS_KEY_ID",
            "ALIYUN_SMS_ACCESS_KEY_SECRET",
            "ALIYUN_SMS_SIGN_NAME",
            "ALIYUN_SMS_TEMPLATE_CODE",
        )
        endpoint = urlsplit(settings.ALIYUN_SMS_ENDPOINT)
        client = Client(
            utils_models.Config(
                access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
                endpoint=endpoint.netloc,
                protocol=endpoint.scheme.upper() or "HTTPS",
                connect_timeout=settings.SMS_TIMEOUT_SECONDS * 1000,
                read_timeout=settings.SMS_TIMEOUT_SECONDS * 1000,
            )
        )
        request = models.SendSmsRequest(
            phone_numbers=to.lstrip("+"),
            sign_name=settings.ALIYUN_SMS_SIGN_NAME,
            template_code=settings.ALIYUN_SMS_TEMPLATE_CODE,
            template_param=json.dumps(
                dict(_template_values(code=code, minutes=_minutes())), ensure_ascii=False
            ),
        )
        try:
            # The SDK retries nothing itself here: the Celery task owns retries.
            response = client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except Exception as exc:  # the SDK raises its own and requests' errors
            raise SmsError(f"Aliyun SMS request failed: {exc}", retryable=True) from exc
        body = response.body
        if body is None or body.code != "OK":
            provider_code = getattr(body, "code", None) or "no response body"
            raise SmsError(
                f"Aliyun SMS refused: {provider_code} {getattr(body, 'message', '')}".strip(),
                retryable=provider_code in _ALIYUN_RETRYABLE,
            )
        logger.info("SMS sent by Aliyun to %s (BizId %s)", _masked(to), body.biz_id)


class TencentSmsBackend:
    """Tencent Cloud SMS. Numbers go in E.164 (``+8613912345678``)."""

    def send(self, *, to: str, code: str, text: str) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import models, sms_client

        _require(
            "TENCENT_SMS_SECRET_ID",
            "TENCENT_SMS_SECRET_KEY",
            "TENCENT_SMS_SDK_APP_ID",
            "TENCENT_SMS_SIGN_NAME",
            "TENCENT_SMS_TEMPLATE_ID",
        )
        endpoint = urlsplit(settings.TENCENT_SMS_ENDPOINT)
        http = HttpProfile(
            protocol=endpoint.scheme or "https",
            endpoint=endpoint.netloc,
            reqTimeout=settings.SMS_TIMEOUT_SECONDS,
            reqMethod="POST",
        )
        client = sms_client.SmsClient(
            credential.Credential(settings.TENCENT_SMS_SECRET_ID, settings.TENCENT_SMS_SECRET_KEY),
            settings.TENCENT_SMS_REGION,
            ClientProfile(httpProfile=http),
        )
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [to]
        request.SmsSdkAppId = settings.TENCENT_SMS_SDK_APP_ID
        request.SignName = settings.TENCENT_SMS_SIGN_NAME
        request.TemplateId = settings.TENCENT_SMS_TEMPLATE_ID
        request.TemplateParamSet = [v for _n, v in _template_values(code=code, minutes=_minutes())]
        try:
            response = client.SendSms(request)
        except TencentCloudSDKException as exc:
            error_code = exc.get_code() or ""
            raise SmsError(
                f"Tencent SMS refused: {error_code} {exc.get_message()}".strip(),
                retryable=error_code.startswith(_TENCENT_RETRYABLE_PREFIXES)
                or error_code in ("ClientNetworkError", "ServerNetworkError"),
            ) from exc
        except Exception as exc:
            raise SmsError(f"Tencent SMS request failed: {exc}", retryable=True) from exc
        statuses = response.SendStatusSet or []
        status = statuses[0] if statuses else None
        if status is None or status.Code != "Ok":
            status_code = getattr(status, "Code", None) or "no send status"
            raise SmsError(
                f"Tencent SMS refused: {status_code} {getattr(status, 'Message', '')}".strip(),
                retryable=status_code.startswith(_TENCENT_RETRYABLE_PREFIXES),
            )
        logger.info("SMS sent by Tencent to %s (SerialNo %s)", _masked(to), status.SerialNo)


def _masked(phone: str) -> str:
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
