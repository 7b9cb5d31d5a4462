"""The job dispatch in the virtual factory: a CNC machine reports the job id it was sent at once and on every
heartbeat, runs for the job even outside its shifts, stops when it is cleared; commands are parsed from the platform's
payload; the same jobs at the same times give the same run."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhizao.simulator import Activity, FactoryRun, LineSpec, MachineSpec, default_factory
from zhizao.simulator.catalogue import JOB_SIGNAL, Reading
from zhizao.simulator.commands import DeviceCommand, apply_command, command_topic, parse_command
from zhizao.simulator.model import FactorySpec
from zhizao.telemetry.commands.mqtt import json_payload, json_topic
from zhizao.telemetry.kinds import EquipmentType

NIGHT = int(datetime(2024, 5, 6, 2, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)  # Monday 02:00: off shift
MIN = 60_000
CNC = "C1"


def cnc_run(seed: int = 3) -> FactoryRun:
    machines = (
        MachineSpec(code=CNC, name="CNC", equipment_type=EquipmentType.CNC_MACHINE_TOOL),
        MachineSpec(code="R1", name="Robot", equipment_type=EquipmentType.INDUSTRIAL_ROBOT),
    )
    return FactoryRun(FactorySpec(lines=(LineSpec(code="L", name="L", machines=machines),)), seed=seed, start_ms=NIGHT)


def jobs(readings: list[Reading], code: str = CNC) -> list[tuple[int, object]]:
    return [(r.ts_ms, r.value) for r in readings if r.device_code == code and r.signal == JOB_SIGNAL]


def test_without_a_job_only_cnc_machines_report_an_empty_one_on_each_heartbeat() -> None:
    run = cnc_run()
    readings = run.step(NIGHT + 5 * MIN)
    assert jobs(readings) == [(NIGHT + i * MIN, "") for i in range(5)]
    assert jobs(readings, "R1") == []
    with pytest.raises(ValueError, match="no job_id"):
        run.assign_job("R1", "SH-1")
    with pytest.raises(KeyError):
        run.assign_job("X", "SH-1")


def test_a_job_is_reported_at_once_and_the_machine_runs_for_it_until_cleared() -> None:
    run = cnc_run()
    run.step(NIGHT + 60 * MIN + 30_000)
    assert {i.activity for i in run.truth.intervals[CNC]} == {Activity.OFF_SHIFT}
    assigned = run.now_ms
    run.assign_job(CNC, "SH-7")
    during = run.step(NIGHT + 3 * 60 * MIN)
    reported = jobs(during)
    assert reported[0] == (assigned, "SH-7")  # at once, not at the next heartbeat
    assert reported[1:] == [(NIGHT + k * MIN, "SH-7") for k in range(61, 180)]  # then on every heartbeat
    night_work = [i for i in run.truth.intervals[CNC] if i.start_ms >= assigned]
    assert night_work[0].start_ms == assigned and night_work[0].activity in (Activity.SETUP, Activity.IDLE)
    assert any(i.activity is Activity.PRODUCING for i in night_work)  # off shift, yet producing for the job

    cleared = run.now_ms
    run.assign_job(CNC, "")
    after = run.step(NIGHT + 5 * 60 * MIN)
    assert jobs(after)[0] == (cleared, "") and {value for _, value in jobs(after)} == {""}
    tail = [i for i in run.truth.intervals[CNC] if i.end_ms > cleared]
    # The phase under way ends as it would (a cycle, a setup), then the machine is off shift again until 08:00.
    assert tail[-1].activity is Activity.OFF_SHIFT and len(tail) <= 2
    assert tail[-1].start_ms < cleared + 45 * MIN


def test_the_same_jobs_at_the_same_times_give_the_same_run() -> None:
    def run_with_jobs() -> tuple[list[Reading], object]:
        run = cnc_run(seed=11)
        readings = run.step(NIGHT + 30 * MIN)
        run.assign_job(CNC, "SH-2")
        readings += run.step(NIGHT + 150 * MIN)
        run.assign_job(CNC, "")
        readings += run.step(NIGHT + 200 * MIN)
        return readings, run.truth

    assert run_with_jobs() == run_with_jobs()


def test_a_job_during_the_shift_changes_nothing_but_the_reported_job() -> None:
    spec = default_factory(1)
    shift = NIGHT + 8 * 60 * MIN  # Monday 10:00
    plain, with_job = (FactoryRun(spec, seed=4, start_ms=shift) for _ in range(2))
    plain.step(shift + 20 * MIN)
    with_job.step(shift + 20 * MIN)
    # It is producing when the job comes (a waiting machine would start the job at once).
    assert with_job.truth.intervals["L1-CNC-01"][-1].activity is Activity.PRODUCING
    with_job.assign_job("L1-CNC-01", "SH-3")
    without = [r for r in plain.step(shift + 60 * MIN) if r.signal != JOB_SIGNAL]
    with_readings = with_job.step(shift + 60 * MIN)
    assert [r for r in with_readings if r.signal != JOB_SIGNAL] == without
    assert plain.truth == with_job.truth


def test_commands_are_parsed_from_the_platforms_payload_and_only_the_job_is_applied() -> None:
    topic = json_topic(9, CNC)
    assert topic == command_topic(9, CNC)
    command = parse_command(topic, json_payload("SH-4/start", "job_id", "SH-4", 1), enterprise_id=9)
    assert command == DeviceCommand(CNC, "job_id", "SH-4", "SH-4/start")
    run = cnc_run()
    assert apply_command(run, command) and run.snapshot(CNC)[JOB_SIGNAL] == "SH-4"
    assert not apply_command(run, DeviceCommand(CNC, "spindle_setpoint_rpm", 4500.0))  # no set-point in the model
    assert not apply_command(run, DeviceCommand("R1", "job_id", "SH-4"))  # a robot has no job signal
    assert not apply_command(run, DeviceCommand("X", "job_id", "SH-4"))
    assert not apply_command(run, DeviceCommand(CNC, "job_id", 4))  # a job id is text
    for bad_topic, payload in (
        (json_topic(8, CNC), json_payload(1, "job_id", "x", 1)),  # another enterprise's
        (f"zhizao/v1/9/{CNC}/data", json_payload(1, "job_id", "x", 1)),
        (topic, b"not json"),
        (topic, b'{"signal": "job_id"}'),
        (topic, b"[1, 2]"),
    ):
        assert parse_command(bad_topic, payload, enterprise_id=9) is None
