"""The app tables Reelhouse declares as assets (the loader itself discovers every table of the schema)."""

APP_TABLES = (
    "api_usage_log", "api_usage_metrics", "changelog_entries", "chat_messages", "creators", "credit_transactions",
    "enrollments", "export_analytics", "export_logs", "exports", "messages", "paywall_events", "project_memory",
    "quiz_answers", "quiz_attempts", "quiz_questions", "quizzes", "scene_iterations", "scenes", "students",
    "template_usage", "templates", "user_api_keys", "user_credits", "users", "video_progress", "video_ready_events",
    "videos",
)
