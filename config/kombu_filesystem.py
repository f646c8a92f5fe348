"""kombu's filesystem transport, without torn messages.

The stock channel (kombu 5.7, ``kombu/transport/filesystem.py``) writes a message by
opening its final name in the queue folder, taking an ``flock`` and writing; the consumer
lists the folder, moves any file of its queue away and reads it, without looking at the
lock. A consumer that lists the folder while a message is being written moves an empty
or half-written file and fails with ``JSONDecodeError`` (the worker of ``make run`` died
this way after a few minutes of use): https://github.com/celery/kombu/issues/1551

Here a message is written completely under a temporary name in ``.incoming/`` inside the
queue folder, then renamed into the queue folder (``os.replace``: atomic within one
filesystem), so a name matching ``*.{queue}.msg`` always holds a whole message. The
final name is the stock one, ``{monotonic ms}_{uuid}.{queue}.msg``, so messages are still
taken in the order they were sent, and a stock consumer reads what this one writes.

A consumer claims a message by renaming it into ``.claimed/`` inside the same folder:
exactly one of several consumers' renames succeeds, the others see the file gone and
take the next one. (The stock channel moves it to ``tempfile.gettempdir()``, which on
another filesystem is a copy then a delete: two consumers can both copy it.) A file that
still is not JSON (one a stock producer was writing) is set aside in ``.rejected/`` with
an error in the log instead of killing the worker.

``config/settings/base.py`` selects this transport for ``CELERY_BROKER_URL=filesystem://``
through ``CELERY_BROKER_TRANSPORT``.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

# Sub-folders of the queue folder. Their names never match the stock pattern: the part
# after the first "." ("incoming", ...) never ends in ".msg".
INCOMING = ".incoming"
CLAIMED = ".claimed"
REJECTED = ".rejected"


def _write_new_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (a new, unique name) and flush it to the file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


class Channel(filesystem.Channel):
    """The stock channel with atomic puts and race-tolerant gets."""

    def _subfolder(self, folder: str, name: str) -> str:
        path = os.path.join(folder, name)
        os.makedirs(path, exist_ok=True)
        return path

    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue``: write it aside, then rename it in."""
        # The stock name, so the sort order (send time) and the queue match still hold.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        try:
            temporary = os.path.join(self._subfolder(self.data_folder_out, INCOMING), name)
            _write_new_file(temporary, str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        """Take the oldest message of ``queue``; skip those another consumer took."""
        queue_find = f"{queue}.msg"
        claimed_folder = self._subfolder(self.data_folder_in, CLAIMED)
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != queue_find:
                continue
            claimed = os.path.join(claimed_folder, filename)
            try:
                os.rename(os.path.join(self.data_folder_in, filename), claimed)
            except FileNotFoundError:
                continue  # another consumer took it between our listing and now
            except OSError as exc:
                raise ChannelError(f"Cannot take {filename!r} from the queue") from exc
            try:
                with open(claimed, "rb") as f:
                    payload = f.read()
                message = loads(bytes_to_str(payload))
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            except ValueError:  # json.JSONDecodeError, UnicodeDecodeError
                rejected = os.path.join(self._subfolder(self.data_folder_in, REJECTED), filename)
                os.replace(claimed, rejected)
                logger.error(
                    "filesystem broker: %s is not whole JSON (%d bytes), set aside as %s",
                    filename,
                    len(payload),
                    rejected,
                )
                continue
            if self.store_processed:
                shutil.move(claimed, os.path.join(self.processed_folder, filename))
            else:
                os.remove(claimed)
            return message
        raise Empty()

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        """Create a missing exchange table whole (the stock channel opens it with "wb"
        before locking: a reader in between reads an empty table, and two creators
        overwrite each other); an existing one is updated by the stock code, under
        its lock."""
        file = self._exchange_file(exchange)
        if not file.exists():
            self.control_folder.mkdir(exist_ok=True)
            table = [filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")]
            temporary = os.path.join(self.control_folder, f".{uuid.uuid4()}.tmp")
            try:
                _write_new_file(temporary, str_to_bytes(dumps(table)))
                try:
                    os.link(temporary, file)  # fails if another process created it first
                    return
                except FileExistsError:
                    pass
                finally:
                    os.remove(temporary)
            except OSError as exc:
                raise ChannelError(f"Cannot open {file}") from exc
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
