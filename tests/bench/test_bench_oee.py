"""``zhizao bench oee``: the generated fleet is plausible and both computation paths agree on it."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
from typer.testing import CliRunner

from zhizao.bench.cli import bench_app
from zhizao.bench.oee import (
    FLEET_CALENDAR,
    MICRO_STOP_US,
    PRODUCTS,
    PRU_BY_CODE,
    PRU_US,
    OeeBenchOptions,
    generate,
    machine_inputs,
)
from zhizao.production.calendar import expand, local_midnight_us
from zhizao.production.timemodel import Bucketing, daily_totals_many, evaluate
from zhizao.production.totals import total


def test_the_fleet_ledger_is_contiguous_and_both_paths_agree_on_it() -> None:
    options = OeeBenchOptions(machines=3, days=4)
    zone = ZoneInfo(FLEET_CALENDAR.timezone)
    start = local_midnight_us(zone, options.first_day)
    end = local_midnight_us(zone, options.first_day + timedelta(days=options.days))
    fleet = generate(options, start, end)
    windows = expand(FLEET_CALENDAR, (), start, end)
    grid = daily_totals_many(
        fleet.intervals,
        fleet.counts,
        [windows],
        calendar_of=np.zeros(3, dtype=np.int64),
        pru_us=np.full(PRODUCTS, PRU_US, dtype=np.int64),
        micro_stop_us=np.full(3, MICRO_STOP_US, dtype=np.int64),
        bucketing=Bucketing.DAY,
    )
    i = fleet.intervals
    for machine in range(3):
        rows = np.flatnonzero(i.equipment == machine)
        assert i.start_us[rows][0] == start and i.end_us[rows][-1] == end
        assert (i.start_us[rows][1:] == i.end_us[rows][:-1]).all()
        spans, records = machine_inputs(fleet, machine)
        single = evaluate(spans, windows, records, PRU_BY_CODE, micro_stop_us=MICRO_STOP_US)
        assert list(single.values()) == list(grid.per_bucket(machine).values())
    fleet_total = total(list(grid.rolled_up().values()))
    assert 0.3 < fleet_total.pru_gq_us / fleet_total.pbt_us < 1.0


def test_the_command_prints_a_table_and_a_json_line() -> None:
    result = CliRunner().invoke(bench_app, ["oee", "--machines", "4", "--days", "3", "--sample", "2", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["bench"] == "oee"
    assert line["machines"] == 4 and line["days"] == 3 and line["intervals"] > 0
