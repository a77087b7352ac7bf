"""What the product sells and says, from the product docs in shared/seeds (prices, providers, events)."""

from __future__ import annotations

# The Production Requirements doc: plans $8 / $26 / $68 a month (free, pro, business; enterprise is the creator tier).
PLAN_PRICE_CENTS = {"free": 0, "pro": 800, "business": 2600, "enterprise": 6800}
PLAN_MONTHLY_CREDITS = {"free": 30, "pro": 200, "business": 800, "enterprise": 2500}
PAID_PLANS = ("pro", "business", "enterprise")

# The Production Requirements doc: credit packs $8 / $18 / $45 / $90.
CREDIT_PACKS = {
    "pack_8": (800, 100),
    "pack_18": (1800, 250),
    "pack_45": (4500, 700),
    "pack_90": (9000, 1500),
}
PACK_WEIGHTS = (0.45, 0.3, 0.17, 0.08)

# The Production Requirements doc: video providers and their credit appetite per video (min, max).
PROVIDERS = ("LUMA_V1", "LUMA_V2", "KLING_V1", "KLING_V2")
PROVIDER_WEIGHTS = (0.2, 0.35, 0.2, 0.25)
PROVIDER_CREDITS = {"LUMA_V1": (8, 20), "LUMA_V2": (12, 30), "KLING_V1": (10, 24), "KLING_V2": (18, 45)}

# LLM models behind prompts and scenes (priced in ingestion/costs/prices.yml).
LLM_MODELS = (
    ("openai", "gpt-4o", 0.3),
    ("openai", "gpt-4o-mini", 0.25),
    ("anthropic", "claude-sonnet-4", 0.25),
    ("anthropic", "claude-haiku-4", 0.1),
    ("google", "gemini-2.5-flash", 0.07),
    ("google", "gemini-2.5-pro", 0.03),
)
LLM_TOOLS = ("scene_planner", "prompt_refiner", "roundtable_moderator", "script_writer", "hashtag_generator",
             "safety_filter")
LLM_ERRORS = ("rate_limited", "context_length_exceeded", "upstream_timeout", "invalid_tool_call")

CONTENT_TYPES = ("tiktok", "youtube_short", "explainer", "product_ad", "course_lesson")
CONTENT_WEIGHTS = (0.32, 0.25, 0.2, 0.15, 0.08)
TEMPLATE_CATEGORIES = ("marketing", "education", "social", "storytelling", "product")

EXPORT_FORMATS = ("mp4", "webm", "gif")
EXPORT_FORMAT_WEIGHTS = (0.7, 0.2, 0.1)
EXPORT_ERRORS = (
    "FFmpeg finalize timeout",
    "Out of memory while encoding",
    "Source asset missing",
    "GIF exceeds 50 MB limit",
    "Storage upload failed (503)",
)
EXPORT_ERROR_WEIGHTS = (0.35, 0.2, 0.2, 0.15, 0.1)

PAYWALL_STEPS = ("viewed", "clicked_package", "initiated_checkout", "completed_purchase")

# The Video Ready spec: the "your prompt is ready" page.
READY_ACTIONS = (
    ("copied_prompt", 0.7),
    ("opened_sora", 0.25),
    ("shared_link", 0.15),
    ("exported_pdf", 0.08),
    ("exported_json", 0.05),
)
KEY_PROVIDERS = ("openai", "anthropic")

EDIT_TYPES = ("structural", "creative", "surgical")
EDIT_WEIGHTS = (0.25, 0.45, 0.3)
ASSET_TYPES = ("image", "video", "audio", "logo")
ASSET_WEIGHTS = (0.5, 0.2, 0.15, 0.15)

COUNTRIES = ("US", "GB", "DE", "BR", "IN", "FR", "CA", "ES", "MX", "AU")
COUNTRY_WEIGHTS = (0.35, 0.1, 0.08, 0.08, 0.1, 0.06, 0.07, 0.05, 0.06, 0.05)
SIGNUP_SOURCES = ("organic", "tiktok_ad", "youtube", "referral", "google_ads")
SIGNUP_WEIGHTS = (0.4, 0.2, 0.15, 0.15, 0.1)

STUDENT_QUESTIONS = (
    "How do I export the lesson as a PDF?",
    "Can you explain the second example again?",
    "What is the difference between a scene and a shot?",
    "Why does my render fail at 99%?",
    "How many credits does a 30 second video use?",
    "Is there a transcript for this lesson?",
    "How do I pick the right template?",
    "What aspect ratio should I use for TikTok?",
    "Can I reuse my uploaded logo in other projects?",
    "How do I fix the audio drifting out of sync?",
    "When is the next lesson released?",
    "What does structural editing mean?",
    "How do I share my video with my class?",
    "Why is the quiz saying my answer is wrong?",
    "Can I use my own API key?",
)
FIRST_NAMES = ("Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Iris", "Omar", "Lena", "Kai", "Nora", "Ravi",
               "Sofia", "Theo", "Yuki", "Ines", "Marco", "Priya", "Jonas", "Chloe")
LAST_NAMES = ("Silva", "Chen", "Patel", "Müller", "Garcia", "Kim", "Rossi", "Novak", "Okafor", "Dubois",
              "Haddad", "Larsen", "Moreau", "Tanaka", "Walsh")

# The Creator Dashboard doc's quizzes: multiple-choice questions (options A-D) on a lesson.
QUIZ_OPTIONS = ("A", "B", "C", "D")
QUIZ_QUESTION_STEMS = (
    "Which shot type opens the lesson's example?",
    "What does a structural edit change?",
    "Which aspect ratio suits a vertical short?",
    "How many credits does a 30 second render use?",
    "What happens when a render fails at 99%?",
    "Which template category fits a product launch?",
    "What is the first step of the export checklist?",
    "Which setting keeps audio in sync?",
    "When should you split a long lesson?",
    "What does the completion rate measure?",
    "Which file format keeps transparency?",
    "What is a scene, compared with a shot?",
)

# The Creator Dashboard doc's export_logs: the creator dashboard's export types and formats (PDF and Excel are "coming
# soon").
EXPORT_LOG_TYPES = ("students", "progress", "chat", "analytics", "quiz_results", "videos")
EXPORT_LOG_TYPE_WEIGHTS = (0.35, 0.2, 0.12, 0.15, 0.12, 0.06)
EXPORT_LOG_FORMATS = ("csv", "json", "pdf", "xlsx")
EXPORT_LOG_FORMAT_WEIGHTS = (0.62, 0.3, 0.05, 0.03)
EXPORT_LOG_MAX_BYTES = 100 * 1024 * 1024  # the Creator Dashboard doc: file size limit 100MB
