"""``zhizao maintenance rul …``: remaining useful life from run-to-failure histories."""

from __future__ import annotations

import typer

rul_app = typer.Typer(help="Remaining useful life (C-MAPSS-style data).", no_args_is_help=True)
