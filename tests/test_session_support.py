"""Helpers shared by the session tests (no tests here): free ports, waiting for a server, a
real redis-server, and one-request drivers over tests/harness.py."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from typing import Iterator

import pytest

from harness import free_port


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A real redis-server on a free port for the duration of the block; yields its URL.
    Skips (visibly) only where the binary is absent."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed here (apt-get install redis-server); "
                    "the Redis store tests need a real server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield "redis://127.0.0.1:%d/0" % port
    finally:
        proc.terminate()
        proc.wait(10)
