"""One dlt `sql_database` full load, run by ingest_throughput.py with the python of dlt's own virtualenv.

    DLT_BENCH_SOURCE=postgresql://... DLT_BENCH_DESTINATION=postgresql://... \\
        <dlt-venv>/bin/python benchmarks/_dlt_load.py --backend pyarrow --dataset bench_dlt_pyarrow

dlt lives in its own virtualenv (it would fight the project's Dagster/dbt pins), so this file imports
nothing from Reelhouse. It loads every table of the source's `public` schema with write_disposition="replace"
into `--dataset` on the destination (any other dlt setting comes from the environment, dlt's own config
mechanism, e.g. NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION) and prints one JSON line: the wall time of
`pipeline.run` alone (so dlt is not charged for interpreter start-up and imports, reported separately), its
extract/normalize/load steps from `pipeline.last_trace`, the rows each table got, the file formats dlt wrote
and this process's peak RSS. URLs come from the environment, not argv, so passwords stay out of `ps`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time


def main() -> None:
    started = time.perf_counter()
    import dlt  # imported here so its import time is measured (and reported apart from the run)
    from dlt.sources.sql_database import sql_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlalchemy", "pyarrow"], required=True)
    parser.add_argument("--dataset", required=True, help="destination schema")
    parser.add_argument("--workdir", required=True, help="dlt's pipelines folder (extracted and normalized files)")
    args = parser.parse_args()
    imported = time.perf_counter() - started

    source = sql_database(credentials=os.environ["DLT_BENCH_SOURCE"], schema="public", backend=args.backend)
    pipeline = dlt.pipeline(pipeline_name=args.dataset, pipelines_dir=args.workdir,
                            destination=dlt.destinations.postgres(os.environ["DLT_BENCH_DESTINATION"]),
                            dataset_name=args.dataset)
    started = time.perf_counter()
    info = pipeline.run(source, write_disposition="replace")
    run_seconds = time.perf_counter() - started

    # which file format dlt picked for the data (its own state table aside), read back rather than assumed
    formats = sorted({job.job_file_info.file_format for package in info.load_packages
                      for job in package.jobs["completed_jobs"] if not job.job_file_info.table_name.startswith("_dlt")})

    trace = pipeline.last_trace
    steps = {step.step: (step.finished_at - step.started_at).total_seconds() for step in trace.steps
             if step.finished_at and step.step in ("extract", "normalize", "load")}
    row_counts = trace.last_normalize_info.row_counts if trace.last_normalize_info else {}
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"dlt_version": dlt.__version__, "backend": args.backend, "file_formats": formats,
                      "import_seconds": imported, "run_seconds": run_seconds, "steps": steps,
                      "row_counts": row_counts, "peak_rss_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main()
