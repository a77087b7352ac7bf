"""The Creator Dashboard doc's numbers recomputed on the demo world straight from staging, with the doc's own SQL where
it gives one, agree with the marts exactly.

Each check is an independent reading of the doc, not a copy of the model: the engagement tiers run the doc's CASE
over each entity's last action, videos and average completion at NOW() = the end of the reporting day; the daily
active students run the doc's daily_active_users view over video_progress; the overview's active students count
the students with an action in the last 7 / 30 days; the retention curve keeps every completed view to the end.
"""

from __future__ import annotations

import pytest

from reelhouse.warehouse import connect, role_url

# The doc's CASE, verbatim but for NOW(), which is the end of the reporting day (the marts' day grain).
TIER_CASE = """
    CASE
        WHEN last_active < now_ - INTERVAL '14 days' THEN 'inactive'
        WHEN last_active < now_ - INTERVAL '7 days' THEN 'at_risk'
        WHEN videos_watched < 3 AND created_at < now_ - INTERVAL '7 days' THEN 'low_engagement'
        WHEN videos_watched >= 10 AND avg_completion >= 75 THEN 'highly_engaged'
        WHEN videos_watched >= 5 THEN 'engaged'
        ELSE 'moderate'
    END
"""

CLOCK = """
    clock AS (
        SELECT max(date_day) AS today, (max(date_day) + 1)::timestamp AT TIME ZONE 'UTC' AS now_
        FROM marts.dim_dates
    )
"""

# A student's actions, the Creator Dashboard doc's last_active: a view started or last watched, a question, a quiz
# attempt (one CTE for every check that needs it).
STUDENT_ACTIONS = """actions AS (
        SELECT student_id, created_at AS at FROM staging.stg_app__video_progress
        UNION ALL SELECT student_id, last_watched_at FROM staging.stg_app__video_progress
        UNION ALL SELECT student_id, created_at FROM staging.stg_app__chat_messages WHERE role = 'user'
        UNION ALL SELECT student_id, created_at FROM staging.stg_app__quiz_attempts
    )"""

# Students: last_active = their latest action (a view started or last watched, a question, a quiz attempt);
# videos_watched = distinct course videos viewed; avg_completion = mean watch percentage of their views.
STUDENT_TIERS = f"""
    WITH {CLOCK},
    {STUDENT_ACTIONS},
    students AS (
        SELECT s.student_id AS id, s.created_at, clock.now_,
               (SELECT max(at) FROM actions a WHERE a.student_id = s.student_id AND a.at < clock.now_) AS last_active,
               (SELECT count(DISTINCT video_id) FROM staging.stg_app__video_progress v
                 WHERE v.student_id = s.student_id AND v.created_at < clock.now_) AS videos_watched,
               (SELECT avg(watch_percentage) FROM staging.stg_app__video_progress v
                 WHERE v.student_id = s.student_id AND v.created_at < clock.now_) AS avg_completion
        FROM staging.stg_app__students s CROSS JOIN clock
    )
    SELECT id, {TIER_CASE} AS tier FROM students
"""

# App users: last_active = their latest action in the editor (a video started, a prompt, an export, a scene
# edit); videos_watched = videos they started; avg_completion = videos completed by then ÷ started × 100.
USER_TIERS = f"""
    WITH {CLOCK},
    actions AS (
        SELECT user_id, created_at AS at FROM staging.stg_app__videos
        UNION ALL SELECT user_id, created_at FROM staging.stg_app__messages WHERE role = 'user'
        UNION ALL SELECT user_id, created_at FROM staging.stg_app__exports
        UNION ALL SELECT user_id, created_at FROM staging.stg_app__scene_iterations
    ),
    users AS (
        SELECT u.user_id AS id, u.created_at, clock.now_,
               (SELECT max(at) FROM actions a WHERE a.user_id = u.user_id AND a.at < clock.now_) AS last_active,
               (SELECT count(*) FROM staging.stg_app__videos v
                 WHERE v.user_id = u.user_id AND v.created_at < clock.now_) AS videos_watched,
               (SELECT 100.0 * count(*) FILTER (WHERE v.status = 'completed' AND v.completed_at < clock.now_)
                       / nullif(count(*), 0)
                  FROM staging.stg_app__videos v
                 WHERE v.user_id = u.user_id AND v.created_at < clock.now_) AS avg_completion
        FROM staging.stg_app__users u CROSS JOIN clock
    )
    SELECT id, {TIER_CASE} AS tier FROM users
"""


def _mismatches(conn, expected: str, actual: str) -> tuple[int, list]:
    rows = conn.execute(f"SELECT count(*) FROM ({expected}) AS e").fetchone()[0]
    differ = conn.execute(
        f"(({expected}) EXCEPT ({actual})) UNION ALL (({actual}) EXCEPT ({expected})) LIMIT 10").fetchall()
    return rows, differ


