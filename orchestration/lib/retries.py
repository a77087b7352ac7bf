"""How often Dagster tries a failed run or step again: defined here once, for every job, the failure alert and both
dagster.yaml files (which only switch run retries on; the count travels on each run as its `dagster/max_retries`
tag, which Dagster reads before the instance's default).

Two layers: a step that fails for a passing reason (a source or the mail relay answering an error) is retried
within its run with exponential backoff; a run that still fails is started again from the failed step, RUN_RETRIES
times, and only then is the data team alerted (orchestration/defs/pipeline/sensors.py).
"""

from __future__ import annotations

from dagster import Backoff, RetryPolicy

RUN_RETRIES = 2
MAX_RETRIES_TAG = "dagster/max_retries"
RETRY_NUMBER_TAG = "dagster/retry_number"  # set by Dagster on a retried run: 1 for the first retry
RETRY_STRATEGY_TAG = "dagster/retry_strategy"

# A source that does not answer (the app database, Stripe beyond its own request budget): 20 s, 40 s, 80 s.
SOURCE_RETRY = RetryPolicy(max_retries=3, delay=20, backoff=Backoff.EXPONENTIAL)
# The mail relay refusing a message: 30 s, 60 s, 120 s; the send log makes a retry send only what is missing.
DELIVERY_RETRY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL)


def run_retry_tags() -> dict[str, str]:
    """The tags every job carries: retried RUN_RETRIES times, from the step that failed."""
    return {MAX_RETRIES_TAG: str(RUN_RETRIES), RETRY_STRATEGY_TAG: "FROM_FAILURE"}


def retries_left(tags: dict[str, str]) -> int:
    """How many more times Dagster will start this run again (0: this failure is final)."""
    return max(0, int(tags.get(MAX_RETRIES_TAG, "0")) - int(tags.get(RETRY_NUMBER_TAG, "0")))
