"""The code store (HIGH-1 of the 2026-12 security review): function code is unpacked per simulated account,
bounded, refused when it is a zip bomb, and deleted when the account closes or its process ends.

Limits checked against https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (250 MB
unzipped per function with its layers; 75 GB of code storage per account, ours is 50 MB per grading) and
CodeStorageExceededException ("Your account has exceeded its maximum total code size",
https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#API_CreateFunction_Errors).
"""

import io
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from labs.runtime import Cloud, InvalidCodeError
from labs.runtime.sandbox import codestore
from labs.runtime.sandbox.cgroups import sweep_abandoned_cgroups
from labs.runtime.sandbox.codestore import AccountCode, CodeTooLargeError, sweep_abandoned, unzipped_size
from labs.runtime.sandbox.host import fork_server

from .conftest import TRUST_POLICY, make_zip

REPO_ROOT = str(Path(__file__).resolve().parents[3])

# The review's probe: a handler whose role allows lambda:* makes 3 functions, each a ~20 KB zip of 20 MB
# of zeros, and invokes them. Before the fix, 61 MB stayed on the host after the Cloud closed.
BOMB_HANDLER = """
import io, zipfile, boto3
def handler(event, context):
    client, answers = boto3.client("lambda"), []
    for i in range(3):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("app.py", f"def handler(e, c):\\n    return {i}\\n")
            archive.writestr(event.get("name", "zeros.bin"), event.get("fill", "\\0") * event["size"])
        try:
            client.create_function(FunctionName=f"made-{i}", Runtime="python3.12", Role=event["role"],
                                   Handler="app.handler", Code={"ZipFile": buffer.getvalue()})
            answers.append(client.invoke(FunctionName=f"made-{i}")["Payload"].read().decode())
        except Exception as error:
            answers.append(f"refused: {error}")
    return answers
"""

RANDOM_HANDLER = BOMB_HANDLER.replace(
    'event.get("fill", "\\\\0") * event["size"]', '__import__("os").urandom(event["size"])'
)


def _store_bytes(cloud: Cloud) -> int:
    root = fork_server(cloud.sandbox_mode).store.root
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and path.name != ".owner")


def _account_dir(cloud: Cloud) -> Path:
    return fork_server(cloud.sandbox_mode).store.root / cloud.code.name


def _maker(cloud: Cloud, handler: str) -> str:
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="maker", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["lambda:*", "iam:PassRole"], "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="maker", PolicyName="p", PolicyDocument=json.dumps(policy))
    cloud.client("lambda").create_function(
        FunctionName="maker",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": handler})},
        Timeout=60,
        MemorySize=512,
    )
    return role


def _invoke(cloud: Cloud, name: str, event: dict):
    response = cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_the_reviews_zip_bombs_are_refused_and_nothing_stays_after_close():
    with Cloud(seed=7) as cloud:
        role = _maker(cloud, BOMB_HANDLER)
        error, answers = _invoke(cloud, "maker", {"role": role, "size": 20 * 1024 * 1024})
        assert error is None
        assert len(answers) == 3
        for answer in answers:
            assert "InvalidParameterValueException" in answer
            assert "zeros.bin" in answer and "more than 100 times compressed" in answer
        assert _account_dir(cloud).is_dir()  # the maker's own code
        assert _store_bytes(cloud) < 64 * 1024
    assert not _account_dir(cloud).exists()
    assert _store_bytes(cloud) == 0


def test_functions_a_handler_creates_count_toward_the_accounts_limit():
    with Cloud(seed=7, code_limit_bytes=1024 * 1024) as cloud:
        role = _maker(cloud, RANDOM_HANDLER)
        error, answers = _invoke(cloud, "maker", {"role": role, "size": 400 * 1024})
        assert error is None
        assert answers[:2] == ["0", "1"]
        assert "CodeStorageExceededException" in answers[2]
        assert "your functions' code would unpack to 1.2 MB; the limit is 1 MB" in answers[2]
        assert cloud.code.unpacked_bytes < 1024 * 1024
    assert not _account_dir(cloud).exists()


def test_grader_side_create_function_gets_the_same_clear_error():
    with Cloud(seed=7, code_limit_bytes=100 * 1024) as cloud:
        iam = cloud.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
        archive = make_zip(
            {"app.py": "def handler(e, c):\n    return 1\n", "data.bin": os.urandom(200 * 1024).hex()}
        )
        with pytest.raises(ClientError) as raised:
            cloud.client("lambda").create_function(
                FunctionName="big",
                Runtime="python3.12",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": archive},
            )
        assert raised.value.response["Error"]["Code"] == "CodeStorageExceededException"
        assert raised.value.response["Error"]["Message"] == (
            "your functions' code would unpack to 0.4 MB; the limit is 0.1 MB"
        )


