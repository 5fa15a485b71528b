"""The SAA-C03 coverage lessons (issue 16): each cites its AWS pages, says when it was checked, sits in the
module a learner would look in, and has a knowledge check of at least five exam-style questions whose every
choice explains itself."""

import re

import pytest
import yaml

from courses.facts import course_facts, resolve_tags
from courses.importing import parse_course_dir
from quizzes.gift import parse_gift
from quizzes.spec import MultipleResponse, SingleChoice
from tests.helpers import CONTENT_DIR

COURSE_DIR = CONTENT_DIR / "serverless"
NEW_LESSONS = {
    "api-gateway-in-depth": "apis",
    "cognito": "apis",
    "appsync": "apis",
    "lambda-vpc-and-rds-proxy": "lambda",
    "event-source-mapping-controls": "lambda",
    "lambda-newer-capabilities": "lambda",
    "dynamodb-essentials": "event-sources",
    "eventbridge-sns-delivery": "event-sources",
    "kinesis-and-firehose": "event-sources",
    "step-functions-at-scale": "event-driven",
    "cost-optimization": "operations",
    "lambda-durable-functions": "event-driven",  # issue 21
}
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def front_matter(slug: str) -> dict:
    return yaml.safe_load(FRONT_MATTER.match((COURSE_DIR / f"{slug}.md").read_text()).group(1))


@pytest.mark.parametrize("slug", sorted(NEW_LESSONS))
def test_lesson_cites_aws_pages_and_is_verified(slug):
    meta = front_matter(slug)
    assert meta["module"] == NEW_LESSONS[slug]
    assert str(meta["verified"]) == "2026-12"
    assert len(meta["sources"]) >= 3
    for source in meta["sources"]:
        assert set(source) == {"title", "url"} and source["title"].strip()
        assert re.match(r"^https://(docs\.aws\.amazon\.com|aws\.amazon\.com)/", source["url"]), source["url"]


@pytest.mark.parametrize("slug", sorted(NEW_LESSONS))
def test_lesson_has_an_exam_style_check(slug):
    path = COURSE_DIR / "checks" / f"{slug}.gift"
    questions = parse_gift(resolve_tags(path.read_text(), course_facts(COURSE_DIR), path))
    assert len(questions) >= 5
    for question in questions:
        assert question.explanation, f"{question.title}: no general feedback"
        if isinstance(question, (SingleChoice, MultipleResponse)):
            assert len(question.choices) >= 3, f"{question.title}: needs plausible distractors"
            missing = [choice.text for choice in question.choices if not choice.feedback.strip()]
            assert not missing, f"{question.title}: choices without feedback: {missing}"


def test_new_lessons_sit_in_their_modules_in_reading_order():
    source = parse_course_dir(COURSE_DIR)
    order = {lesson.slug: (lesson.module, lesson.order) for lesson in source.lessons}
    assert order["api-gateway-in-depth"] == ("apis", 2) and order["api-gateway"] == ("apis", 1)
    assert order["dynamodb-essentials"] == ("event-sources", 3) and order["dynamodb"][1] == 2
    assert order["step-functions-at-scale"][1] > order["step-functions"][1]
    # No two lessons of one module share an order value, so the outline is unambiguous.
    seen = [(module, number) for module, number in order.values()]
    assert len(seen) == len(set(seen))
