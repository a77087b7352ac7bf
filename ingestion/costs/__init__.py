"""Provider prices: the reviewed prices.yml, validated and loaded into raw_costs."""

from ingestion.costs.loader import PRICES_PATH, PriceFileError, load_costs

__all__ = ["PRICES_PATH", "PriceFileError", "load_costs"]
