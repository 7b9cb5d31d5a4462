"""``zhizao bench modbus``'s core: both read plans measured side by side against the simulator's server."""

from __future__ import annotations

import pytest

from zhizao.bench.infra import BenchError
from zhizao.bench.modbus import ModbusBenchOptions, run_modbus
from zhizao.connectors.modbus.registers import DataType


@pytest.mark.asyncio
async def test_merged_reads_beat_one_read_per_point_and_decode_right() -> None:
    options = ModbusBenchOptions(
        points=120, data_types=(DataType.INT16, DataType.FLOAT32, DataType.BOOL), duration_s=1.2
    )
    result = await run_modbus(options)
    merged, single = result.merged, result.per_point
    assert result.point_count == 120
    assert (merged.reads_per_poll, single.reads_per_poll) == (2, 120)  # 40 + 80 registers in one read, 40 coils
    assert merged.polls > 0 and single.polls > 0
    assert merged.requests == 2 * merged.polls and single.requests == 120 * single.polls
    assert merged.points == 120 * merged.polls and single.points == 120 * single.polls
    assert merged.bad_points == single.bad_points == merged.mismatches == single.mismatches == 0
    assert result.ratio > 2
    assert result.as_dict()["merged"]["points_per_s"] == round(merged.points_per_s, 1)  # type: ignore[index]


def test_options_are_checked() -> None:
    for options in (
        ModbusBenchOptions(points=0),
        ModbusBenchOptions(points=20_000, data_types=(DataType.FLOAT64,)),
        ModbusBenchOptions(data_types=()),
        ModbusBenchOptions(duration_s=0),
    ):
        with pytest.raises(BenchError):
            options.check()
