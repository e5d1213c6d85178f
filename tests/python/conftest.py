"""pytest fixtures for ferry's interop tests.

`ferry_server` is a factory: `srv = ferry_server({"num.partitions": "3"})` starts a broker in a
fresh tmp data dir (or `data_dir=` to restart on an existing one) and stops it (SIGTERM, then
SIGKILL if it hangs) when the test ends. When a test fails, the report gets a section with the
stderr tail of every server still running, so the failure explains the broker's side too.
"""

from __future__ import annotations

import atexit
from pathlib import Path

import pytest

import ferry_testlib as ft


@pytest.fixture
def ferry_server(tmp_path: Path):
    started: list[ft.FerryServer] = []
    counter = iter(range(1_000_000))

    def factory(
        overrides: dict[str, str] | None = None,
        *,
        data_dir: Path | None = None,
        config_file: Path | None = None,
        ready_timeout: float = 60,
    ) -> ft.FerryServer:
        d = data_dir if data_dir is not None else tmp_path / f"ferry-data-{next(counter)}"
        srv = ft.start_server(d, overrides, config_file=config_file, ready_timeout=ready_timeout)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and ft.LIVE_SERVERS:
        for srv in list(ft.LIVE_SERVERS):
            state = "running" if srv.alive() else f"exited with {srv.proc.returncode}"
            report.sections.append(
                (
                    f"ferry server {srv.data_dir.name} ({state}; listeners {srv.listeners}) stderr tail",
                    srv.stderr_tail(80),
                )
            )


@atexit.register
def _kill_leftover_servers() -> None:
    for srv in list(ft.LIVE_SERVERS):
        srv.kill()
