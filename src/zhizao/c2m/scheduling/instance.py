"""Job-shop instances in the OR-Library format.

A header line ``n_jobs n_machines``, then one line per job of ``machine duration`` pairs in processing order, machines
numbered from 0. Lines starting with ``#`` and blank lines are comments. The format allows a job to visit a machine
twice (a re-entrant shop) or to have fewer operations than there are machines, so both are accepted; what cannot be
read is rejected with the line and the problem, because a benchmark read wrong gives a confident, meaningless number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class Operation:
    machine: int
    duration: int


@dataclass(frozen=True, slots=True)
class JobShopInstance:
    """Jobs, each a sequence of operations that must run in order, one machine each."""

    name: str
    n_machines: int
    jobs: tuple[tuple[Operation, ...], ...]

    @property
    def n_jobs(self) -> int:
        return len(self.jobs)

    @property
    def n_operations(self) -> int:
        return sum(len(job) for job in self.jobs)


def load_instance(path: Path) -> JobShopInstance:
    """Read and parse one instance file; the instance is named after the file (``la01.txt`` → ``la01``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.for_field("instance", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.for_field("instance", f"cannot read {path}: {exc}") from exc
    return parse_instance(text, name=path.stem, source=str(path))


def parse_instance(text: str, *, name: str = "instance", source: str | None = None) -> JobShopInstance:
    """Parse the text of an instance. ``source`` (the file) is named in every error with the line number."""
    where = source or name
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), start=1)]
    content = [(number, tokens) for number, tokens in lines if tokens and not tokens[0].startswith("#")]
    if not content:
        raise InputError.for_field("instance", f"{where} is empty: expected a header line 'n_jobs n_machines'")
    header_line, header = content[0]
    if len(header) != 2:
        raise _problem(header_line, f"the header must be two integers 'n_jobs n_machines', got {len(header)}", where)
    n_jobs, n_machines = (_integer(token, header_line, where) for token in header)
    if n_jobs < 1 or n_machines < 1:
        raise _problem(header_line, f"n_jobs and n_machines must be at least 1, got {n_jobs} and {n_machines}", where)
    job_lines = content[1:]
    if len(job_lines) != n_jobs:
        last = job_lines[-1][0] if job_lines else header_line
        raise _problem(last, f"the header announces {n_jobs} jobs but there are {len(job_lines)} job lines", where)
    jobs = tuple(_job(tokens, number, n_machines, where) for number, tokens in job_lines)
    return JobShopInstance(name=name, n_machines=n_machines, jobs=jobs)


def format_instance(instance: JobShopInstance) -> str:
    """The instance in the OR-Library format, with its name as a comment; ``parse_instance`` reads it back."""
    lines = [f"# {instance.name}", f"{instance.n_jobs} {instance.n_machines}"]
    lines += [" ".join(f"{op.machine} {op.duration}" for op in job) for job in instance.jobs]
    return "\n".join(lines) + "\n"


def random_instance(n_jobs: int, n_machines: int, *, seed: int = 0, max_duration: int = 99) -> JobShopInstance:
    """A job shop drawn like Taillard's: each job visits every machine once in a random order, durations uniform
    in 1..max_duration (not his generator, so not his instances: for sizes the benchmark folder lacks)."""
    if n_jobs < 1 or n_machines < 1 or max_duration < 1:
        raise InputError.for_field("size", "jobs, machines and the longest duration must be at least 1")
    rng = random.Random(seed)  # noqa: S311 - test data, not cryptography
    jobs = tuple(
        tuple(Operation(m, rng.randint(1, max_duration)) for m in rng.sample(range(n_machines), n_machines))
        for _ in range(n_jobs)
    )
    return JobShopInstance(name=f"rnd{n_jobs}x{n_machines}s{seed}", n_machines=n_machines, jobs=jobs)


def _job(tokens: list[str], number: int, n_machines: int, where: str) -> tuple[Operation, ...]:
    if len(tokens) % 2:
        raise _problem(number, f"a job is 'machine duration' pairs, got an odd number of values ({len(tokens)})", where)
    values = [_integer(token, number, where) for token in tokens]
    operations = []
    for machine, duration in zip(values[0::2], values[1::2], strict=True):
        if not 0 <= machine < n_machines:
            raise _problem(number, f"machine {machine} is out of range 0–{n_machines - 1}", where)
        if duration < 0:
            raise _problem(number, f"duration {duration} is negative", where)
        operations.append(Operation(machine, duration))
    return tuple(operations)


def _integer(token: str, number: int, where: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise _problem(number, f"{token!r} is not an integer", where) from None


def _problem(number: int, message: str, where: str) -> InputError:
    return InputError.for_field(f"line {number}", f"{message} (in {where})")
