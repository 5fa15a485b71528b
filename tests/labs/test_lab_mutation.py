"""Mutation testing of graders (labs/grading/mutation.py, manage.py mutate_lab): mutants are generated
deterministically, graded through the real grading path, and reported as killed, survived (with the diff),
equivalent (the author's mark in lab.toml, with a reason) or crashed; --record shows the score to
instructors."""

import datetime as dt
import json
import textwrap
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from labs.grading import grade, load_lab
from labs.grading.catalog import LabError
from labs.grading.mutation import MutationReport, generate_mutants, mutate_lab
from labs.models import Lab

APP = textwrap.dedent(
    """\
    import logging

    logger = logging.getLogger()


    def handler(event, context):
        amount = event.get("amount")
        if amount <= 0 or amount > 100:
            raise ValueError(f"bad amount {amount}")
        logger.info("ok %s", amount)
        return {"fee": amount + 2}
    """
)
TEMPLATE = textwrap.dedent(
    """\
    Resources:
      Queue:
        Type: AWS::SQS::Queue
      Dlq:
        Type: AWS::SQS::Queue
      Policy:
        Type: AWS::SQS::QueuePolicy
        Properties:
          Queues:
            - !Ref Queue
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: !GetAtt Queue.Arn
    """
)


def _ids(mutants):
    return [mutant.id for mutant in mutants]


def test_generation_is_deterministic_for_a_seed_and_differs_between_seeds():
    files = {"app.py": APP, "template.yaml": TEMPLATE, "policy.json": '{"Action": ["s3:GetObject"], "n": 3}'}
    first, total = generate_mutants(files, seed=3, count=8)
    again, _ = generate_mutants(files, seed=3, count=8)
    other, _ = generate_mutants(files, seed=4, count=8)
    assert len(first) == 8 and total > 8
    assert _ids(first) == _ids(again) and [m.files for m in first] == [m.files for m in again]
    assert _ids(first) != _ids(other)
    everything, _ = generate_mutants(files, count=None)
    assert len(everything) == total and len(set(_ids(everything))) == total


def test_python_mutants_flip_comparisons_and_operators_change_constants_and_delete_statements():
    mutants = {m.id: m for m in generate_mutants({"app.py": APP}, count=None)[0]}
    labels = " | ".join(mutants)
    assert "amount <= 0 -> amount < 0" in labels
    assert "amount > 100 -> amount >= 100" in labels
    assert ": or -> and" in labels
    assert "100 -> 101" in labels and "2 -> 1" in labels
    assert "delete raise ValueError" in labels
    assert "return None" in labels
    assert "delete logger.info" not in labels  # a log line is nothing a grader requires
    assert not [key for key in mutants if "-> 'bad" in key or "-> f'bad" in key]  # nor a message's wording
    flipped = next(m for key, m in mutants.items() if "amount <= 0 -> amount < 0" in key)
    assert "-    if amount <= 0 or amount > 100:\n+    if amount < 0 or amount > 100:" in flipped.diff
    for mutant in mutants.values():  # every mutant is still Python, changed in one place
        compile(mutant.files["app.py"], "app.py", "exec")


def test_data_mutants_delete_keys_change_values_widen_actions_and_repoint_references():
    policy = '{"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]}'
    machine = json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    )
    mutants, _ = generate_mutants({"policy.json": policy, "sm.json": machine, "t.yaml": TEMPLATE}, count=None)
    labels = _ids(mutants)
    assert "policy.json:$.Statement[0].Action: dynamodb:PutItem -> widened" in labels
    widened = next(m for m in mutants if m.id.endswith("dynamodb:PutItem -> widened"))
    assert json.loads(widened.files["policy.json"])["Statement"][0]["Action"] == "dynamodb:*"
    assert "policy.json:$.Statement[0].Effect: delete" in labels
    assert "sm.json:$.States.A.Next: B -> A" in labels
    assert "t.yaml:10: !Ref Queue -> Dlq" in labels
    assert "t.yaml:15: !GetAtt Queue -> Dlq" in labels
    assert "t.yaml:14: sqs:SendMessage -> sqs:*" in labels
    deleted = next(m for m in mutants if m.id == "t.yaml:8: delete Properties")
    assert (
        "Queues" not in deleted.files["t.yaml"] and "Type: AWS::SQS::QueuePolicy" in deleted.files["t.yaml"]
    )


