"""Data-quality suites (Great Expectations 1.x) kept as code, run against the warehouse.

`suites/*.yml` declare what must hold; `runner.run_suite` evaluates one suite through a GX SQL
datasource and records every expectation's outcome in ops.dq_results.
"""
