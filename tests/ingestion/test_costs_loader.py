"""Provider prices: validated as a whole, loaded as a whole, never half-loaded, unchanged file = no rewrite."""

from __future__ import annotations

import pytest

from ingestion.costs import PRICES_PATH, PriceFileError, load_costs
from reelhouse.warehouse import connect


@pytest.fixture()
def warehouse_db(scratch_warehouse):
    return scratch_warehouse("costs_warehouse")


def test_prices_from_the_seed_load_and_reload_is_a_no_op(warehouse_db):
    first = {r.table: r for r in load_costs(warehouse_db["loader"])}
    with connect(warehouse_db["owner"]) as conn:
        luma_v2 = conn.execute("SELECT usd_per_credit FROM raw_costs.video_provider_prices WHERE provider = 'LUMA_V2'"
                               " AND effective_to IS NULL").fetchone()[0]
        current = dict(conn.execute("SELECT provider, usd_per_credit FROM raw_costs.video_provider_prices "
                                    "WHERE effective_to IS NULL").fetchall())
    assert first["video_provider_prices"].inserted == 5 and first["llm_model_prices"].inserted >= 4
    assert {k: float(v) for k, v in current.items()} == {"LUMA_V1": 0.0032, "LUMA_V2": 0.0045, "KLING_V1": 0.004,
                                                         "KLING_V2": 0.006}  # the Production Requirements doc
    assert float(luma_v2) == 0.0045
    second = load_costs(warehouse_db["loader"])
    assert all(r.inserted == 0 and r.deleted == 0 for r in second)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("usd_per_credit: 0.0045", "usd_per_credit: -0.0045"), "non-negative"),
        (lambda t: t.replace("effective_to: 2026-09-01}", "effective_to: 2026-10-01}"), "overlap"),
        (lambda t: t.replace("provider: KLING_V1,", "provider: KLING_V1, colour: red,"), "expected the fields"),
        (lambda t: t + "\nsurprise: []\n", "unknown section"),
    ],
)
def test_a_bad_file_names_the_problem_and_loads_nothing(warehouse_db, tmp_path, edit, message):
    load_costs(warehouse_db["loader"])
    bad = tmp_path / "prices.yml"
    bad.write_text(edit(PRICES_PATH.read_text()))
    with pytest.raises(PriceFileError, match=message):
        load_costs(warehouse_db["loader"], bad)
    with connect(warehouse_db["owner"]) as conn:
        assert conn.execute("SELECT count(*) FROM raw_costs.video_provider_prices").fetchone()[0] == 5