# -- a tiny lab graded through the real grading path ------------------------------------------------------
GRADER = textwrap.dedent(
    """\
    from labs.grading.checks import check


    @check("threshold_is_ten", "The threshold is 10", points=1)
    def threshold_is_ten(lab):
        settings = lab.json_file("settings.json")
        lab.require(settings.get("threshold") == 10, f"threshold is {settings.get('threshold')}, not 10")
        settings["retries"] + 0  # a grader bug: it assumes retries is always there
    """
)


def tiny_lab(tmp_path, equivalent: str = ""):
    folder = tmp_path / "tiny-lab"
    (folder / "starter").mkdir(parents=True)
    (folder / "solution").mkdir()
    (folder / "lab.toml").write_text(
        textwrap.dedent(
            """\
            title = "Tiny"
            course = "serverless"
            lesson = "lambda-fundamentals"
            editable = ["settings.json"]
            [checks]
            visible = ["threshold_is_ten"]
            """
        )
        + equivalent
    )
    (folder / "instructions.md").write_text("Set the threshold to 10.\n")
    (folder / "grader.py").write_text(GRADER)
    (folder / "starter" / "settings.json").write_text('{"threshold": 1, "retries": 2, "mode": "fast"}\n')
    (folder / "solution" / "settings.json").write_text('{"threshold": 10, "retries": 2, "mode": "fast"}\n')
    return load_lab(folder)


def by_id(report: MutationReport) -> dict[str, dict]:
    return {result["id"]: result for result in report.results}


def test_a_tiny_lab_reports_killed_survived_and_crashed_mutants(tmp_path):
    report = mutate_lab(tiny_lab(tmp_path), grade, count=None)
    results = by_id(report)
    assert results["settings.json:$.threshold: 10 -> 11"]["status"] == "killed"
    assert results["settings.json:$.threshold: delete"]["status"] == "killed"
    survived = results["settings.json:$.mode: 'fast' -> 'fas'"]
    assert survived["status"] == "survived" and survived["score"] == survived["max_score"] == 1
    assert '-  "mode": "fast"\n+  "mode": "fas"' in survived["diff"]
    crashed = results["settings.json:$.retries: delete"]
    assert crashed["status"] == "crashed" and "KeyError" in crashed["message"]
    assert report.count("killed") + report.count("survived") + report.count("crashed") == len(report.results)
    assert 0 < report.score < 1


def test_an_equivalent_mark_in_lab_toml_is_honoured_and_needs_a_reason(tmp_path):
    mark = '[[mutation.equivalent]]\nid = "settings.json:$.mode: delete"\nreason = "mode is not graded"\n'
    lab = tiny_lab(tmp_path, mark)
    results = by_id(mutate_lab(lab, grade, count=None))
    assert results["settings.json:$.mode: delete"] | {"diff": ""} == results[
        "settings.json:$.mode: delete"
    ] | {
        "diff": "",
        "status": "equivalent",
        "reason": "mode is not graded",
    }
    assert results["settings.json:$.mode: 'fast' -> 'fas'"]["status"] == "survived"
    (lab.path / "lab.toml").write_text(
        (lab.path / "lab.toml").read_text().replace('reason = "mode is not graded"', "")
    )
    with pytest.raises(LabError, match=r"needs an 'id' and a 'reason'"):
        mutate_lab(load_lab(lab.path), grade, count=None)


def test_a_grading_over_its_time_budget_is_crashed(tmp_path):
    report = mutate_lab(tiny_lab(tmp_path), grade, count=2, budget_s=0)
    assert {result["status"] for result in report.results} == {"crashed"}
    assert all("over 0 s" in result["message"] for result in report.results)


# -- the command, --record and the instructor's page ----------------------------------------------------
@pytest.mark.django_db
def test_mutate_lab_records_the_score_that_the_instructor_page_shows(
    settings, tmp_path, squared, teacher_client
):
    url = reverse("labs:instructor_live", args=[squared.slug])
    assert "not measured yet" in teacher_client.get(url).content.decode()
    out = StringIO()
    call_command("mutate_lab", "squared-number", "--count", "3", "--json", "--record", stdout=out)
    figures = json.loads(out.getvalue())
    assert (
        figures["mutants"] == 3
        and figures["killed"] + figures["survived"] + figures["crashed"] + figures["equivalent"] == 3
    )
    stored = Lab.objects.get(slug="squared-number").mutation_score
    assert stored["killed"] == figures["killed"] and stored["measured_on"] == dt.date.today().isoformat()
    page = teacher_client.get(url).content.decode()
    assert "Grader mutation score" in page and f"measured {dt.date.today().isoformat()}" in page
    assert f"{figures['killed']} of 3 wrong solutions failed" in page
