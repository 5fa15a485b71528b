"""What one process reuses from one simulated account to the next (labs/runtime/core/client_pool.py, the
sandbox probe, discarding environments at close), and that none of it lets one account reach another."""

import gc
import os
import time
import weakref

import pytest

from labs.runtime import Cloud, LabsRuntimeError, SandboxUnavailableError
from labs.runtime.sandbox import host
from tests.labs.runtime.conftest import TRUST_POLICY, make_zip


def _descendants(pid: int) -> int:
    """How many processes descend from ``pid`` (other programs on the host do not count)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()  # noqa: PTH123, SIM115 - a one-line read
            except OSError:
                continue
            parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = 0, [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found, frontier = found + len(children), children
    return found


def test_a_client_lent_again_acts_only_on_the_account_that_holds_it():
    with Cloud() as first:
        iam = first.client("iam")
        iam.create_role(RoleName="first-only", AssumeRolePolicyDocument=TRUST_POLICY)
    with Cloud() as second:
        again = second.client("iam")
        assert again is iam  # the same client object, lent to the next account
        assert [role["RoleName"] for role in again.list_roles()["Roles"]] == []
        again.create_role(RoleName="second-only", AssumeRolePolicyDocument=TRUST_POLICY)
        assert [role["Arn"].split(":")[4] for role in again.list_roles()["Roles"]] == [second.account_id]


def test_a_client_kept_past_close_refuses_to_send():
    with Cloud() as cloud:
        kept = cloud.client("lambda")
        assert kept.list_functions()["Functions"] == []
    with pytest.raises(LabsRuntimeError, match="has been closed"):
        kept.list_functions()


def test_two_clients_of_one_service_in_one_account_are_distinct_and_both_work():
    with Cloud() as outer, Cloud() as inner:
        a, b, c = outer.client("sqs"), outer.client("sqs"), inner.client("sqs")
        assert len({id(a), id(b), id(c)}) == 3
        a.create_queue(QueueName="outer")
        assert len(b.list_queues()["QueueUrls"]) == 1
        assert "QueueUrls" not in c.list_queues()


def test_s3_clients_are_never_lent_again():
    # botocore's S3 client remembers each bucket's region, and bucket names are free again in a new account
    with Cloud() as first:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="reused-name")
    with Cloud() as second:
        other = second.client("s3")
        assert other is not s3
        assert other.list_buckets()["Buckets"] == []


def test_clients_with_options_are_made_for_the_account_alone():
    with Cloud() as first:
        configured = first.client("iam", region_name="us-east-1")
    with Cloud() as second:
        assert second.client("iam", region_name="us-east-1") is not configured


def test_bubblewrap_is_probed_once_per_process_and_a_path_without_it_is_still_refused(monkeypatch):
    assert host.resolve_mode(None) == "bwrap"  # proven (here or by an earlier test)

    def no_probe(*args, **kwargs):
        raise AssertionError(f"bubblewrap probed again: {args}")

    monkeypatch.setattr(host.subprocess, "run", no_probe)
    assert host.resolve_mode(None) == "bwrap"
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("LABS_RUNTIME_UNSAFE_NO_SANDBOX", raising=False)
    with pytest.raises(SandboxUnavailableError, match="refusing to run untrusted code"):
        host.resolve_mode(None)


def _warm_functions(cloud, count: int) -> None:
    role = cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]
    code = make_zip({"app.py": "def handler(event, context):\n    return 1\n"})
    lam = cloud.client("lambda")
    for index in range(count):
        lam.create_function(
            FunctionName=f"f{index}",
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="app.handler",
            Code={"ZipFile": code},
        )
        assert cloud.lambda_.invoke(f"f{index}").payload == b"1"


def test_closing_an_account_ends_its_warm_environments():
    server = host.fork_server("bwrap")._process.pid  # bwrap, then the fork server inside it
    with Cloud() as warm_up:  # whatever the fork server keeps once it has served a spawn is the baseline
        _warm_functions(warm_up, 1)
    time.sleep(0.5)
    before = _descendants(server)
    with Cloud() as cloud:
        _warm_functions(cloud, 3)
        assert _descendants(server) > before  # the environments are processes on the host
        # held here, so only the close (not the garbage collector closing their sockets) can end them
        held = [env for envs in cloud.lambda_._idle.values() for env in envs]
        assert len(held) == 3
    deadline = time.monotonic() + 5
    while _descendants(server) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descendants(server) <= before
    assert not any(env.alive for env in held)


def test_api_gateway_settings_moto_drops_are_kept_by_every_account_a_client_serves():
    for _ in range(2):
        with Cloud() as cloud:
            gateway = cloud.client("apigateway")
            api = gateway.create_rest_api(name="api", binaryMediaTypes=["image/png"])
            assert gateway.get_rest_api(restApiId=api["id"])["binaryMediaTypes"] == ["image/png"]


def test_a_closed_account_is_not_kept_alive_by_the_shared_boto3_session():
    with Cloud() as cloud:
        cloud.client("apigateway").create_rest_api(name="api")
        cloud.client("lambda").list_functions()
    closed = weakref.ref(cloud)
    del cloud
    gc.collect()
    assert closed() is None


def test_moto_does_not_keep_a_closed_accounts_objects():
    from moto.awslambda.models import LambdaFunction
    from moto.iam.models import Role

    with Cloud() as cloud:
        role = cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]
        cloud.client("lambda").create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": "def handler(event, context):\n    return 1\n"})},
        )
        assert any(kept.account_id == cloud.account_id for kept in Role.instances_tracked)
    # moto lists every model object it makes on the object's class; a worker grading all day would keep
    # every account it ever simulated
    assert not [kept for kept in Role.instances_tracked if kept.account_id == cloud.account_id]
    assert not [kept for kept in LambdaFunction.instances_tracked if kept.account_id == cloud.account_id]
