"""Every lab of the catalog: its reference solution scores full marks, its starter scores less with messages
that say what to look at, and labs with hidden cases catch a submission that only passes the visible ones."""

import shutil
from pathlib import Path

import pytest

from labs.grading import CATALOG_DIR, InfrastructureError, LabError, grade, load_catalog, load_lab

LABS = load_catalog()


def test_the_catalog_loads():
    assert [lab.slug for lab in LABS][:1] == ["squared-number"]
    for lab in LABS:
        assert lab.points == sum(check.points for check in lab.checks)
        assert set(lab.visibility) == {check.id for check in lab.checks}


@pytest.mark.parametrize("lab", LABS, ids=[lab.slug for lab in LABS])
def test_the_solution_scores_full_marks(lab):
    report = grade(lab, lab.solution)
    failed = [(check["id"], check["message"]) for check in report["checks"] if not check["passed"]]
    assert failed == []
    assert report["score"] == report["max_score"] == lab.points


@pytest.mark.parametrize("lab", LABS, ids=[lab.slug for lab in LABS])
def test_the_starter_scores_less_and_says_why(lab):
    report = grade(lab, lab.starter)
    assert report["score"] < report["max_score"]
    for check in report["checks"]:
        assert check["passed"] or len(check["message"]) > 20, check


# Submissions that pass every visible check but not the hidden ones (the cases a student has not seen).
VISIBLE_ONLY = {
    "squared-number": {
        "app.py": (
            "import logging\n"
            "logger = logging.getLogger()\n"
            "logger.setLevel(logging.INFO)\n"
            "class InvalidInput(Exception):\n"
            "    pass\n"
            "def lambda_handler(event, context):\n"
            "    if 'number' not in event:\n"
            "        raise InvalidInput('a number is required')\n"
            "    logger.info('ok')\n"
            "    n = event['number']\n"
            "    return {'number': n, 'squared': 25 if n == 5 else n * n}\n"
        )
    },
}


@pytest.mark.parametrize("slug", sorted(VISIBLE_ONLY))
def test_hidden_cases_catch_a_submission_that_only_passes_the_visible_checks(slug):
    lab = next(lab for lab in LABS if lab.slug == slug)
    visible = grade(lab, VISIBLE_ONLY[slug], visible_only=True)
    assert visible["score"] == visible["max_score"]
    assert {check["visibility"] for check in visible["checks"]} == {"visible"}
    full = grade(lab, VISIBLE_ONLY[slug])
    assert [c["visibility"] for c in full["checks"] if not c["passed"]]
    assert all(c["visibility"] != "visible" for c in full["checks"] if not c["passed"])


def test_a_check_records_what_it_caused():
    lab = LABS[0]
    report = grade(lab, lab.solution)
    first = report["checks"][0]
    start, end = first["trace_range"]
    assert end > start
    kinds = {entry["kind"] for entry in report["trace"][start:end]}
    assert "invocation" in kinds
    assert all(
        entry["logs"].startswith(("START", "INIT")) or "START" in entry["logs"]
        for entry in report["invocations"]
    )


def test_files_that_do_not_fit_the_lab_are_refused():
    lab = LABS[0]
    with pytest.raises(ValueError, match="app.py: missing"):
        grade(lab, {})
    with pytest.raises(ValueError, match="other.py: this lab has no editable file"):
        grade(lab, {"app.py": "", "other.py": ""})
    with pytest.raises(ValueError, match="larger than 256 KB"):
        grade(lab, {"app.py": "#" * (257 * 1024)})


def test_code_that_does_not_import_fails_checks_with_the_import_error():
    lab = LABS[0]
    report = grade(lab, {"app.py": "def lambda_handler(event, context)\n    return 1\n"})
    assert report["score"] == 0
    assert "Runtime.UserCodeSyntaxError" in report["checks"][0]["message"]


