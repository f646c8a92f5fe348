"""Pluggable SMS backends for sign-in codes (docs/contract.md "Command line").

``SMS_BACKEND`` picks one:

- ``console`` (default): logs the message on the ``core.sms`` logger — the code is
  readable in the server log, which is the point in development; nothing else ever logs
  a code.
- ``file``: writes one JSON file ``{"to", "code", "text"}`` per code into
  ``SMS_FILE_PATH`` (the development and test backend: scripts read the code back).
- ``memory``: appends to ``core.sms.outbox`` (unit tests, like Django's locmem mail).
- ``aliyun`` / ``tencent``: Alibaba Cloud or Tencent Cloud SMS (``core/sms_gateways.py``).
- a dotted path to a class with ``send(*, to, code, text)`` (another gateway).

A backend raises :class:`SmsError` when a message did not go out; the Celery task that
sends codes (``voting/tasks/sign_in.py``) retries those marked ``retryable``.
"""

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    code: str
    text: str


class SmsError(Exception):
    """A message the gateway did not accept; ``retryable`` when trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsBackend(Protocol):
    def send(self, *, to: str, code: str, text: str) -> None: ...


class ConsoleBackend:
    def send(self, *, to: str, code: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


class FileBackend:
    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, *, to: str, code: str, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Sortable by time, unique under concurrency; written then renamed so a reader
        # never sees half a file.
        name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{to.lstrip('+')}-{secrets.token_hex(4)}"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_text(
            json.dumps({"to": to, "code": code, "text": text}, ensure_ascii=False),
            encoding="utf-8",
        )
        tmp.replace(self.directory / f"{name}.json")


outbox: list[SmsMessage] = []


class MemoryBackend:
    def send(self, *, to: str, code: str, text: str) -> None:
        outbox.append(SmsMessage(to=to, code=code, text=text))


_BUILTIN = {"console": ConsoleBackend, "file": FileBackend, "memory": MemoryBackend}
# The gateways import their SDKs only when chosen.
_GATEWAYS = {
    "aliyun": "core.sms_gateways.AliyunSmsBackend",
    "tencent": "core.sms_gateways.TencentSmsBackend",
}


def sms_backend() -> SmsBackend:
    """The configured backend; read on every call so tests can switch it with settings."""
    name = settings.SMS_BACKEND
    cls = _BUILTIN.get(name) or import_string(_GATEWAYS.get(name, name))
    return cls()


def sms_send(*, to: str, code: str, text: str) -> None:
    sms_backend().send(to=to, code=code, text=text)
