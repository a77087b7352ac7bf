"""Tell the data team when a run has finally failed, after its automatic retries (orchestration/lib/retries.py)."""

from __future__ import annotations

from email.message import EmailMessage

from dagster import DefaultSensorStatus, RunFailureSensorContext, SkipReason, run_failure_sensor

from orchestration.lib.resources import FailureAlerts
from orchestration.lib.retries import RETRY_NUMBER_TAG, retries_left
from reelhouse.mail import send_message


def failure_summary(context: RunFailureSensorContext) -> tuple[str, str]:
    """Subject and body naming the job, the failed steps and their errors (never configuration values)."""
    run = context.dagster_run
    retried = int(run.tags.get(RETRY_NUMBER_TAG, "0"))
    lines = [f"Run {run.run_id} of job {run.job_name} failed after {retried} retr{'y' if retried == 1 else 'ies'}.",
             ""]
    for event in context.get_step_failure_events():
        error = event.event_specific_data.error if event.event_specific_data else None
        while error and error.cause and error.cls_name == "DagsterExecutionStepExecutionError":
            error = error.cause  # Dagster's wrapper around an exception the step raised: say that exception
        message = error.message.strip() if error else "no error message"
        lines.append(f"step {event.step_key}: {message}")
    if len(lines) == 2:
        lines.append(context.failure_event.message or "the run failed before any step started")
    return f"[reelhouse] {run.job_name} failed", "\n".join(lines)


@run_failure_sensor(name="alert_data_team_on_final_failure", default_status=DefaultSensorStatus.RUNNING,
                    minimum_interval_seconds=30)
def alert_data_team_on_final_failure(context: RunFailureSensorContext, failure_alerts: FailureAlerts):
    tags = context.dagster_run.tags
    if left := retries_left(tags):
        attempt = int(tags.get(RETRY_NUMBER_TAG, "0")) + 1
        return SkipReason(f"run will be retried (attempt {attempt} of {attempt + left})")
    if not failure_alerts.recipients:
        return SkipReason("ALERT_RECIPIENTS is empty: nobody to alert")
    subject, body = failure_summary(context)
    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = ", ".join(failure_alerts.recipients)
    message.set_content(body)
    send_message(message, failure_alerts.mail.smtp())
    context.log.info(f"alert sent to {len(failure_alerts.recipients)} recipient(s)")
