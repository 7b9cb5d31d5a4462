"""``zhizao c2m``: mass customisation — job-shop scheduling and mixed-model sequencing from instance files."""

from __future__ import annotations

import typer

c2m_app = typer.Typer(help="C2M mass customisation: scheduling, sequencing, configurator.", no_args_is_help=True)
