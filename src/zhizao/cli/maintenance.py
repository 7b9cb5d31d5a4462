"""``zhizao maintenance``: evaluation of the fault-diagnosis and remaining-useful-life models on public benchmarks."""

from __future__ import annotations

import typer

from zhizao.cli.maintenance_bearing import bearing_app
from zhizao.cli.maintenance_rul import rul_app

maintenance_app = typer.Typer(help="Equipment health, fault diagnosis and remaining useful life.", no_args_is_help=True)
maintenance_app.add_typer(bearing_app, name="bearing")
maintenance_app.add_typer(rul_app, name="rul")
