"""Run the Stripe-compatible server in a background thread (the demo command, tests, benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from demo.stripe_world.server import Faults, create_app


@dataclass
class RunningStripeServer:
    base_url: str
    api_key: str
    faults: Faults


@contextmanager
def running_stripe_server(
    store_url: str, api_key: str = "sk_test_reelhouse_demo", port: int | None = None
) -> Iterator[RunningStripeServer]:
    """Serve until the block ends; on `port` if given (it must be free), else on any free port."""
    from reelhouse.errors import ReelhouseError
    from reelhouse.warehouse.embedded import free_port, port_in_use

    if port is not None and port_in_use(port):
        raise ReelhouseError(f"port {port} is already in use; set STRIPE_SERVER_PORT to a free port")
    faults = Faults()
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store_url, api_key, faults), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Stripe-compatible test server did not start")
        time.sleep(0.05)
    try:
        yield RunningStripeServer(f"http://127.0.0.1:{port}", api_key, faults)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
