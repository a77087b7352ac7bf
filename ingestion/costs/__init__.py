"""Provider prices: the reviewed prices.yml, validated and loaded into raw_costs."""

from ingestion.costs.loader import COST_TABLES, PRICES_PATH, PriceFileError, load_costs

__all__ = ["COST_TABLES", "PRICES_PATH", "PriceFileError", "load_costs"]
