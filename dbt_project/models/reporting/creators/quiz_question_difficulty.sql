{#- The Creator Dashboard doc's Quiz Analytics "Question Analysis: which questions students find difficult": one row per
    question of a quiz, from every attempt's answers. correct_rate = correct answers ÷ answers. A question is difficult
    when it has at least 5 answers and under half of them are right - the thresholds quiz_performance uses for a
    struggling quiz, so the two flags read alike. The wrong option picked most often shows what misleads students.
    difficulty_rank orders a quiz's questions from the lowest correct rate (ties: earlier question). -#}

{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

quizzes as (

    select
        quiz_id,
        creator_id,
        title
    from {{ ref('stg_app__quizzes') }}

),

questions as (

    select
        quiz_question_id,
        quiz_id,
        question_position,
        question,
        correct_option
    from {{ ref('stg_app__quiz_questions') }}

),

answers as (

    select
        answers.quiz_question_id,
        answers.selected_option,
        answers.is_correct,
        attempts.student_id
    from {{ ref('stg_app__quiz_answers') }} as answers
    inner join {{ ref('int_quiz_attempts') }} as attempts
        on answers.quiz_attempt_id = attempts.quiz_attempt_id

),

per_question as (

    select
        quiz_question_id,
        count(*) as answers,
        count(distinct student_id) as students,
        count(case when is_correct then 1 end) as correct_answers
    from answers
    group by quiz_question_id

),

wrong_options as (

    select
        quiz_question_id,
        selected_option,
        count(*) * 1.0 / sum(count(*)) over (partition by quiz_question_id) as share_of_wrong,
        row_number() over (partition by quiz_question_id order by count(*) desc, selected_option asc) as popularity
    from answers
    where not is_correct
    group by quiz_question_id, selected_option

),

measured as (

    select
        quizzes.creator_id,
        quizzes.quiz_id,
        quizzes.title as quiz_title,
        questions.quiz_question_id,
        questions.question_position,
        questions.question,
        questions.correct_option,
        coalesce(per_question.answers, 0) as answers,
        coalesce(per_question.students, 0) as students,
        coalesce(per_question.correct_answers, 0) as correct_answers,
        per_question.correct_answers * 1.0 / nullif(per_question.answers, 0) as correct_rate,
        wrong_options.selected_option as most_chosen_wrong_option,
        wrong_options.share_of_wrong as most_chosen_wrong_share
    from questions
    inner join quizzes on questions.quiz_id = quizzes.quiz_id
    left join per_question on questions.quiz_question_id = per_question.quiz_question_id
    left join wrong_options
        on
            questions.quiz_question_id = wrong_options.quiz_question_id
            and wrong_options.popularity = 1

)

select
    creator_id,
    quiz_id,
    quiz_title,
    quiz_question_id,
    question_position,
    question,
    correct_option,
    answers,
    students,
    correct_answers,
    correct_rate,
    most_chosen_wrong_option,
    most_chosen_wrong_share,
    coalesce(answers >= 5 and correct_rate < 0.5, false) as is_difficult,
    row_number() over (
        partition by quiz_id order by coalesce(correct_rate, 2), question_position
    ) as difficulty_rank
from measured
