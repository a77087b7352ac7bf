{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

quizzes as (

    select
        quiz_id,
        creator_id,
        video_id,
        title,
        pass_score
    from {{ ref('stg_app__quizzes') }}

),

attempts as (

    select
        quiz_id,
        count(*) as attempts,
        count(distinct student_id) as students,
        count(case when is_passed then 1 end) as passes,
        avg(score) as avg_score
    from {{ ref('int_quiz_attempts') }}
    group by quiz_id

)

select
    quizzes.quiz_id,
    quizzes.creator_id,
    quizzes.video_id,
    quizzes.title,
    quizzes.pass_score,
    coalesce(attempts.attempts, 0) as attempts,
    coalesce(attempts.students, 0) as students,
    attempts.passes * 1.0 / nullif(attempts.attempts, 0) as pass_rate,
    attempts.avg_score,
    coalesce(attempts.attempts >= 5 and attempts.passes * 1.0 / attempts.attempts < 0.5, false) as is_struggling,
    -- What the board's status column says, so a 0 % pass rate never reads as "not struggling": struggling (the
    -- flag), too few attempts to judge (under 5, the flag's threshold), or on track (pass rate 50 % or more).
    case
        when attempts.attempts >= 5 and attempts.passes * 1.0 / attempts.attempts < 0.5 then 'struggling'
        when coalesce(attempts.attempts, 0) < 5 then 'too few attempts'
        else 'on track'
    end as standing
from quizzes
left join attempts on quizzes.quiz_id = attempts.quiz_id
