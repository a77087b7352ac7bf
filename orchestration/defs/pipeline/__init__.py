"""The pipeline: the jobs that run the domains in order (hourly refresh, full rebuild), their schedule and the
alert when a run has finally failed."""