def copy_lab(tmp_path: Path, slug: str = "squared-number") -> Path:
    target = tmp_path / slug
    shutil.copytree(CATALOG_DIR / slug, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        (lambda p: (p / "lab.toml").write_text("title = 'x'\n"), "lab.toml", "'course' is required"),
        (lambda p: (p / "lab.toml").write_text("title = \n"), "lab.toml", "is not valid TOML"),
        (lambda p: (p / "starter" / "app.py").unlink(), "starter/app.py", "is missing"),
        (lambda p: (p / "solution" / "app.py").unlink(), "solution/app.py", "is missing"),
        (
            lambda p: (p / "grader.py").write_text("import nope_not_a_module\n"),
            "grader.py line 1",
            "ModuleNotFoundError",
        ),
        (lambda p: (p / "grader.py").write_text("x = 1\n"), "grader.py", "declares no checks"),
        (
            lambda p: (p / "lab.toml").write_text(
                (p / "lab.toml").read_text().replace('hidden = ["negative_and_decimal_numbers"]', "")
            ),
            "lab.toml",
            "must give a visibility to negative_and_decimal_numbers",
        ),
        (
            lambda p: (p / "lab.toml").write_text(
                (p / "lab.toml").read_text().replace('"logs_each_request"]', '"logs_each_request", "nope"]')
            ),
            "lab.toml",
            "names 'nope', which grader.py lacks",
        ),
    ],
)
def test_invalid_labs_name_the_lab_and_the_file(tmp_path, change, where, says):
    folder = copy_lab(tmp_path)
    change(folder)
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    assert (caught.value.slug, caught.value.file) == ("squared-number", where)
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"lab squared-number: {where}: ")


def test_instructions_state_limits_from_the_course_facts(tmp_path):
    folder = copy_lab(tmp_path)
    text = (folder / "instructions.md").read_text()
    (folder / "instructions.md").write_text(
        text + "\nA function may run for {{ fact:lambda.timeout_max }}.\n"
    )
    lab = load_lab(folder)
    assert lab.instructions.endswith("A function may run for 15 minutes.\n")
    assert lab.content_hash != load_lab(copy_lab(tmp_path / "plain")).content_hash


def test_an_unknown_fact_in_instructions_names_the_file_and_line(tmp_path):
    folder = copy_lab(tmp_path)
    text = (folder / "instructions.md").read_text()
    (folder / "instructions.md").write_text(text + "Up to {{ fact:lambda.nope }}.\n")
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    line = len(text.splitlines()) + 1
    assert (
        str(caught.value) == f"lab squared-number: instructions.md: line {line}: unknown fact 'lambda.nope'"
    )


def test_a_bad_facts_table_is_blamed_on_the_table_not_the_lab(tmp_path, monkeypatch):
    folder = copy_lab(tmp_path)
    (folder / "instructions.md").write_text("Up to {{ fact:lambda.timeout_max }}.\n")
    broken = tmp_path / "content" / "serverless"
    broken.mkdir(parents=True)
    (broken / "facts.yaml").write_text("lambda:\n  timeout_max: {value: 900, unit: seconds}\n")
    monkeypatch.setenv("COURSE_CONTENT_DIR", str(tmp_path / "content"))
    with pytest.raises(LabError) as caught:
        load_lab(folder)
    assert "its course's facts:" in str(caught.value)
    assert f"{broken / 'facts.yaml'}: key 'lambda.timeout_max': missing 'source'" in str(caught.value)


def test_graders_check_the_same_numbers_the_lessons_state():
    from courses.facts import fact

    graders = {lab.slug: lab.grader for lab in load_catalog()}
    assert graders["throttling"].MIN_RECEIVES == fact("sqs.lambda_max_receive_count_min") == 5
    assert fact("sqs.lambda_visibility_timeout_factor") == graders["throttling"].VISIBILITY_FACTOR
    assert graders["sqs-batch"].MAX_RECEIVES == graders["sns-fanout"].MAX_RECEIVES == 5


def test_a_grader_that_breaks_is_an_infrastructure_error_not_a_zero(tmp_path):
    folder = copy_lab(tmp_path)
    grader = folder / "grader.py"
    grader.write_text(grader.read_text().replace('    result = _invoke_ok(lab, {"number": 5})', "    1 / 0"))
    lab = load_lab(folder)
    with pytest.raises(InfrastructureError, match="ZeroDivisionError"):
        grade(lab, lab.solution)


def test_a_worker_warms_up_the_runtime_and_the_template_tools_before_its_first_task():
    from labs.grading import warm_up
    from labs.runtime.cloudformation.template import _lint_rules
    from labs.runtime.sandbox.host import fork_server, resolve_mode

    _lint_rules.cache_clear()
    warm_up()
    assert _lint_rules.cache_info().currsize == 1  # cfn-lint's rules are loaded
    assert fork_server(resolve_mode(None)).alive()