def _lying_zip() -> bytes:
    """A zip whose headers say its file is 10 bytes long while the data holds 2,000 (the CRC is of all of it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
        archive.writestr("pad.txt", "x" * 2000)
    data = bytearray(buffer.getvalue())
    size = (2000).to_bytes(4, "little")
    lie = (10).to_bytes(4, "little")
    # local header: uncompressed size at offset 22; central directory: at offset 24 (both after a signature)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + offset : start + offset + 4] == size:
                data[start + offset : start + offset + 4] = lie
            start += 4
    return bytes(data)


def test_an_archive_that_lies_fails_its_invocation_and_leaves_no_staging(cloud):
    archive = _lying_zip()
    assert unzipped_size(archive) < 100  # what its directory claims
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    cloud.client("lambda").create_function(
        FunctionName="liar", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": archive}
    )
    error, body = _invoke(cloud, "liar", {})
    assert error == "Unhandled"
    assert body["errorType"] == "InvalidCodeError"
    assert "not a valid zip archive" in body["errorMessage"]
    account = _account_dir(cloud)
    assert not account.exists() or list(account.iterdir()) == []


def test_unpacking_counts_every_directory_and_cleans_up_on_error(tmp_path):
    code = AccountCode(limit_bytes=300 * 1024)
    first = make_zip({"a.txt": os.urandom(100 * 1024).hex()})  # 200 KB unpacked
    second = make_zip({"b.txt": os.urandom(100 * 1024).hex()})
    name = code.directory(tmp_path, [first])
    assert (tmp_path / name / "a.txt").stat().st_size == 200 * 1024
    assert code.directory(tmp_path, [first]) == name  # unpacked once
    with pytest.raises(CodeTooLargeError, match=r"would unpack to 0\.6 MB; the limit is 0\.3 MB"):
        code.directory(tmp_path, [first, second])  # a function with a layer: 200 KB + 400 KB more
    assert sorted(p.name for p in (tmp_path / code.name).iterdir()) == [name.split("/")[1]]
    code.remove()
    assert not (tmp_path / code.name).exists()


def test_archive_checks(monkeypatch):
    assert unzipped_size(make_zip({"app.py": "x = 1\n" * 1000})) == 6000  # 6 KB of source is fine
    with pytest.raises(InvalidCodeError, match="not a valid zip"):
        unzipped_size(b"not a zip")
    with pytest.raises(InvalidCodeError, match="escapes the code directory"):
        unzipped_size(make_zip({"../evil.py": "x"}))
    with pytest.raises(InvalidCodeError, match=r"'big.bin' unpacks to 2097152 bytes .* zip bomb"):
        unzipped_size(make_zip({"big.bin": "\0" * (2 * 1024 * 1024)}))
    # many small entries, each under 1 MiB, still make an archive that is mostly air
    many = {f"f{i}.txt": "\0" * (512 * 1024) for i in range(4)}
    with pytest.raises(InvalidCodeError, match="the archive unpacks to 2097152 bytes .* zip bomb"):
        unzipped_size(make_zip(many))
    monkeypatch.setattr(codestore, "FUNCTION_UNZIPPED_LIMIT", 1000)
    with pytest.raises(InvalidCodeError, match="Unzipped size must be smaller than 1000 bytes"):
        unzipped_size(make_zip({"data.txt": os.urandom(1000).hex()}))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_sweep_removes_only_stores_of_processes_that_are_gone(tmp_path):
    own = os.getpid()
    started = codestore._start_time(own)

    def root(name: str, owner: str | None) -> Path:
        path = tmp_path / name
        (path / "account-1-1" / "abc").mkdir(parents=True)
        if owner is not None:
            (path / ".owner").write_text(owner)
        return path

    dead = root(f"labs-runtime-store-{_dead_pid()}-a1", f"{_dead_pid()} 123")
    reused = root(f"labs-runtime-store-{own}-b2", f"{own} 1")  # this pid, another process's start time
    alive = root(f"labs-runtime-store-{own}-c3", f"{own} {started}")
    fresh = root(f"labs-runtime-store-{own}-d4", None)  # being created right now
    stale = root(f"labs-runtime-store-{own}-e5", None)
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    other = root("labs-runtime-store-old8char", None)  # an old-style store: not ours to judge
    os.utime(other, (time.time() - 2 * 86400,) * 2)
    removed = sweep_abandoned(str(tmp_path))
    assert sorted(removed) == sorted([dead, reused, stale])
    assert all(path.exists() for path in (alive, fresh, other))
    assert not any(path.exists() for path in (dead, reused, stale))


def test_sweep_removes_empty_cgroups_of_processes_that_are_gone(tmp_path):
    dead = tmp_path / f"labs-runtime-{_dead_pid()}"
    (dead / "env-1").mkdir(parents=True)
    (dead / "env-2").mkdir()
    alive = tmp_path / f"labs-runtime-{os.getpid()}"
    (alive / "env-1").mkdir(parents=True)
    assert sweep_abandoned_cgroups((str(tmp_path),)) == [dead]
    assert not dead.exists() and alive.exists()


SIGKILLED_HOST = textwrap.dedent(
    """
    import json, os, signal
    from labs.runtime import Cloud
    from labs.runtime.awslambda.packaging import zip_files
    from labs.runtime.sandbox.host import fork_server
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    cloud = Cloud(seed=1)
    role = cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    cloud.client("lambda").create_function(FunctionName="f", Runtime="python3.12", Role=role,
        Handler="app.handler", Code={"ZipFile": zip_files({"app.py": "def handler(e, c):\\n    return 1\\n"})})
    cloud.client("lambda").invoke(FunctionName="f")
    server = fork_server(cloud.sandbox_mode)
    print(server.store.root, server.limiter.parent if server.limiter else "", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_sigkilled_hosts_store_and_cgroups_are_swept_by_the_next_fork_server():
    result = subprocess.run(
        [sys.executable, "-c", SIGKILLED_HOST], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == -9, result.stderr
    store, cgroup = (result.stdout.split() + [""])[:2]
    store = Path(store)
    assert (store / ".owner").exists()
    assert any(path.name.startswith("account-") for path in store.iterdir())
    time.sleep(0.2)  # its fork server (--die-with-parent) and environments are ending
    # the next process that starts a fork server (as a worker does when it starts) sweeps
    starter = (
        "from labs.runtime.sandbox.host import fork_server, resolve_mode; fork_server(resolve_mode(None))"
    )
    subprocess.run([sys.executable, "-c", starter], cwd=REPO_ROOT, check=True, timeout=120)
    assert not store.exists()
    if cgroup:
        assert not Path(cgroup).exists()
