"""A small practice-exam pool in the SAA-C03 form, written into the test course's exams/ folder."""

import pytest

from courses.importing import import_course_dir
from courses.models import Course
from quizzes.models import Quiz
from tests.quizzes.conftest import check, course, graded_quiz  # noqa: F401 (fixtures shared with quiz tests)

TASK_OF = {"secure": "1.1", "resilient": "2.1", "performance": "3.2", "cost": "4.2"}


def pool_gift(per_domain: int = 10) -> str:
    blocks = []
    for domain, task in TASK_OF.items():
        for n in range(per_domain):
            if n % 5 == 4:  # every fifth question is multiple response
                blocks.append(
                    f"// [tag:domain:{domain}] [tag:task:{task}] [tag:lesson:intro] [scoring:all_or_nothing]\n"
                    f"::{domain}-{n}::A company needs two things for {domain} case {n}. (Choose two.){{\n"
                    f"~%50%Right one {n}\n~%50%Right two {n}\n~Wrong three\n~Wrong four\n~Wrong five\n"
                    f"####Explanation {domain} {n}: both right ones are needed.\n}}"
                )
            else:
                blocks.append(
                    f"// [tag:domain:{domain}] [tag:task:{task}] [tag:lesson:intro]\n"
                    f"::{domain}-{n}::A company runs a {domain} scenario number {n}. What should it do?{{\n"
                    f"=Right answer {n}\n~Wrong one\n~Wrong two\n~Wrong three\n"
                    f"####Explanation {domain} {n}: the right answer fits the scenario.\n}}"
                )
    return "\n\n".join(blocks) + "\n"


@pytest.fixture
def pool_course(db, content_dir) -> Course:
    exams = content_dir / "exams"
    exams.mkdir()
    (exams / "saa-c03-pool.gift").write_text(pool_gift(), encoding="utf-8")
    import_course_dir(content_dir)
    return Course.objects.get(slug="demo")


@pytest.fixture
def pool(pool_course) -> Quiz:
    return Quiz.objects.get(course=pool_course, slug="saa-c03-pool")
