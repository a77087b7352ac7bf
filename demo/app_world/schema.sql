-- The operational app database of the video-creation product (demo stand-in for production).
-- Table and column names follow the product docs in shared/seeds (000-004).
-- Conventions every table keeps, because ingestion relies on them:
--   * `id bigint PRIMARY KEY`, assigned by the generator (deterministic for a seed);
--   * `created_at` and `updated_at timestamptz NOT NULL` (updated_at moves on every change);
--   * `deleted_at timestamptz` where the product soft-deletes rows.

CREATE TABLE IF NOT EXISTS users (
    id              bigint PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    full_name       text NOT NULL,
    plan            text NOT NULL CHECK (plan IN ('free', 'pro', 'business', 'enterprise')),
    role            text NOT NULL CHECK (role IN ('user', 'creator', 'admin')),
    country         text,
    signup_source   text,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS creators (
    id                  bigint PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    display_name        text NOT NULL,
    subscription_tier   text NOT NULL CHECK (subscription_tier IN ('free', 'pro', 'business', 'enterprise')),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    deleted_at          timestamptz
);

CREATE TABLE IF NOT EXISTS students (
    id              bigint PRIMARY KEY,
    creator_id      bigint NOT NULL REFERENCES creators (id),
    email           text NOT NULL,
    full_name       text NOT NULL,
    last_active_at  timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS enrollments (
    id              bigint PRIMARY KEY,
    student_id      bigint NOT NULL REFERENCES students (id),
    creator_id      bigint NOT NULL REFERENCES creators (id),
    status          text NOT NULL CHECK (status IN ('active', 'completed', 'dropped')),
    enrolled_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS templates (
    id              bigint PRIMARY KEY,
    name            text NOT NULL,
    category        text NOT NULL,
    content_type    text NOT NULL,
    thumbnail_url   text,
    usage_count     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS videos (
    id                  bigint PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    creator_id          bigint REFERENCES creators (id),      -- set for course videos students watch
    template_id         bigint REFERENCES templates (id),
    title               text NOT NULL,
    content_type        text NOT NULL,
    status              text NOT NULL CHECK (status IN ('draft', 'processing', 'completed', 'failed')),
    provider            text CHECK (provider IN ('LUMA_V1', 'LUMA_V2', 'KLING_V1', 'KLING_V2')),
    credits_used        integer NOT NULL DEFAULT 0,
    duration_seconds    integer,
    thumbnail_url       text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    completed_at        timestamptz,
    deleted_at          timestamptz
);

CREATE TABLE IF NOT EXISTS template_usage (
    id              bigint PRIMARY KEY,
    template_id     bigint NOT NULL REFERENCES templates (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    video_id        bigint REFERENCES videos (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS user_credits (
    id                  bigint PRIMARY KEY,
    user_id             bigint NOT NULL UNIQUE REFERENCES users (id),
    available_credits   integer NOT NULL,
    lifetime_credits    integer NOT NULL,
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

-- The credit ledger. Billing facts the Stripe account mirrors:
--   purchase        -> a one-off Stripe charge (pack_id, amount_usd_cents = the pack price)
--   plan_allocation -> the month's credits of a paid plan (plan, amount_usd_cents = the plan price)
--   refund          -> a Stripe refund of the purchase in reference_transaction_id
CREATE TABLE IF NOT EXISTS credit_transactions (
    id                          bigint PRIMARY KEY,
    user_id                     bigint NOT NULL REFERENCES users (id),
    type                        text NOT NULL
        CHECK (type IN ('purchase', 'usage', 'refund', 'expiration', 'plan_allocation')),
    amount                      integer NOT NULL,                -- credits; negative for usage/expiration/refund
    balance_after               integer NOT NULL,
    description                 text,
    plan                        text,                            -- plan_allocation only
    pack_id                     text,                            -- purchase only: pack_8, pack_18, pack_45, pack_90
    amount_usd_cents            integer,                         -- purchase and plan_allocation
    video_id                    bigint REFERENCES videos (id),   -- usage only
    reference_transaction_id    bigint REFERENCES credit_transactions (id),  -- refund only
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS exports (
    id                  bigint PRIMARY KEY,
    video_id            bigint NOT NULL REFERENCES videos (id),
    user_id             bigint NOT NULL REFERENCES users (id),
    format              text NOT NULL CHECK (format IN ('mp4', 'webm', 'gif')),
    status              text NOT NULL CHECK (status IN ('started', 'completed', 'failed')),
    render_seconds      numeric(10, 2),
    file_size_bytes     bigint,
    error_message       text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    completed_at        timestamptz
);

CREATE TABLE IF NOT EXISTS export_analytics (
    id              bigint PRIMARY KEY,
    export_id       bigint NOT NULL REFERENCES exports (id),
    event_type      text NOT NULL CHECK (event_type IN ('started', 'progress', 'completed', 'failed')),
    stage           text,
    duration_ms     integer,
    error_message   text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS messages (
    id              bigint PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    video_id        bigint REFERENCES videos (id),
    role            text NOT NULL CHECK (role IN ('user', 'assistant')),
    content         text NOT NULL,
    token_count     integer,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS scenes (
    id              bigint PRIMARY KEY,
    video_id        bigint NOT NULL REFERENCES videos (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    position        integer NOT NULL,
    prompt          text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS scene_iterations (
    id              bigint PRIMARY KEY,
    scene_id        bigint NOT NULL REFERENCES scenes (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    edit_type       text NOT NULL CHECK (edit_type IN ('structural', 'creative', 'surgical')),
    succeeded       boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS paywall_events (
    id              bigint PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    session_id      text NOT NULL,
    event_type      text NOT NULL
        CHECK (event_type IN ('viewed', 'clicked_package', 'initiated_checkout', 'completed_purchase')),
    package_id      text,
    plan_at_event   text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS api_usage_metrics (
    id              bigint PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    video_id        bigint REFERENCES videos (id),
    provider        text NOT NULL,           -- openai, anthropic, google
    model           text NOT NULL,
    tool_name       text,
    input_tokens    integer NOT NULL,
    output_tokens   integer NOT NULL,
    response_ms     integer NOT NULL,
    success         boolean NOT NULL,
    error_message   text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS api_usage_log (
    id              bigint PRIMARY KEY,
    video_id        bigint NOT NULL REFERENCES videos (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    provider        text NOT NULL,           -- LUMA_V1, LUMA_V2, KLING_V1, KLING_V2
    credits         integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS video_progress (
    id                      bigint PRIMARY KEY,
    student_id              bigint NOT NULL REFERENCES students (id),
    creator_id              bigint NOT NULL REFERENCES creators (id),
    video_id                bigint NOT NULL REFERENCES videos (id),
    watch_duration_seconds  integer NOT NULL,
    watch_percentage        numeric(5, 2) NOT NULL CHECK (watch_percentage BETWEEN 0 AND 100),
    completed               boolean NOT NULL,
    last_watched_at         timestamptz NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS quizzes (
    id              bigint PRIMARY KEY,
    creator_id      bigint NOT NULL REFERENCES creators (id),
    video_id        bigint REFERENCES videos (id),
    title           text NOT NULL,
    pass_score      integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS quiz_attempts (
    id              bigint PRIMARY KEY,
    quiz_id         bigint NOT NULL REFERENCES quizzes (id),
    student_id      bigint NOT NULL REFERENCES students (id),
    score           integer NOT NULL,
    passed          boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- A quiz's multiple-choice questions and each attempt's answers (the Creator Dashboard doc's "Question Analysis: which
-- questions students find difficult"). An attempt answers every question once; its score is round(100 x correct /
-- questions).
CREATE TABLE IF NOT EXISTS quiz_questions (
    id              bigint PRIMARY KEY,
    quiz_id         bigint NOT NULL REFERENCES quizzes (id),
    position        integer NOT NULL,
    prompt          text NOT NULL,
    correct_option  text NOT NULL CHECK (correct_option IN ('A', 'B', 'C', 'D')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);

CREATE TABLE IF NOT EXISTS quiz_answers (
    id              bigint PRIMARY KEY,
    attempt_id      bigint NOT NULL REFERENCES quiz_attempts (id),
    question_id     bigint NOT NULL REFERENCES quiz_questions (id),
    selected_option text NOT NULL CHECK (selected_option IN ('A', 'B', 'C', 'D')),
    is_correct      boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS chat_messages (
    id              bigint PRIMARY KEY,
    creator_id      bigint NOT NULL REFERENCES creators (id),
    student_id      bigint NOT NULL REFERENCES students (id),
    video_id        bigint REFERENCES videos (id),
    session_id      text NOT NULL,
    role            text NOT NULL CHECK (role IN ('user', 'assistant')),
    content         text NOT NULL,
    helpful_rating  smallint CHECK (helpful_rating BETWEEN 1 AND 5),   -- assistant replies only
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- The Creator Dashboard doc's export_logs: audit log of the creator dashboard's data exports, with the `error_message`
-- column the doc's troubleshooting section reads. The app's nightly cron (02:00 UTC) deletes rows older than 30 days.
CREATE TABLE IF NOT EXISTS export_logs (
    id              bigint PRIMARY KEY,
    creator_id      bigint NOT NULL REFERENCES creators (id),
    export_type     text NOT NULL
        CHECK (export_type IN ('students', 'progress', 'chat', 'analytics', 'quiz_results', 'videos')),
    format          text NOT NULL CHECK (format IN ('csv', 'json', 'pdf', 'xlsx')),
    file_url        text,
    file_size_bytes integer,
    filters         jsonb,
    status          text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    error_message   text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    completed_at    timestamptz
);

CREATE TABLE IF NOT EXISTS changelog_entries (
    id              bigint PRIMARY KEY,
    title           text NOT NULL,
    version         text NOT NULL,
    view_count      integer NOT NULL DEFAULT 0,
    video_url       text,
    thumbnail_url   text,
    published_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS project_memory (
    id                  bigint PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    video_id            bigint REFERENCES videos (id),
    memory_type         text NOT NULL CHECK (memory_type IN ('uploaded_asset', 'style_note', 'brand_kit')),
    asset_type          text CHECK (asset_type IN ('image', 'video', 'audio', 'logo')),
    asset_url           text,
    file_size_bytes     bigint,
    source_asset_id     bigint REFERENCES project_memory (id),   -- set when an earlier upload is reused
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    deleted_at          timestamptz
);

CREATE TABLE IF NOT EXISTS video_ready_events (
    id              bigint PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    video_id        bigint NOT NULL REFERENCES videos (id),
    event_type      text NOT NULL CHECK (event_type IN (
        'arrived', 'copied_prompt', 'opened_sora', 'generate_with_credits', 'generate_with_own_key',
        'shared_link', 'exported_pdf', 'exported_json')),
    plan_at_event   text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Metadata only: the key itself never leaves the app (the Video Ready spec).
CREATE TABLE IF NOT EXISTS user_api_keys (
    id                  bigint PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    provider            text NOT NULL,
    key_suffix          text NOT NULL,
    key_name            text,
    is_valid            boolean NOT NULL,
    last_validated_at   timestamptz,
    last_used_at        timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    deleted_at          timestamptz
);
