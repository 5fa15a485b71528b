import textwrap

import pytest

from courses.importing import import_course_dir
from courses.models import Course, Lesson
from courses.services import enrollment_create
from quizzes.models import Question, Quiz
from quizzes.services import gift_import

CHECK_GIFT = textwrap.dedent("""\
    ::Invocation of S3::[markdown]How does **Amazon S3** invoke a function?{
    =Asynchronously#SECRET-RIGHT-FEEDBACK S3 does not wait.
    ~Synchronously#SECRET-WRONG-FEEDBACK nothing waits.
    ####SECRET-EXPLANATION S3 notifications are asynchronous.
    }

    ::Max memory::What is the maximum memory of a function, in MB?{#10240:0####SECRET-NUMERIC-EXPLANATION}
    """)


@pytest.fixture
def course(db, content_dir) -> Course:
    import_course_dir(content_dir)
    return Course.objects.get(slug="demo")


@pytest.fixture
def check(course) -> Quiz:
    lesson = Lesson.objects.get(slug="intro")
    quiz = Quiz.objects.create(
        course=course, lesson=lesson, slug="check-intro", title="Check", kind=Quiz.Kind.CHECK
    )
    gift_import(course=course, text=CHECK_GIFT, quiz=quiz)
    return quiz


@pytest.fixture
def graded_quiz(course) -> Quiz:
    quiz = Quiz.objects.create(
        course=course,
        slug="final",
        title="Final quiz",
        kind=Quiz.Kind.QUIZ,
        attempts_allowed=2,
        pass_mark=50,
        # these tests read the review's answers and feedback after any attempt (the graded default, after
        # the last attempt, is tested in test_graded_quiz_defaults.py)
        review_answers=Quiz.ReviewAnswers.AFTER_EACH,
    )
    gift_import(course=course, text=CHECK_GIFT, quiz=quiz)
    return quiz


@pytest.fixture
def enrolled_student(client, student, course):
    enrollment_create(user=student, course=course)
    client.force_login(student)
    return client


def question(title: str) -> Question:
    return Question.objects.get(title=title)
