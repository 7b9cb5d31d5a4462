"""``zhizao c2m``: mass customisation — job-shop scheduling and mixed-model sequencing from instance files."""

from __future__ import annotations

import typer

from zhizao.cli import c2m_planning, c2m_scheduling, c2m_sequencing

c2m_app = typer.Typer(help="C2M mass customisation: scheduling, sequencing, configurator.", no_args_is_help=True)
c2m_app.command("schedule")(c2m_scheduling.schedule)
c2m_app.command("sequence")(c2m_sequencing.sequence)
c2m_app.command("plan")(c2m_planning.plan_command)
