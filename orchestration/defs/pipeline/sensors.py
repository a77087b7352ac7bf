"""Tell the data team when a run has finally failed (after its automatic retries)."""

from __future__ import annotations

from email.message import EmailMessage

from dagster import DefaultSensorStatus, RunFailureSensorContext, SkipReason, run_failure_sensor

from reelhouse.config import get_settings
from reelhouse.mail import send_message

MAX_RUN_RETRIES = 2  # keep in step with the `dagster/max_retries` tag on the jobs


def failure_summary(context: RunFailureSensorContext) -> tuple[str, str]:
    """Subject and body naming the job, the failed steps and their errors (never configuration values)."""
    run = context.dagster_run
    lines = [f"Run {run.run_id} of job {run.job_name} failed after {MAX_RUN_RETRIES} retries.", ""]
    for event in context.get_step_failure_events():
        error = event.event_specific_data.error if event.event_specific_data else None
        message = error.message.strip() if error else "no error message"
        lines.append(f"step {event.step_key}: {message}")
    if len(lines) == 2:
        lines.append(context.failure_event.message or "the run failed before any step started")
    return f"[reelhouse] {run.job_name} failed", "\n".join(lines)


@run_failure_sensor(name="alert_data_team_on_final_failure", default_status=DefaultSensorStatus.RUNNING,
                    minimum_interval_seconds=30)
def alert_data_team_on_final_failure(context: RunFailureSensorContext):
    retry_number = int(context.dagster_run.tags.get("dagster/retry_number", "0"))
    if retry_number < MAX_RUN_RETRIES and context.dagster_run.tags.get("dagster/max_retries"):
        return SkipReason(f"run will be retried (attempt {retry_number + 1} of {MAX_RUN_RETRIES + 1})")
    settings = get_settings()
    if not settings.alert_recipients:
        return SkipReason("ALERT_RECIPIENTS is empty: nobody to alert")
    subject, body = failure_summary(context)
    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = ", ".join(settings.alert_recipients)
    message.set_content(body)
    send_message(message, settings.smtp)
    context.log.info(f"alert sent to {len(settings.alert_recipients)} recipient(s)")
