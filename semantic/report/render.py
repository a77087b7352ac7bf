"""Reports to MIME messages: HTML with inline CSS and CID images, and a plain-text part with the same numbers."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from semantic.formats import column_label
from semantic.report.charts import sparkline_png
from semantic.report.content import CreatorReport, PlatformReport

TEMPLATES = Path(__file__).resolve().parent / "templates"
DOMAIN = "reelhouse.local"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    # Every number is written in its metrics.yml format: a metric by metric.render, a mart column by
    # `value | shown('mart.column')` (its columns: entry). There is no filter that picks a format by hand.
    environment.filters["shown"] = _shown
    environment.filters["change"] = _signed_change
    return environment


def _shown(value, column: str) -> str:
    """A mart column's value as the boards show it, e.g. {{ row.pass_rate | shown('quiz_performance.pass_rate') }}."""
    mart, _, name = column.rpartition(".")
    entry = column_label(mart, name)
    if entry is None:
        raise ValueError(f"the email shows {column}, which the columns: section of semantic/metrics.yml lacks")
    return entry.format.render(value)


def _signed_change(kpi) -> str:
    """+12.3% / −4.0% / n/a (last week was 0 or unknown), the arrow in front."""
    arrow = {"up": "▲", "down": "▼", "flat": "■"}[kpi.direction]
    if kpi.pct_change is None:
        return f"{arrow} n/a"
    return f"{arrow} {float(kpi.pct_change) * 100:+.1f}%"


def _message(subject: str, html: str, text: str, images: dict[str, bytes]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=DOMAIN)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png")
    return message


def render_platform(report: PlatformReport) -> tuple[EmailMessage, str]:
    """The admins' platform report; returns the message and its HTML (for previews)."""
    images = {f"spark-{kpi.metric.name}@{DOMAIN}": sparkline_png(kpi.sparkline, kpi.is_good) for kpi in report.kpis}
    context = {"report": report, "cid": lambda kpi: f"spark-{kpi.metric.name}@{DOMAIN}"}
    environment = _environment()
    html = environment.get_template("platform.html.j2").render(**context)
    text = environment.get_template("platform.txt.j2").render(**context)
    subject = f"Reelhouse weekly report, {report.week_start:%d %b} – {report.week_end:%d %b %Y}"
    return _message(subject, html, text, images), html


def render_creator(report: CreatorReport) -> tuple[EmailMessage, str]:
    """One creator's report about their own students."""
    cid = f"spark-active-students@{DOMAIN}"
    images = {cid: sparkline_png(report.active_students_sparkline, None)}
    environment = _environment()
    context = {"report": report, "cid": cid}
    html = environment.get_template("creator.html.j2").render(**context)
    text = environment.get_template("creator.txt.j2").render(**context)
    subject = f"Your students this week, {report.week_start:%d %b} – {report.week_end:%d %b %Y}"
    return _message(subject, html, text, images), html


def standalone_html(message: EmailMessage) -> str:
    """The message's HTML with each cid: image inlined as a data URI, for previews in a browser."""
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(f"cid:{content_id.strip('<>')}", f"data:{part.get_content_type()};base64,{data}")
    return html
