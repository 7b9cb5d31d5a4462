"""``python -m zhizao.telemetry.ingest.runner``: one worker in a process of its own (tests kill it with SIGKILL).

Prints one JSON line ``{"event": "started", …}`` once subscribed and, after SIGTERM or SIGINT, one with the final
status (``{"event": "stopped", …}``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from dataclasses import asdict
from typing import Any

from zhizao.db.engine import create_database
from zhizao.settings import load_settings
from zhizao.telemetry.alarms.services import alarm_observers, run_alarm_services
from zhizao.telemetry.ingest.pipeline import PipelineConfig
from zhizao.telemetry.ingest.worker import IngestWorker, collect_garbage_less, run_worker


def _say(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}, default=str) + "\n")
    sys.stdout.flush()


async def _main(args: argparse.Namespace) -> None:
    overrides: dict[str, Any] = {"database_url": args.database_url}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    settings = load_settings(**overrides)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def started(worker: IngestWorker) -> None:
        async def announce() -> None:
            subscribed = await asyncio.to_thread(worker.source.wait_subscribed, 30.0)
            _say("started", client_id=args.client_id, subscribed=subscribed)

        loop.create_task(announce())  # noqa: RUF006 - lives as long as the loop

    config = PipelineConfig(batch_points=args.batch_points, batch_interval_s=args.batch_ms / 1000)
    alarms_database = create_database(settings)  # the alarm ticker and webhook delivery run beside the worker
    alarms = loop.create_task(run_alarm_services(alarms_database, stop))
    collect_garbage_less()
    status = await run_worker(
        settings,
        args.mqtt_url,
        args.shared_group,
        args.client_id,
        stop=stop,
        config=config,
        metrics_port=args.metrics_port,
        session_expiry_s=args.session_expiry,
        on_started=started,
        observers=alarm_observers,
    )
    await alarms
    alarms_database.dispose()
    _say("stopped", **asdict(status))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m zhizao.telemetry.ingest.runner")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir")
    parser.add_argument("--mqtt-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--shared-group")
    parser.add_argument("--batch-points", type=int, default=PipelineConfig().batch_points)
    parser.add_argument("--batch-ms", type=int, default=200)
    parser.add_argument("--metrics-port", type=int)
    parser.add_argument("--session-expiry", type=int, default=86_400)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
