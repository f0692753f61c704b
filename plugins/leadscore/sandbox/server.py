"""Run the sandbox: in the foreground (`serve`) or in a background thread (`SandboxServer`).

The listening socket is bound before uvicorn starts, so a port in use is reported at once
as one line that names the port and the fix, and port 0 picks a free port without races.
"""
from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

import uvicorn

from leadscore.errors import LeadscoreError
from leadscore.sandbox.app import create_app
from leadscore.sandbox.config import Faults, RateLimits, SandboxConfig, parse_rate_limit

log = logging.getLogger(__name__)


class SandboxPortInUseError(LeadscoreError, RuntimeError):
    """The requested sandbox port is taken by another process."""


def make_config(faults: str | dict | None = None, seed: int = 0, rate_limit: str | None = None,
                search_rate_limit: int | None = None, daily_limit: int | None = None,
                index_lag_seconds: float = 0.0, timeout_seconds: float = 35.0, **secrets: str) -> SandboxConfig:
    """A SandboxConfig from CLI-style arguments (`faults='429=0.05,5xx=0.05'`, `rate_limit='100/10'`)."""
    config = SandboxConfig(**secrets)
    config.faults = Faults.parse(faults, seed, timeout_seconds)
    config.rate_limits = RateLimits(ten_secondly=parse_rate_limit(rate_limit), daily=daily_limit,
                                    search_per_second=search_rate_limit)
    config.index_lag_seconds = index_lag_seconds
    return config


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SandboxPortInUseError(
                f"sandbox port {port} on {host} is already in use",
                f"stop the process holding it (`lsof -i :{port}`) or choose another port (--port N, or 0 for any free port)",
            ) from None
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn(app: Any, log_level: str) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                                         timeout_keep_alive=30))


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def serve(dataset_dir: Path, host: str = "127.0.0.1", port: int = 8765, faults: str | dict | None = None,
          seed: int = 0, rate_limit: str | None = None, search_rate_limit: int | None = None,
          daily_limit: int | None = None, index_lag_seconds: float = 0.0, timeout_seconds: float = 35.0,
          config: SandboxConfig | None = None, state_file: Path | None = None, reset_state: bool = False,
          on_ready: Callable[[], None] | None = None) -> None:
    """Serve the sandbox in the foreground until Ctrl-C; CRM writes are kept in `state_file` if given.

    `on_ready` runs once the dataset is loaded, just before requests are served: a caller that
    announces the address there is not telling anyone to connect while the data still loads."""
    config = config or make_config(faults, seed, rate_limit, search_rate_limit, daily_limit, index_lag_seconds,
                                   timeout_seconds)
    sock = bind(host, port)
    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises SIGTERM after its graceful shutdown; make that an exception so the
        # `finally` below still removes the private database instead of leaving it in /tmp.
        signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        app = create_app(Path(dataset_dir), config, state_file=state_file, reset_state=reset_state)
        try:
            if on_ready is not None:
                on_ready()
            _uvicorn(app, "info").run(sockets=[sock])
        finally:
            app.state.sandbox.close()
    finally:
        sock.close()


class SandboxServer:
    """Context manager: the sandbox on loopback in a background thread; `.url`, `.port`, `.state`.

    >>> with SandboxServer(dataset_dir) as sandbox:
    ...     httpx.get(f"{sandbox.url}/crm/v3/objects/contacts", headers={"Authorization": "Bearer sandbox-hubspot-token"})
    """

    def __init__(self, dataset_dir: Path, port: int = 0, host: str = "127.0.0.1", config: SandboxConfig | None = None,
                 startup_timeout: float = 600.0, state_file: Path | None = None, reset_state: bool = False,
                 **config_args: Any):
        self.dataset_dir = Path(dataset_dir)
        self.state_file, self.reset_state = state_file, reset_state
        self.dataset = self.dataset_dir  # alias: tests read ground truth next to the served files
        self.host = host
        self.requested_port = port
        self.config = config or make_config(**config_args)
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.app: Any = None

    @property
    def port(self) -> int:
        assert self._sock is not None, "SandboxServer is not running"
        return self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> Any:
        return self.app.state.sandbox

    def start(self) -> "SandboxServer":
        self._sock = bind(self.host, self.requested_port)
        try:
            self.app = create_app(self.dataset_dir, self.config, state_file=self.state_file,
                                  reset_state=self.reset_state)
        except BaseException:
            self._sock.close()
            raise
        self._server = _uvicorn(self.app, "warning")
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.app is not None:
            self.app.state.sandbox.close()
            self.app = None
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
