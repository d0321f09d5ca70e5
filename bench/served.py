"""The control room as production serves it, for benchmarks and tests: gunicorn with
deploy/gunicorn.conf.py on a free loopback port, on a given store, and a signed-in HTTP client.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Final

import requests

ROOT: Final = Path(__file__).resolve().parents[1]
CONFIG: Final = ROOT / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    """Return a loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """`gunicorn -c deploy/gunicorn.conf.py app:server` in a subprocess, stopped on exit."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        log_path: Path,
        *,
        workers: int = 2,
        threads: int = 8,
        env: dict[str, str] | None = None,
    ) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "app:server"],
            cwd=ROOT,
            env={
                **os.environ,
                "SP_DATABASE_URL": database_url,
                "SP_SECRET_KEY": secret_key,
                "SP_HOST": "127.0.0.1",
                "SP_PORT": str(port),
                "WEB_CONCURRENCY": str(workers),
                "SP_WEB_THREADS": str(threads),
                **(env or {}),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_path = log_path
        try:
            self._wait_ready(workers)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, workers: int, patience_s: float = 90.0) -> None:
        """Wait until every worker has built its app and the sign-in page answers."""
        deadline = time.monotonic() + patience_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            if (
                len(self.worker_pids()) == workers
                and self.log_path.read_text().count("store backend:") >= workers + 1
            ):
                try:
                    if requests.get(self.base + "/login", timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn was not ready in {patience_s:.0f} s")

    def worker_pids(self) -> list[int]:
        """Return the process ids of the master's workers."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children]

    def stop(self) -> None:
        """Stop the master and its workers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def signed_in_session(base: str, username: str, password: str) -> requests.Session:
    """Return an HTTP session signed in through /login, as a browser on the site would."""
    session = requests.Session()
    response = session.post(
        base + "/login",
        data={"username": username, "password": password},
        headers={"Origin": base},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username} answered {response.status_code}")
    session.headers["Origin"] = base
    return session
