"""One story for numbers: a number the course states in several places comes from facts.yaml, and any
hand-written statement of it (found by the fact's ``pattern``) agrees with the table.

Scanned: every lesson, every GIFT file and every lab's instructions.md. Left out on purpose: fact tags
themselves (they render from the table), "What changed" call-outs (they quote the old values), and the wrong
choices of GIFT items (``~`` lines: a distractor states a wrong number by design)."""

import re
from pathlib import Path

import pytest

from courses.facts import TAG, course_facts
from labs.grading.catalog import CATALOG_DIR
from tests.helpers import CONTENT_DIR

COURSES = sorted(path for path in CONTENT_DIR.iterdir() if (path / "facts.yaml").is_file())
CHANGED_CALLOUT = re.compile(r"^!!! changed .*\n(?:(?:[ \t]+.*)?\n)*", re.MULTILINE)


def course_files(course: Path) -> list[Path]:
    labs = [
        path / "instructions.md" for path in sorted(CATALOG_DIR.iterdir()) if (path / "lab.toml").is_file()
    ]
    labs = [path for path in labs if f'course = "{course.name}"' in (path.parent / "lab.toml").read_text()]
    return sorted(course.glob("*.md")) + sorted((course / "checks").glob("*.gift")) + labs


def statements(text: str) -> str:
    """The text a reader takes as the course's own claims, with line breaks kept so lines still count."""
    keep_lines = lambda match: "\n" * match.group(0).count("\n")  # noqa: E731
    text = CHANGED_CALLOUT.sub(keep_lines, text)
    text = TAG.sub("", text)
    return "\n".join("" if line.lstrip().startswith("~") else line for line in text.split("\n"))


def label(course: Path, path: Path) -> str:
    if course in path.parents:
        return f"{course.name}/{path.relative_to(course)}"
    return f"labs/{path.parent.name}/{path.name}"


def disagreements(course: Path) -> list[str]:
    facts = course_facts(course)
    found = []
    for path in course_files(course):
        text = statements(path.read_text(encoding="utf-8"))
        for fact in facts.values():
            if not fact.pattern:
                continue
            for match in re.finditer(fact.pattern, text):
                stated = float(match.group(1).replace(",", ""))
                if stated != fact.value:
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(
                        f"{label(course, path)}:{line}: states {match.group(1)} "
                        f"for {fact.key}, facts.yaml says {fact.value} {fact.unit}: use {{{{ fact:{fact.key} }}}}"
                    )
    return found


def test_the_scanner_catches_a_number_that_disagrees(tmp_path, monkeypatch):
    course = tmp_path / "demo"
    (course / "checks").mkdir(parents=True)
    (course / "facts.yaml").write_text(
        "sqs:\n  lambda_max_receive_count_min:\n    value: 5\n    unit: receives\n"
        "    source: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html\n"
        "    pattern: 'maxReceiveCount[`:\\s]*(?:of\\s*)?(?:at least)?\\s*(\\d+)'\n"
    )
    (course / "a.md").write_text(
        "Use a `maxReceiveCount` of at least {{ fact:sqs.lambda_max_receive_count_min }}.\n"
        '!!! changed "What changed (Jan 2020)"\n    Old notes said maxReceiveCount: 3.\n\n'
        "```yaml\nmaxReceiveCount: 3\n```\n"
    )
    (course / "checks" / "a.gift").write_text(
        "::Q::How many?{\n=maxReceiveCount: 5#Yes.\n~maxReceiveCount: 1#No.\n}\n"
    )
    monkeypatch.setattr(f"{__name__}.CATALOG_DIR", tmp_path / "no-labs")
    (tmp_path / "no-labs").mkdir()
    # The tagged statement, the old value in the call-out and the GIFT distractor pass; the template does not.
    assert disagreements(course) == [
        "demo/a.md:6: states 3 for sqs.lambda_max_receive_count_min, facts.yaml says 5 receives: "
        "use {{ fact:sqs.lambda_max_receive_count_min }}"
    ]


@pytest.mark.parametrize("course", COURSES, ids=[path.name for path in COURSES])
def test_every_stated_number_agrees_with_facts_yaml(course):
    problems = disagreements(course)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("course", COURSES, ids=[path.name for path in COURSES])
def test_every_fact_is_used_somewhere(course):
    """A fact nobody states or checks is a number nobody keeps up to date: drop it or use it."""
    used = set()
    sources = [*course_files(course), *CATALOG_DIR.glob("*/grader.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        used |= {match.group("key") for match in TAG.finditer(text)}
        used |= set(re.findall(r"""fact\(\s*["']([a-z0-9_.]+)["']""", text))
    unused = sorted(set(course_facts(course)) - used)
    assert not unused, f"facts never used: {', '.join(unused)}"
