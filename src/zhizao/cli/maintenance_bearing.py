"""``zhizao maintenance bearing …``: vibration fault diagnosis of rolling bearings."""

from __future__ import annotations

import typer

bearing_app = typer.Typer(help="Bearing fault diagnosis from vibration (CWRU-style data).", no_args_is_help=True)
