"""util/locks: the one exclusive lock (in-process, threads instead of processes)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from lane_tasks.errors import EnvironmentProblem
from lane_tasks.util.locks import exclusive_lock


def test_creates_its_directory_and_file(tmp_path: Path) -> None:
    lock = tmp_path / "a" / "b" / ".x.lock"
    with exclusive_lock(lock):
        assert lock.is_file()


def test_second_holder_waits(tmp_path: Path) -> None:
    lock = tmp_path / ".x.lock"
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait()
        with exclusive_lock(lock):
            order.append("other")

    t = threading.Thread(target=other)
    t.start()
    with exclusive_lock(lock):
        inside.set()
        time.sleep(0.2)
        order.append("first")
    t.join(timeout=10)
    assert order == ["first", "other"]


def test_refuses_a_fifo_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / ".x.lock"
    os.mkfifo(fifo)
    with pytest.raises(EnvironmentProblem, match=str(fifo)), exclusive_lock(fifo):
        pass


def test_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem), exclusive_lock(tmp_path):
        pass
