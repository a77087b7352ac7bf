"""Fixtures for the fault tests: private copies of the demo sources, served like the real ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faultkit import copy_stripe_store


@pytest.fixture()
def stripe_copy(fresh_database, demo_world) -> Iterator[dict]:
    """A private copy of the demo Stripe account (tests may change it), served on a free port."""
    from demo.stripe_world.background import running_stripe_server

    store = fresh_database("reliability_stripe_store")
    copy_stripe_store(demo_world["stripe_url"], store)
    with running_stripe_server(store) as server:
        yield {"store": store, "server": server}