# The tier on the reporting day: the spell covering it (valid_from <= today < valid_to, or open).
COVERING_TODAY = ("valid_from <= (SELECT max(date_day) FROM marts.dim_dates)"
                  " AND (valid_to > (SELECT max(date_day) FROM marts.dim_dates) OR valid_to IS NULL)")


@pytest.mark.parametrize(("population", "expected", "actual"), [
    ("students", STUDENT_TIERS, f"SELECT student_id, engagement_tier FROM marts.fct_student_engagement_spells"
                                f" WHERE {COVERING_TODAY}"),
    ("users", USER_TIERS, f"SELECT user_id, engagement_tier FROM marts.fct_user_engagement_spells"
                          f" WHERE {COVERING_TODAY}"),
])
def test_todays_tiers_are_the_creator_dashboard_doc_sql(built_marts, population, expected, actual):
    with connect(role_url("transformer")) as conn:
        rows, differ = _mismatches(conn, expected, actual)
        tiers = dict(conn.execute(f"SELECT tier, count(*) FROM ({expected}) AS e GROUP BY tier").fetchall())
    assert rows > 100 and not differ, (population, differ)
    # The demo world has every tier but the rarest; none is empty because a rule never fires.
    assert {"inactive", "at_risk", "low_engagement", "engaged", "moderate"} <= tiers.keys(), tiers


def test_creator_daily_active_students_are_the_creator_dashboard_doc_view(built_marts):
    doc_view = """
        SELECT creator_id, DATE(last_watched_at) AS activity_date, COUNT(DISTINCT student_id) AS active_count,
               COUNT(DISTINCT video_id) AS videos_watched, SUM(watch_duration_seconds) AS total_watch_time_seconds
        FROM staging.stg_app__video_progress
        GROUP BY DATE(last_watched_at), creator_id
    """
    mart = ("SELECT creator_id, date_day, active_students, videos_watched, watch_seconds"
            " FROM marts.creator_daily_active_students")
    with connect(role_url("transformer")) as conn:
        rows, differ = _mismatches(conn, doc_view, mart)
    assert rows > 100 and not differ, differ


def test_active_students_are_those_who_did_something_in_the_window(built_marts):
    """A student enrolled this week who never did anything is not active (their last activity is not the
    enrolment day)."""
    expected = f"""
        WITH {CLOCK},
        {STUDENT_ACTIONS},
        last_actions AS (
            SELECT student_id, max(at) AS last_active FROM actions, clock WHERE at < clock.now_ GROUP BY student_id
        )
        SELECT c.creator_id,
               count(l.student_id) FILTER (WHERE l.last_active >= clock.now_ - INTERVAL '7 days'),
               count(l.student_id) FILTER (WHERE l.last_active >= clock.now_ - INTERVAL '30 days')
        FROM staging.stg_app__creators c CROSS JOIN clock
        LEFT JOIN staging.stg_app__students s ON s.creator_id = c.creator_id
        LEFT JOIN last_actions l ON l.student_id = s.student_id
        GROUP BY c.creator_id
    """
    mart = "SELECT creator_id, students_active_7d, students_active_30d FROM marts.creator_overview"
    with connect(role_url("transformer")) as conn:
        rows, differ = _mismatches(conn, expected, mart)
        never_active = conn.execute(
            "SELECT count(*) FROM staging.stg_app__students s WHERE NOT EXISTS (SELECT 1 FROM"
            " staging.stg_app__video_progress v WHERE v.student_id = s.student_id)").fetchone()[0]
    assert rows > 0 and not differ, differ
    assert never_active > 0  # the world has students who never did anything: the check can tell


def test_a_completed_view_stays_on_the_retention_curve_to_the_end(built_marts):
    """At 100% a video keeps exactly its completed views and those that reached 100% unflagged: nobody who
    finished "drops off" at 95 or 100."""
    expected = """
        SELECT v.video_id, count(*) FILTER (WHERE v.is_completed OR v.watch_percentage >= 100)
        FROM staging.stg_app__video_progress v
        JOIN staging.stg_app__videos videos ON videos.video_id = v.video_id AND videos.creator_id IS NOT NULL
        GROUP BY v.video_id
    """
    mart = "SELECT video_id, viewers_remaining FROM marts.video_retention_curve WHERE position_pct = 100"
    with connect(role_url("transformer")) as conn:
        rows, differ = _mismatches(conn, expected, mart)
        completed_below_100 = conn.execute(
            "SELECT count(*) FROM staging.stg_app__video_progress WHERE is_completed AND watch_percentage < 95"
        ).fetchone()[0]
    assert rows > 0 and not differ, differ
    assert completed_below_100 > 0  # completed views short of the end exist: the check can tell
