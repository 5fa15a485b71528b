"""courses.facts: the facts table, its validation, and {{ fact:key }} tags. Pure Python: no database."""

import textwrap

import pytest

from courses.facts import FactError, course_facts, fact, fact_text, load_facts, resolve_tags

GOOD = textwrap.dedent("""\
    verified: 2026-12
    lambda:
      timeout_max:
        value: 900
        unit: seconds
        text: 15 minutes
        source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
      memory_max:
        value: 10240
        unit: MB
        changed: Dec 2020
        source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    """)


@pytest.fixture
def facts(tmp_path):
    (tmp_path / "facts.yaml").write_text(GOOD)
    return load_facts(tmp_path / "facts.yaml")


def test_a_fact_renders_in_every_form(facts):
    timeout, memory = facts["lambda.timeout_max"], facts["lambda.memory_max"]
    assert timeout.render() == "15 minutes"  # the display text wins
    assert memory.render() == "10,240 MB"  # else value with separators and unit
    assert memory.render("value") == "10,240"
    assert memory.render("raw") == "10240"
    assert memory.render("unit") == "MB"
    assert memory.changed == "Dec 2020"


def test_tags_are_replaced_in_text(facts):
    text = "Up to {{ fact:lambda.timeout_max }} ({{fact:lambda.timeout_max|value}} s), {{ fact:lambda.memory_max }}."
    assert resolve_tags(text, facts, "x.md") == "Up to 15 minutes (900 s), 10,240 MB."


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        ("a\nb {{ fact:lambda.nope }}", "unknown fact 'lambda.nope'", 11),
        ("{{ fact:lambda.timeout_max|shout }}", "unknown form 'shout'", 10),
        ("a\n\nb {{ fact: }}", "malformed fact tag", 12),
        ("a {{ fact:lambda.timeout_max", "malformed fact tag", 10),
    ],
)
def test_a_bad_tag_names_file_and_line(facts, text, problem, line):
    with pytest.raises(FactError) as error:
        resolve_tags(text, facts, "lessons/x.md", first_line=10)
    assert problem in str(error.value)
    assert error.value.line == line
    assert str(error.value).startswith(f"lessons/x.md: line {line}: ")


def test_other_double_braces_are_left_alone(facts):
    text = "aws s3api ... --bucket {{amzn-s3-demo-bucket1}}"
    assert resolve_tags(text, facts, "x.md") == text


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("value: 1\n    unit: s\n", "'lambda.bad': missing 'source'"),
        ("value: one\n    unit: s\n    source: https://a.b/", "'value' must be a number"),
        ("value: 1\n    unit: s\n    source: http://a.b/", "'source' must be an https:// URL"),
        ("value: 1\n    unit: s\n    source: https://a.b/\n    changed: 2025-11", "'changed' must read like"),
        ("value: 1\n    unit: s\n    source: https://a.b/\n    colour: red", "unknown field(s) colour"),
        ("value: 1\n    unit: s\n    source: https://a.b/\n    pattern: '\\d+'", "exactly one group"),
        ("value: 1\n    unit: s\n    source: https://a.b/\n    pattern: '(('", "'pattern' is not a regex"),
    ],
)
def test_a_bad_entry_names_the_file_and_key(tmp_path, entry, problem):
    path = tmp_path / "facts.yaml"
    path.write_text(f"lambda:\n  bad:\n    {entry}\n")
    with pytest.raises(FactError) as error:
        load_facts(path)
    assert str(path) in str(error.value)
    assert problem in str(error.value)


def test_a_bad_key_or_yaml_is_named(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text("Lambda:\n  TimeoutMax: {value: 1, unit: s, source: 'https://a.b/'}\n")
    with pytest.raises(FactError, match="key 'Lambda.TimeoutMax': not <service>.<quantity>"):
        load_facts(path)
    path.write_text("lambda:\n  x: [unclosed\n")
    with pytest.raises(FactError, match="line 3: invalid YAML"):
        load_facts(path)


def test_graders_read_facts_without_django(tmp_path, monkeypatch):
    course = tmp_path / "demo"
    course.mkdir()
    (course / "facts.yaml").write_text(GOOD)
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(tmp_path))
    assert fact("lambda.timeout_max", course="demo") == 900
    assert fact_text("lambda.timeout_max", course="demo") == "15 minutes"
    with pytest.raises(KeyError, match="no fact 'lambda.nope'"):
        fact("lambda.nope", course="demo")


def test_the_table_is_reread_when_the_file_changes(tmp_path):
    (tmp_path / "facts.yaml").write_text(GOOD)
    assert course_facts(tmp_path)["lambda.timeout_max"].value == 900
    (tmp_path / "facts.yaml").write_text(GOOD.replace("value: 900", "value: 901"))
    import os

    os.utime(tmp_path / "facts.yaml", ns=(1, 1))  # a different mtime, whatever the clock's resolution
    assert course_facts(tmp_path)["lambda.timeout_max"].value == 901


def test_the_shipped_table_loads_and_every_fact_cites_aws():
    facts = course_facts(__import__("tests.helpers").helpers.CONTENT_DIR / "serverless")
    timeout = facts["lambda.timeout_max"]
    assert (timeout.value, timeout.unit, timeout.render(), timeout.changed) == (
        900,
        "seconds",
        "15 minutes",
        "Oct 2018",
    )
    assert timeout.source == "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"
    hosts = {"https://docs.aws.amazon.com/", "https://aws.amazon.com/"}
    assert all(any(f.source.startswith(host) for host in hosts) for f in facts.values())
