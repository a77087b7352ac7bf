{#- Each attempt at a quiz that is still in the app, with the quiz's creator, video and title: the join every
    quiz report needs. Attempts at a quiz deleted in the app are left out. -#}

with

quizzes as (

    select
        quiz_id,
        creator_id,
        video_id,
        title
    from {{ ref('stg_app__quizzes') }}

),

attempts as (

    select
        quiz_attempt_id,
        quiz_id,
        student_id,
        score,
        is_passed,
        created_at
    from {{ ref('stg_app__quiz_attempts') }}

)

select
    attempts.quiz_attempt_id,
    attempts.quiz_id,
    quizzes.creator_id,
    quizzes.video_id,
    quizzes.title as quiz_title,
    attempts.student_id,
    attempts.score,
    attempts.is_passed,
    attempts.created_at as attempted_at
from attempts
inner join quizzes on attempts.quiz_id = quizzes.quiz_id
