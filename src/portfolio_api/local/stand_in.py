"""The embedded stand-in for DynamoDB and Cognito: moto's server on a local port, patched where
the service relies on AWS's behaviour (`moto_extensions`). `portfolio-api dev` and the tests
start it the same way, so the tests run against what a frontend developer runs."""

import errno
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on now (the OS's pick)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on `host:port` now, asked before anything starts, so a
    busy port costs one line rather than a provisioned stack and a traceback.

    Bound as uvicorn and moto's server bind (with `SO_REUSEADDR`), so a connection the last run
    left in TIME_WAIT does not count as busy; an error other than "in use" (an address this
    machine does not have, a port it may not open) is raised for the caller to report.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


@contextmanager
def running_stand_in(port: int | None = None) -> Iterator[str]:
    """moto's server, patched, for as long as the block runs; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    from portfolio_api.local import moto_extensions

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-call access lines
    moto_extensions.install()
    port = port or free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.stop()
