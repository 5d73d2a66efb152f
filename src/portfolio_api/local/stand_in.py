"""The embedded stand-in for DynamoDB and Cognito: moto's server on a local port, patched where
the service relies on AWS's behaviour (`moto_extensions`). `portfolio-api dev` and the tests
start it the same way, so the tests run against what a frontend developer runs."""

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
