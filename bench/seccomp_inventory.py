"""Measure the system calls execution environments make once their seccomp filter is installed.

Usage (needs strace: ``apt-get install strace``), two measurements into one directory:

    strace -f -ff -qq --decode-pids=pidns -o /tmp/inventory/t \\
        .venv/bin/python -m pytest -q -p no:cacheprovider tests/labs/runtime/test_runtime_sandbox.py \\
        tests/labs/runtime/test_runtime_sandbox_seccomp.py tests/labs/runtime/test_runtime_boto3.py \\
        tests/labs/runtime/test_runtime_semantics.py tests/labs/runtime/test_designs_end_to_end.py \\
        tests/labs/test_lab_catalog.py
    strace -f -ff -qq --decode-pids=pidns -o /tmp/inventory/t .venv/bin/python bench/seccomp_inventory.py tour
    .venv/bin/python bench/seccomp_inventory.py /tmp/inventory

Reads strace's per-process files (``t.<pid>``): a process counts from the line where it installed the filter
(``prctl(PR_SET_SECCOMP, ...) = 0``), and every process it starts afterwards (``clone``, ``fork``, ``vfork``,
``clone3``; pids translated to strace's namespace by ``--decode-pids=pidns``) counts from its start. Prints
each system call name with the number of processes that made it and how many times, then the names alone
as a Python set, ready to compare with ``labs/runtime/sandbox/seccomp.py``'s allow list.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

_CALL = re.compile(r"^([a-z_0-9]+)\(")
# "= 5 /* 20988 in strace's PID NS */": the child's pid in its namespace, then in strace's
_RETURNED_PID = r"=\s+(\d+)(?:\s+/\* (\d+) in strace's PID NS \*/)?"
_CHILD = re.compile(r"^(?:clone|clone3|fork|vfork)\(.*\)\s+" + _RETURNED_PID)
_RESUMED_CHILD = re.compile(r"^<\.\.\. (?:clone|clone3|fork|vfork) resumed>.*" + _RETURNED_PID)
_FILTER = re.compile(r"^(?:prctl\(PR_SET_SECCOMP|seccomp\(SECCOMP_SET_MODE_FILTER).*\)\s+=\s+0")


def _children(line: str) -> int | None:
    match = _CHILD.match(line) or _RESUMED_CHILD.match(line)
    if match is None:
        return None
    return int(match.group(2) or match.group(1))


def inventory(directory: Path) -> tuple[collections.Counter, collections.Counter]:
    """(calls per name, processes per name) over every filtered process traced in ``directory``."""
    lines = {
        int(path.suffix[1:]): path.read_text(errors="replace").splitlines() for path in directory.glob("t.*")
    }
    start: dict[int, int] = {}
    for pid, text in lines.items():
        for index, line in enumerate(text):
            if _FILTER.match(line):
                start[pid] = index + 1
                break
    pending = list(start)
    while pending:
        pid = pending.pop()
        for line in lines.get(pid, [])[start[pid] :]:
            child = _children(line)
            if child is not None and child in lines and child not in start:
                start[child] = 0
                pending.append(child)
    calls, processes = collections.Counter(), collections.Counter()
    for pid, first in start.items():
        seen = set()
        for line in lines[pid][first:]:
            match = _CALL.match(line)  # "<... name resumed>" lines were counted when the call began
            if match:
                name = match.group(1)
                calls[name] += 1
                seen.add(name)
        processes.update(seen)
    return calls, processes


def tour() -> None:
    """Invoke ``seccomp_tour.py``'s handler once in a fresh account (with a role that allows everything)."""
    import json

    from labs.runtime import Cloud
    from labs.runtime.awslambda.packaging import zip_files

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    with Cloud(seed=1) as cloud:
        iam = cloud.client("iam")
        role = iam.create_role(RoleName="tour", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="tour", PolicyName="all", PolicyDocument=json.dumps(allow_all))
        code = zip_files({"app.py": (Path(__file__).parent / "seccomp_tour.py").read_text()})
        cloud.client("lambda").create_function(
            FunctionName="tour", Runtime="python3.12", Role=role, Handler="app.handler",
            Code={"ZipFile": code}, Timeout=120, MemorySize=1024,
        )  # fmt: skip
        response = cloud.client("lambda").invoke(FunctionName="tour")
        print(response.get("FunctionError"), json.dumps(json.loads(response["Payload"].read()), indent=1))


def main() -> None:
    if sys.argv[1:] == ["tour"]:
        tour()
        return
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/inventory")
    calls, processes = inventory(directory)
    for name in sorted(calls):
        print(f"{name:24} {processes[name]:6} processes {calls[name]:9} calls")
    print(sorted(calls))


if __name__ == "__main__":
    main()
