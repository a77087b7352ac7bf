{#- The engagement tiers of the Creator Dashboard doc, the one definition every model uses. The doc gives the rule as
    SQL (its executable definition; the prose "<3 videos in first week" only paraphrases it):

        CASE
            WHEN last_active < NOW() - INTERVAL '14 days' THEN 'inactive'
            WHEN last_active < NOW() - INTERVAL '7 days' THEN 'at_risk'
            WHEN videos_watched < 3 AND created_at < NOW() - INTERVAL '7 days' THEN 'low_engagement'
            WHEN videos_watched >= 10 AND avg_completion >= 75 THEN 'highly_engaged'
            WHEN videos_watched >= 5 THEN 'engaged'
            ELSE 'moderate'
        END

    evaluated here per entity and day D with NOW() = the end of D (midnight after it), at day grain:
      days_inactive     whole days from the day of the last activity to D, null when there was none yet. With
                        last_active anywhere on day L, last_active < NOW() - 14 days <=> D - L >= 14 (7 alike).
                        null (never active, as the app's last_active) matches neither inactivity rule, as in SQL.
      videos            videos to date (the caller says which: videos watched, videos created).
      account_age_days  whole days from sign-up to D: created_at < NOW() - 7 days <=> account_age_days >= 7.
      avg_completion    0–100, null when there is nothing to average (then the rule does not match, as in SQL).
    So low_engagement is a state like the others: it holds while an account older than a week has fewer than 3
    videos to date, and ends with the third video. -#}

{% macro engagement_tier(days_inactive, videos, account_age_days, avg_completion) -%}
    case
        when {{ days_inactive }} >= 14 then 'inactive'
        when {{ days_inactive }} >= 7 then 'at_risk'
        when {{ videos }} < 3 and {{ account_age_days }} >= 7 then 'low_engagement'
        when {{ videos }} >= 10 and {{ avg_completion }} >= 75 then 'highly_engaged'
        when {{ videos }} >= 5 then 'engaged'
        else 'moderate'
    end
{%- endmacro %}
