"""Streaming rows into the app database with COPY, in bounded batches, so memory stays flat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "email", "full_name", "plan", "role", "country", "signup_source", "last_login_at",
              "created_at", "updated_at", "deleted_at"),
    "creators": ("id", "user_id", "display_name", "subscription_tier", "created_at", "updated_at", "deleted_at"),
    "students": ("id", "creator_id", "email", "full_name", "last_active_at", "created_at", "updated_at",
                 "deleted_at"),
    "enrollments": ("id", "student_id", "creator_id", "status", "enrolled_at", "created_at", "updated_at"),
    "templates": ("id", "name", "category", "content_type", "thumbnail_url", "usage_count", "created_at",
                  "updated_at", "deleted_at"),
    "videos": ("id", "user_id", "creator_id", "template_id", "title", "content_type", "status", "provider",
               "credits_used", "duration_seconds", "thumbnail_url", "created_at", "updated_at", "completed_at",
               "deleted_at"),
    "template_usage": ("id", "template_id", "user_id", "video_id", "created_at", "updated_at"),
    "user_credits": ("id", "user_id", "available_credits", "lifetime_credits", "expires_at", "created_at",
                     "updated_at"),
    "credit_transactions": ("id", "user_id", "type", "amount", "balance_after", "description", "plan", "pack_id",
                            "amount_usd_cents", "video_id", "reference_transaction_id", "created_at", "updated_at"),
    "exports": ("id", "video_id", "user_id", "format", "status", "render_seconds", "file_size_bytes",
                "error_message", "created_at", "updated_at", "completed_at"),
    "export_analytics": ("id", "export_id", "event_type", "stage", "duration_ms", "error_message", "created_at",
                         "updated_at"),
    "messages": ("id", "user_id", "video_id", "role", "content", "token_count", "created_at", "updated_at"),
    "scenes": ("id", "video_id", "user_id", "position", "prompt", "created_at", "updated_at", "deleted_at"),
    "scene_iterations": ("id", "scene_id", "user_id", "edit_type", "succeeded", "created_at", "updated_at"),
    "paywall_events": ("id", "user_id", "session_id", "event_type", "package_id", "plan_at_event", "created_at",
                       "updated_at"),
    "api_usage_metrics": ("id", "user_id", "video_id", "provider", "model", "tool_name", "input_tokens",
                          "output_tokens", "response_ms", "success", "error_message", "created_at", "updated_at"),
    "api_usage_log": ("id", "video_id", "user_id", "provider", "credits", "created_at", "updated_at"),
    "video_progress": ("id", "student_id", "creator_id", "video_id", "watch_duration_seconds", "watch_percentage",
                       "completed", "last_watched_at", "created_at", "updated_at"),
    "quizzes": ("id", "creator_id", "video_id", "title", "pass_score", "created_at", "updated_at", "deleted_at"),
    "quiz_attempts": ("id", "quiz_id", "student_id", "score", "passed", "created_at", "updated_at"),
    "quiz_questions": ("id", "quiz_id", "position", "prompt", "correct_option", "created_at", "updated_at",
                       "deleted_at"),
    "quiz_answers": ("id", "attempt_id", "question_id", "selected_option", "is_correct", "created_at", "updated_at"),
    "chat_messages": ("id", "creator_id", "student_id", "video_id", "session_id", "role", "content",
                      "helpful_rating", "created_at", "updated_at"),
    "export_logs": ("id", "creator_id", "export_type", "format", "file_url", "file_size_bytes", "filters", "status",
                    "error_message", "created_at", "updated_at", "completed_at"),
    "changelog_entries": ("id", "title", "version", "view_count", "video_url", "thumbnail_url", "published_at",
                          "created_at", "updated_at"),
    "project_memory": ("id", "user_id", "video_id", "memory_type", "asset_type", "asset_url", "file_size_bytes",
                       "source_asset_id", "created_at", "updated_at", "deleted_at"),
    "video_ready_events": ("id", "user_id", "video_id", "event_type", "plan_at_event", "created_at", "updated_at"),
    "user_api_keys": ("id", "user_id", "provider", "key_suffix", "key_name", "is_valid", "last_validated_at",
                      "last_used_at", "created_at", "updated_at", "deleted_at"),
}

# Parents before children, so foreign keys hold at every flush.
LOAD_ORDER = (
    "users", "creators", "students", "enrollments", "templates", "changelog_entries", "videos", "template_usage",
    "user_credits", "credit_transactions", "exports", "export_analytics", "messages", "scenes", "scene_iterations",
    "paywall_events", "api_usage_metrics", "api_usage_log", "video_progress", "quizzes", "quiz_questions",
    "quiz_attempts", "quiz_answers", "chat_messages", "export_logs", "project_memory", "video_ready_events",
    "user_api_keys",
)


def ts(epoch_seconds: int | float | None) -> datetime | None:
    """Epoch seconds (the simulation's clock) to a UTC timestamp for PostgreSQL."""
    return None if epoch_seconds is None else datetime.fromtimestamp(int(epoch_seconds), UTC)


class RowSink:
    """Buffers rows per table and COPYs them in parent-first order once `batch_rows` are pending."""

    def __init__(self, conn: psycopg.Connection, batch_rows: int = 100_000) -> None:
        self._conn = conn
        self._batch_rows = batch_rows
        self._pending: dict[str, list[Sequence[Any]]] = {name: [] for name in LOAD_ORDER}
        self._count = 0
        self.written: dict[str, int] = dict.fromkeys(LOAD_ORDER, 0)

    def add(self, table: str, row: Sequence[Any]) -> None:
        self._pending[table].append(row)
        self._count += 1
        if self._count >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        with self._conn.cursor() as cursor:
            for table in LOAD_ORDER:
                rows = self._pending[table]
                if not rows:
                    continue
                columns = ", ".join(COLUMNS[table])
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                self.written[table] += len(rows)
                rows.clear()
        self._count = 0
