"""``zhizao c2m plan``: schedule a maker's open C2M orders on its work centres now (as the services do every
minute for new orders, and the maker's "Plan now" button does), and print what the run did."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from sqlalchemy import select

from zhizao.accounts.models import Organisation
from zhizao.c2m.planning import DEFAULT_TIME_LIMIT_S, PlanOutcome, check_time_limit, plan
from zhizao.cli.common import DatabaseUrl, DataDir, error, guarded, open_database, say, settings_from
from zhizao.db.engine import Database
from zhizao.fields import MAX_ID


def plan_command(
    maker: Annotated[str, typer.Option("--maker", help="The maker: organisation id or exact name.")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds CP-SAT may take.")] = DEFAULT_TIME_LIMIT_S,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Plan the maker's open orders (tardiness first, then makespan) and record the run; exit code 2 for a maker
    that does not exist or a time limit out of range, 1 when another planner is busy with this maker."""
    guarded(lambda: check_time_limit(time_limit))
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        maker_id = _maker(database, maker)
        outcome = guarded(lambda: plan(database, maker_id, reason="command line", time_limit_s=time_limit))
    if outcome.busy:
        error("maker", "another planner is working on this maker; try again in a few seconds")
        raise typer.Exit(1)
    if as_json:
        say(json.dumps(asdict(outcome), ensure_ascii=False))
        return
    for line in _summary(outcome):
        say(line)


def _maker(database: Database, value: str) -> int:
    text = value.strip()
    with database.session() as session:
        if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
            found = session.scalar(select(Organisation.id).where(Organisation.id == int(text)))
        else:
            found = session.scalar(select(Organisation.id).where(Organisation.name == text))
    if found is None:
        error("maker", f"no organisation {value!r}")
        raise typer.Exit(2)
    return found


def _summary(outcome: PlanOutcome) -> list[str]:
    if outcome.run_id is None:
        return ["nothing to plan", *outcome.notes]
    lines = [
        f"run {outcome.run_id}: {outcome.solver_status} in {outcome.wall_s:.2f} s ({outcome.reason})",
        f"operations planned {outcome.planned}, running kept {outcome.kept}, interrupted {outcome.interrupted}; "
        f"orders newly scheduled {outcome.scheduled_orders}",
        f"tardiness {outcome.tardiness_min} min, last operation ends {outcome.makespan_min} min from now",
    ]
    lines += [f"not planned: {number}: {why}" for number, why in outcome.unplanned]
    lines += list(outcome.notes)
    return lines
