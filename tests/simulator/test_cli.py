"""``zhizao simulate`` as an operator uses it: one-line errors, a summary, the points it says it sent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from tests.simulator.conftest import _free_port
from zhizao.simulator import FactoryRun, default_factory
from zhizao.simulator.cli import simulate_app

app = typer.Typer()
app.add_typer(simulate_app, name="simulate")
runner = CliRunner()
START_ISO = "2024-05-06T07:50:00+08:00"
START_MS = 1_714_953_000_000


def simulate(*args: str) -> Result:
    return runner.invoke(app, ["simulate", *args], prog_name="zhizao")


def assert_one_line_error(result: Result, option: str, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {option}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        ((), "enterprise-id", "required"),
        (("--enterprise-id", "0"), "enterprise-id", "positive"),
        (("--enterprise-id", "1", "--broker", "http://h:1883"), "broker", "expected mqtt://"),
        (("--enterprise-id", "1", "--broker", "mqtt://h:1883/path"), "broker", "no path"),
        (("--enterprise-id", "1", "--lines", "0"), "lines", "between 1 and 99"),
        (("--enterprise-id", "1", "--speed", "0"), "speed", "above 0"),
        (("--enterprise-id", "1", "--batch-size", "0"), "batch-size", "between 1 and 10000"),
        (("--enterprise-id", "1", "--mqtt-version", "4"), "mqtt-version", "5 or 3.1.1"),
        (("--enterprise-id", "1", "--history-hours", "-1"), "history-hours", "negative"),
        (("--enterprise-id", "1", "--duration", "-1"), "duration", "negative"),
        (("--enterprise-id", "1", "--rate", "0"), "rate", "positive"),
        (("--enterprise-id", "1", "--start", "yesterday"), "start", "ISO"),
        (("--enterprise-id", "1", "--topic-prefix", "a/#"), "topic-prefix", "without + or #"),
        (("--enterprise-id", "1", "--upgrade-at", "next spring"), "upgrade-at", "ISO"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], option: str, message: str) -> None:
    result = simulate(*args)
    assert message in assert_one_line_error(result, option)
    assert result.stdout == ""


def test_help() -> None:
    result = simulate("--help")
    assert result.exit_code == 0
    assert "--history-hours" in result.stdout


def test_history_only_run_prints_a_summary(mqtt_url: str, topic_prefix: str) -> None:
    # A quarter of an hour from 07:50 (the shift starts at 08:00), no real time after it.
    result = simulate(
        *("--enterprise-id", "3", "--broker", mqtt_url, "--seed", "2", "--lines", "1"),
        *("--history-hours", "0.25", "--start", START_ISO, "--duration", "0", "--topic-prefix", topic_prefix),
    )
    assert result.exit_code == 0, result.output
    expected = len(FactoryRun(default_factory(1), seed=2, start_ms=START_MS).step(START_MS + 900_000))
    summary = result.stdout.splitlines()[-1]
    assert re.match(rf"devices 6, signals \d+, messages \d+, points {expected}, [\d.]+ s, [\d,]+ points/s$", summary)


def test_upgrade_at_runs_the_plant_conventionally_until_then(mqtt_url: str, topic_prefix: str) -> None:
    # Upgraded at 08:30: the first 40 minutes conventional (longer setups and handovers), the rest smart.
    result = simulate(
        *("--enterprise-id", "3", "--broker", mqtt_url, "--seed", "2", "--lines", "1", "--topic-prefix", topic_prefix),
        *("--history-hours", "1", "--start", START_ISO, "--duration", "0", "--upgrade-at", "2024-05-06T08:30:00"),
    )
    assert result.exit_code == 0, result.output

    def points(upgrade_at_ms: int | None) -> int:
        run = FactoryRun(default_factory(1, upgrade_at_ms=upgrade_at_ms), seed=2, start_ms=START_MS)
        return len(run.step(START_MS + 3_600_000))

    upgraded, smart = points(START_MS + 40 * 60_000), points(None)
    assert upgraded != smart  # the test can tell the two apart
    assert f" points {upgraded}, " in result.stdout.splitlines()[-1]


def test_unreachable_broker_is_one_line_and_exit_1() -> None:
    result = simulate("--enterprise-id", "1", "--broker", f"mqtt://127.0.0.1:{_free_port()}", "--duration", "0")
    assert "127.0.0.1" in assert_one_line_error(result, "broker", code=1)


def test_device_tokens_file_must_cover_every_device(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"L1-CNC-01": "t"}))
    result = simulate("--enterprise-id", "1", "--lines", "1", "--device-tokens", str(tokens))
    assert "no token for L1-CNC-02" in assert_one_line_error(result, "device-tokens")
    tokens.write_text("[1, 2]")
    result = simulate("--enterprise-id", "1", "--device-tokens", str(tokens))
    assert "JSON object" in assert_one_line_error(result, "device-tokens")
    result = simulate("--enterprise-id", "1", "--device-tokens", str(tmp_path / "missing.json"))
    assert "cannot read" in assert_one_line_error(result, "device-tokens")


def test_one_connection_per_device_with_a_tokens_file(mqtt_url: str, topic_prefix: str, tmp_path: Path) -> None:
    devices = [d.code for d in FactoryRun(default_factory(1), seed=1, start_ms=START_MS).devices]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({code: f"token-{code}" for code in devices}))
    result = simulate(
        *("--enterprise-id", "3", "--broker", mqtt_url, "--lines", "1", "--device-tokens", str(tokens)),
        *("--history-hours", "0.05", "--start", START_ISO, "--duration", "0", "--topic-prefix", topic_prefix),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("devices 6, ")
