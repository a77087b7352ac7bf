{#- The engagement tier rules of seed 001, evaluated in this order — the one definition every model uses.
    days_inactive: whole days since the last activity; videos: videos to date; first_week_videos:
    videos in the first 7 days after sign-up; account_age_days: whole days since sign-up;
    avg_completion: 0–100. -#}

{% macro engagement_tier(days_inactive, videos, first_week_videos, account_age_days, avg_completion) -%}
    case
        when {{ days_inactive }} >= 14 then 'inactive'
        when {{ days_inactive }} >= 7 then 'at_risk'
        when {{ first_week_videos }} < 3 and {{ account_age_days }} >= 7 then 'low_engagement'
        when {{ videos }} >= 10 and {{ avg_completion }} >= 75 then 'highly_engaged'
        when {{ videos }} >= 5 then 'engaged'
        else 'moderate'
    end
{%- endmacro %}
