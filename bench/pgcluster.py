"""A throw-away PostgreSQL 15 cluster for the benchmarks (as .ci/run starts one)."""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class Cluster:
    url: str
    postmaster_pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args: str) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@contextmanager
def throwaway_cluster(*, database: str, options: str = "") -> Iterator[Cluster]:
    """A cluster in a temporary directory with one database, stopped and removed on exit.

    ``options`` are extra ``-c name=value`` server settings for the benchmark at hand."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{database}-pg-"))
    tmp.chmod(0o755)  # the postgres user reaches its cluster through it
    data, log = tmp / "data", tmp / "postgresql.log"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    server = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={tmp}"
    started = False
    try:
        subprocess.run(
            as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres")
            + ["--auth=trust", "-E", "UTF8", "--no-locale"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log))
            + ["-w", "-t", "60", "start", "-o", f"{server} {options}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        subprocess.run(
            as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port))
            + ["-U", "postgres", database],
            check=True,
        )
        print(f"PostgreSQL 15: throw-away cluster on 127.0.0.1:{port} in {tmp}")
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        yield Cluster(f"postgres://postgres@127.0.0.1:{port}/{database}", postmaster)
    finally:
        if started:
            subprocess.run(
                as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate")
                + ["-w", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(tmp, ignore_errors=True)
