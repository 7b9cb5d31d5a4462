"""Smoke tests of ``zhizao bench``: each benchmark runs end to end at a tiny size, on SQLite and on a real
PostgreSQL, and reports every figure. Nothing here is timed: the figures are checked for presence and sense only."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from tests.requirements import mosquitto_binary
from zhizao.bench.cli import bench_app
from zhizao.bench.ingest import IngestOptions, IngestResult, run_ingest
from zhizao.bench.query import QueryOptions, run_query
from zhizao.bench.report import fraction_within, histogram_quantile, merge_buckets

BACKENDS = ("sqlite", "postgresql")
runner = CliRunner()


def _server(backend: str, request: pytest.FixtureRequest) -> str | None:
    return str(request.getfixturevalue("postgres_server_url")) if backend == "postgresql" else None


def _tiny_ingest(backend: str, server: str | None) -> IngestOptions:
    return IngestOptions(
        backend=backend,
        points=3_000,
        devices=3,
        signals=5,
        batch_size=50,
        write_batch=500,
        batch_ms=50,
        database_url=server,
        stall_timeout_s=30,
    )


def _assert_sane(result: IngestResult, options: IngestOptions) -> None:
    assert result.points == result.stored == result.rolled_up == options.points
    assert result.messages == options.points // options.batch_size
    assert result.workers == options.workers
    assert result.dead_letters == result.duplicates == 0
    for rate in (result.sustained_pps, result.from_publish_pps, result.publish_pps):
        assert rate > 0 and math.isfinite(rate)
    assert result.lag_observations == result.messages
    assert result.lag_p50_s is not None and result.lag_p99_s is not None
    assert 0 <= result.lag_p50_s <= result.lag_p99_s
    assert result.lag_within_1s is not None and 0 <= result.lag_within_1s <= 1
    assert result.batches >= 1 and result.mean_batch_points > 0
    assert all(rss is not None and rss > 0 for rss in result.worker_peak_rss)
    assert set(result.cpu_s) >= {"workers", "publishers", "broker"}
    assert result.ceiling_pps is not None and result.ceiling_pps > 0
    assert result.ceiling_single_pps is not None and result.ceiling_single_pps > 0
    assert result.ceiling_method is not None
    assert result.ratio is not None and result.ratio > 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_ingest_reports_every_figure(backend: str, request: pytest.FixtureRequest) -> None:
    mosquitto_binary()  # skipped (or failed in CI) without Mosquitto
    options = _tiny_ingest(backend, _server(backend, request))
    result = run_ingest(options)
    _assert_sane(result, options)
    assert result.workers == 2  # one per core, on either backend
    if backend == "postgresql":
        assert "postgres backends" in result.cpu_s


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_query_reports_every_figure(backend: str, request: pytest.FixtureRequest) -> None:
    options = QueryOptions(
        backend=backend,
        signals=3,
        hours=1,
        buckets_s=(60, 3600),
        repeats=2,
        write_batch=2_000,
        database_url=_server(backend, request),
    )
    result = run_query(options)
    assert result.points == 3 * 3600
    assert result.fill_pps > 0
    assert not [note for note in result.notes if "rows" in note]
    found = {(timing.path, timing.bucket_s): timing for timing in result.timings}
    assert set(found) == {("store", 60), ("store", 3600), ("http", 60), ("http", 3600)}
    assert found["store", 60].rows == 3 * 60 and found["store", 60].source == "rollup_minute"
    assert found["store", 3600].rows == 3 and found["store", 3600].source == "rollup_hour"
    assert found["http", 60].rows == 60 and found["http", 3600].rows == 1
    for timing in result.timings:
        assert 0 < timing.min_s <= timing.median_s <= timing.p95_s


@pytest.mark.slow
def test_the_commands_print_tables_and_json_lines() -> None:
    mosquitto_binary()
    ingest = runner.invoke(
        bench_app,
        [
            *("ingest", "--backend", "sqlite", "--points", "1000", "--devices", "2", "--signals", "5"),
            *("--batch-size", "50", "--write-batch", "500", "--batch-ms", "50", "--json"),
        ],
    )
    assert ingest.exit_code == 0, ingest.output
    line = json.loads(ingest.stdout.strip().splitlines()[-1])
    assert line["bench"] == "ingest" and line["backend"] == "sqlite" and line["stored"] == 1000
    assert {"sustained_pps", "lag_p50_s", "lag_p99_s", "worker_peak_rss", "ceiling_pps", "ratio"} <= set(line)

    query = runner.invoke(
        bench_app,
        ["query", "--backend", "sqlite", "--signals", "2", "--hours", "1", "--buckets", "300", "--repeats", "1"],
    )
    assert query.exit_code == 0, query.output
    assert "store.downsample" in query.stdout and "GET …/series" in query.stdout


def test_bad_options_are_one_line_errors() -> None:
    result = runner.invoke(bench_app, ["query", "--backend", "sqlite", "--buckets", "sixty"])
    assert result.exit_code == 2
    assert "buckets" in result.output
    result = runner.invoke(bench_app, ["ingest", "--backend", "sqlite", "--points", "150", "--batch-size", "100"])
    assert result.exit_code == 2
    assert "whole number of messages" in result.output


def test_quantiles_of_prometheus_buckets() -> None:
    first = {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 100.0}
    second = {0.1: 0.0, 0.5: 0.0, 1.0: 0.0, math.inf: 100.0}
    merged = merge_buckets([first, second])
    assert merged == {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 200.0}
    assert histogram_quantile(0.25, merged) == pytest.approx(0.1)  # rank 50: the top of the first bucket
    assert histogram_quantile(0.35, merged) == pytest.approx(0.1 + 0.4 * 20 / 40)
    assert histogram_quantile(0.99, merged) == 1.0  # in +Inf: the highest finite bound
    assert histogram_quantile(0.5, {1.0: 0.0, math.inf: 0.0}) is None
    assert fraction_within(1.0, merged) == 0.5
