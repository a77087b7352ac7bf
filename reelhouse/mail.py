"""Sending mail over SMTP with the configured security; one function so alerts and reports agree."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from reelhouse.config import SmtpSettings
from reelhouse.errors import ReelhouseError


def send_message(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Deliver one message; SMTP failures become a ReelhouseError that never contains the password."""
    if "From" not in message:
        message["From"] = smtp.sender
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        reason = str(exc)
        if smtp.password:
            reason = reason.replace(smtp.password, "***")
        raise ReelhouseError(f"could not send mail via {smtp.host}:{smtp.port}: {reason}") from None
