"""``analyze --engine ray``, the driver's side of the cluster: importing Ray (or saying how
to install it), connecting to a cluster or starting a private local instance, leaving it.

The actors are ``batch/ray_worker.py``; the pool that drives them is ``batch/ray_engine.py``.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from streamfer.core.errors import ClusterError, ConfigError, StreamferError
from streamfer.core.quiet import quiet_stderr

INSTALL_HINT = 'install it with: pip install "streamfer[ray]"'
CONNECT_TIMEOUT_SECONDS = 5.0
#: how a driver gives a cluster its token (Ray 2.60, ray/exceptions.py AuthenticationError)
TOKEN_HINT = (
    "run it with RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN, or in "
    "~/.ray/auth_token (another file: RAY_AUTH_TOKEN_PATH); 'ray get-auth-token' on the head "
    "node prints it"
)
#: what Ray says of a refused token: its gRPC status, its error's name, its message
_TOKEN_REFUSED = ("InvalidAuthToken", "Unauthenticated", "AuthenticationError", "auth token")


def require_ray() -> Any:
    """The ``ray`` module, or a ConfigError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray, which is not installed", INSTALL_HINT) from None
    return ray


def connect(address: str | None, cpus: int | None) -> int:
    """Connect this process to the Ray cluster at ``address``; return the cluster's CPUs.

    ``address``: None starts a private local Ray instance with ``cpus`` CPUs (never joining
    one that happens to run on this machine); ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``
    connect to a running cluster. One that cannot be reached is a ClusterError.
    Usage statistics are off unless ``RAY_USAGE_STATS_ENABLED`` says otherwise, and a local
    instance's workers run at this process's priority unless ``RAY_worker_niceness`` says
    otherwise.
    """
    ray = require_ray()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address is None:
        # Ray starts its workers at niceness +15; the local engine's run at ours. A local
        # instance gets the same priority unless the user says otherwise.
        os.environ.setdefault("RAY_worker_niceness", "0")
        options.update(address="local", num_cpus=cpus, include_dashboard=False)
    else:
        _check_reachable(address)
        options["address"] = address
    said: list[str] = []  # Ray's C++ side writes its retries to fd 2, a line a second
    try:
        with quiet_stderr(replay=False, kept=said):
            ray.init(**options)
    except Exception as exc:  # ConnectionError, ValueError, RuntimeError: all one line
        if address is not None and _refused_for_its_token(exc, "".join(said)):
            raise ClusterError(
                f"the Ray cluster at {address} wants a token this command does not have "
                "(Ray's token authentication; Ray 2.60 turns it on by itself for a head "
                "started where ~/.ray/auth_token exists)",
                TOKEN_HINT,
            ) from None
        raise ClusterError(
            f"cannot connect to the Ray cluster at {address or 'a new local instance'}: "
            f"{one_line(exc)}",
            "start one with 'ray start --head', or check --address",
        ) from None
    return int(ray.cluster_resources().get("CPU", 0))


def _refused_for_its_token(error: BaseException, said: str) -> bool:
    """Whether Ray refused the connection for want of the right token: in what it wrote
    while trying (``Unauthenticated: ... InvalidAuthToken``) or in its errors' chain."""
    texts = [said]
    seen: BaseException | None = error
    while seen is not None and len(texts) < 10:
        texts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    return any(marker in text for text in texts for marker in _TOKEN_REFUSED)


def disconnect() -> None:
    """Leave the cluster (a local instance this process started is stopped with it)."""
    ray = require_ray()
    if ray.is_initialized():
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """A plain ``HOST:PORT`` must accept a connection within a few seconds."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(
            f"--address {address} is not auto, HOST:PORT or ray://HOST:PORT",
            "the head node's address, as 'ray start --head' printed it",
        )
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except OSError as exc:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}",
            "is the head node up ('ray start --head --port PORT') and the port open?",
        ) from None


def one_line(exc: BaseException) -> str:
    """A Ray error as one line: its cause's own line when streamfer raised it."""
    text = str(exc).strip().splitlines()
    cause = getattr(exc, "cause", None)
    if isinstance(cause, StreamferError):
        return cause.one_line()
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return text[-1] if text else type(exc).__name__
