"""Sub-command groups imported when they run, not when ``zhizao`` starts.

Importing every group up front imported the whole platform (web, demo, connectors, models) before any command ran:
``zhizao --help`` cost 3 s of CPU on an idle machine and 45 s on a loaded one. Each group is named here with its
module and the one-line help ``zhizao --help`` shows, and is imported only when a command of it is resolved.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer vendors click: its groups take and return these types
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class LazyGroup:
    name: str
    module: str
    attribute: str  # the typer.Typer in that module
    help: str


GROUPS = (
    LazyGroup("simulate", "zhizao.simulator.cli", "simulate_app", "Virtual factory: publish simulated machine data."),
    LazyGroup("telemetry", "zhizao.cli.telemetry", "telemetry_app", "Telemetry data: partitions and retention."),
    LazyGroup("devices", "zhizao.cli.telemetry", "devices_app", "Devices: credentials for MQTT and HTTP ingest."),
    LazyGroup("bench", "zhizao.bench.cli", "bench_app", "Benchmarks: measured figures beside their ceilings."),
    LazyGroup("assessment", "zhizao.cli.assessment", "assessment_app", "Maturity assessment: scoring, gaps, models."),
    LazyGroup("production", "zhizao.cli.production", "production_app", "Production: OEE and ISO 22400-2 KPIs."),
    LazyGroup("connectors", "zhizao.cli.connectors", "connectors_app", "Connectors (OPC UA, Modbus TCP)."),
    LazyGroup("maintenance", "zhizao.cli.maintenance", "maintenance_app", "Equipment health, diagnosis, RUL."),
    LazyGroup("sharing", "zhizao.cli.sharing", "sharing_app", "Capacity sharing: metering and invoices."),
    LazyGroup("c2m", "zhizao.cli.c2m", "c2m_app", "C2M: scheduling, sequencing, planning."),
    LazyGroup("vision", "zhizao.cli.vision", "vision_app", "AI visual inspection: datasets, training, evaluation."),
)
_BY_NAME = {group.name: group for group in GROUPS}


class LazyTyperGroup(TyperGroup):
    """The top-level group: its own commands, plus the lazy groups, listed from their help and loaded on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in _BY_NAME if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in _BY_NAME:
            return super().get_command(ctx, cmd_name)
        # Listing (help, completion) needs the name and help only; resolve_command loads the real group.
        return TyperGroup(name=cmd_name, help=_BY_NAME[cmd_name].help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in _BY_NAME:
            self.load(args[0])
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> click.Command:
        """The group's real command, imported once and kept."""
        if name not in self.commands:
            group = _BY_NAME[name]
            sub_app: Any = getattr(importlib.import_module(group.module), group.attribute)
            command = typer.main.get_command(sub_app)
            command.name = name
            self.add_command(command, name)
        return self.commands[name]

    def load_all(self) -> None:
        for name in _BY_NAME:
            self.load(name)
