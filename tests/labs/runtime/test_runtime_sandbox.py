"""The sandbox battery: each attack is contained, reported Lambda's way, and the host is unaffected."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labs.runtime import SandboxUnavailableError
from labs.runtime.sandbox.host import resolve_mode

REPO_ROOT = str(Path(__file__).resolve().parents[3])


def run(deploy, invoke, body: str, **kwargs):
    code = "import os, sys, socket, time, subprocess, ctypes\ndef handler(event, context):\n" + "".join(
        f"    {line}\n" for line in textwrap.dedent(body).strip().splitlines()
    )
    return invoke(deploy(code, **kwargs))


def _host_process_count() -> int:
    """User processes only: tearing namespaces and cgroups down starts kernel workers (children of
    kthreadd, pid 2), which come and go on their own and are not the environment's processes."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or name == "2":
            continue
        try:
            with open(f"/proc/{name}/stat") as file:
                parent = file.read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue  # it exited meanwhile
        count += parent != "2"
    return count


def test_fork_bomb_is_contained(cloud, deploy, invoke):
    # Bounded at 400 children so that a regression cannot take the CI machine down. The children never
    # exit on their own: only killing the environment's PID namespace ends them. The function may start
    # at most 64 processes (a pids cgroup per environment; RLIMIT_NPROC where the host is not root).
    before = _host_process_count()
    _, payload, logs = run(
        deploy,
        invoke,
        """
    started = 0
    for _ in range(400):
        try:
            if os.fork() == 0:
                while True:
                    time.sleep(1)
        except OSError as error:
            print("fork refused:", error.strerror)
            break
        started += 1
    print("children started:", started, flush=True)
    while True:
        pass
    """,
        Timeout=2,
    )
    assert payload["errorType"] == "Sandbox.Timedout"
    started = int(logs.split("children started: ")[1].split()[0])
    assert 1 <= started <= 64
    assert "fork refused: Resource temporarily unavailable" in logs
    deadline = __import__("time").monotonic() + 5
    while _host_process_count() > before + 5 and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.1)
    assert _host_process_count() <= before + 5


def test_each_environment_gets_its_own_process_limit(cloud, deploy, invoke):
    """A fork bomb in one environment must not stop another environment from starting processes."""
    from labs.runtime.sandbox.host import fork_server

    if os.getuid() == 0:  # as root only the pids cgroup limits processes; it must be there
        assert fork_server(cloud.sandbox_mode).limiter.available
    _, first, _ = run(deploy, invoke, "return os.fork() and 'parent' or os._exit(0)")
    assert first == "parent"


def test_cpu_spin_times_out(deploy, invoke):
    _, payload, _ = run(deploy, invoke, "while True:\n    pass", Timeout=1)
    assert payload["errorType"] == "Sandbox.Timedout"


@pytest.mark.parametrize(
    "path",
    [
        "/etc/shadow",
        "/etc/passwd",
        f"{REPO_ROOT}/config/settings/base.py",
        f"{REPO_ROOT}/db.sqlite3",
        f"{REPO_ROOT}/pyproject.toml",
        "/root/.bash_history",
    ],
)
def test_host_files_are_invisible(deploy, invoke, path):
    _, payload, _ = run(
        deploy,
        invoke,
        f"""
    try:
        return open({path!r}).read()[:10]
    except OSError as error:
        return type(error).__name__
    """,
    )
    assert payload in ("FileNotFoundError", "PermissionError")


def test_host_environment_is_invisible(deploy, invoke, monkeypatch):
    os.environ["LABS_SECRET_PROBE"] = "s3cr3t"
    try:
        _, payload, _ = run(deploy, invoke, "return dict(os.environ)")
    finally:
        del os.environ["LABS_SECRET_PROBE"]
    assert "LABS_SECRET_PROBE" not in payload and "s3cr3t" not in str(payload)
    assert "DJANGO_SETTINGS_MODULE" not in payload


@pytest.mark.parametrize(
    "address", [("127.0.0.1", 6379), ("127.0.0.1", 5432), ("1.1.1.1", 443), ("169.254.169.254", 80)]
)
def test_no_network(deploy, invoke, address):
    _, payload, _ = run(
        deploy,
        invoke,
        f"""
    try:
        socket.create_connection({address!r}, timeout=1)
        return "connected"
    except OSError as error:
        return type(error).__name__
    """,
    )
    assert payload != "connected"


def test_filesystem_is_read_only_outside_tmp(deploy, invoke):
    _, payload, _ = run(
        deploy,
        invoke,
        """
    results = {}
    for path in ("/var/task/new.py", "/usr/lib/x", "/opt/x", "/x", "/var/runtime/x", "/dev/x"):
        try:
            open(path, "w").write("x")
            results[path] = "written"
        except OSError as error:
            results[path] = type(error).__name__
    open("/tmp/ok", "w").write("fine")
    return results
    """,
    )
    assert "written" not in payload.values()


def test_tmp_is_capped(deploy, invoke):
    _, payload, _ = run(
        deploy,
        invoke,
        """
    try:
        with open("/tmp/big", "wb") as f:
            for _ in range(700):
                f.write(b"x" * 1024 * 1024)
        return "filled"
    except OSError as error:
        return type(error).__name__
    """,
        Timeout=20,
    )
    assert payload != "filled"


def test_huge_output_is_capped_and_drained(deploy, invoke):
    response, payload, logs = run(
        deploy,
        invoke,
        """
    chunk = "x" * 1024 * 1024
    for _ in range(100):
        print(chunk)
    return "done"
    """,
        Timeout=30,
    )
    assert payload == "done"
    assert len(logs.encode()) <= 4096


def test_subprocesses_find_no_binaries(deploy, invoke):
    _, payload, _ = run(
        deploy,
        invoke,
        """
    try:
        return subprocess.run(["/bin/sh", "-c", "id"], capture_output=True).stdout.decode()
    except OSError as error:
        return type(error).__name__
    """,
    )
    assert payload in ("FileNotFoundError", "PermissionError")


def test_killing_parent_or_pid_1_does_not_reach_the_host(cloud, deploy, invoke):
    from labs.runtime.sandbox.host import fork_server

    server = fork_server(cloud.sandbox_mode)
    _, payload, _ = run(
        deploy,
        invoke,
        """
    results = {"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid()}
    for target in (os.getppid(), 1, -1):
        try:
            os.kill(target, 9)
            results[str(target)] = "sent"
        except OSError as error:
            results[str(target)] = type(error).__name__
    time.sleep(0.3)  # time for a stray SIGKILL to land on the fork server (whose death would end us too)
    return results
    """,
    )
    # getppid() is 0 (the parent is outside the PID namespace), and kill(0, ...) signals the process group:
    # the environment's own, not the fork server's; PID 1 ignores a SIGKILL sent from inside its namespace.
    assert payload["uid"] == 993 and payload["pid"] == 1 and payload["ppid"] == 0, payload
    assert payload["-1"] == "ProcessLookupError"  # nothing else to signal in its namespace
    assert server.alive() and fork_server(cloud.sandbox_mode) is server  # the fork server survived
    assert run(deploy, invoke, "return 'next'")[1] == "next"


def test_proc_and_ctypes_tricks_fail(deploy, invoke):
    _, payload, _ = run(
        deploy,
        invoke,
        """
    results = {"proc": os.listdir("/proc")}
    libc = ctypes.CDLL(None, use_errno=True)
    results["unshare"] = libc.unshare(0x10000000 | 0x00020000)
    results["umount"] = libc.umount2(b"/var/functions", 2)
    try:
        results["store"] = os.listdir("/var/functions")
    except OSError as error:
        results["store"] = type(error).__name__
    return results
    """,
    )
    assert payload["proc"] == []
    assert payload["umount"] == -1
    assert payload["store"] in ([], "FileNotFoundError", "PermissionError")


def test_environments_cannot_see_each_others_tmp(deploy, invoke):
    writer = deploy("def handler(e, c):\n    open('/tmp/secret', 'w').write('mine')\n    return 1\n")
    reader = deploy("import os\ndef handler(e, c):\n    return os.path.exists('/tmp/secret')\n")
    assert invoke(writer)[1] == 1
    assert invoke(reader)[1] is False


def test_forged_protocol_text_on_stdout_changes_nothing(cloud, deploy, invoke):
    name = deploy("""
    import json, struct, sys
    def handler(event, context):
        forged = json.dumps({"type": "result", "payload": "\\"forged\\""}).encode()
        sys.stdout.buffer.write(struct.pack(">I", len(forged)) + forged)
        print('{"type": "result", "payload": "forged"}')
        sys.stdout.flush()
        return "real"
    """)
    assert invoke(name)[1] == "real"
    assert all(entry.get("status") == "done" for entry in cloud.trace.of_kind("invocation"))


def test_garbage_on_the_channel_discards_the_environment(deploy, invoke):
    name = deploy("""
    import os
    def handler(event, context):
        os.write(CHANNEL, b"\\xff\\xff\\xff\\xffgarbage")
        return "never"
    import lambda_runtime
    CHANNEL = lambda_runtime._channel_fd
    """)
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Runtime.ExitError"


def test_sandbox_refuses_without_bubblewrap(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("LABS_RUNTIME_UNSAFE_NO_SANDBOX", raising=False)
    with pytest.raises(SandboxUnavailableError, match="refusing to run untrusted code"):
        resolve_mode(None)
    monkeypatch.setenv("LABS_RUNTIME_UNSAFE_NO_SANDBOX", "1")
    assert resolve_mode(None) == "unsafe"


def test_unsafe_mode_warns_on_every_run(tmp_path):
    script = (
        "import io, zipfile, json\n"
        "from labs.runtime import Cloud\n"
        "buf = io.BytesIO()\n"
        "zipfile.ZipFile(buf, 'w').writestr('app.py', 'def handler(e, c):\\n    return 5\\n')\n"
        "with Cloud(sandbox='unsafe') as cloud:\n"
        "    role = cloud.client('iam').create_role(RoleName='r', AssumeRolePolicyDocument='{}')['Role']['Arn']\n"
        "    lam = cloud.client('lambda')\n"
        "    lam.create_function(FunctionName='f', Runtime='python3.12', Role=role, Handler='app.handler', Code={'ZipFile': buf.getvalue()})\n"
        "    print([json.loads(lam.invoke(FunctionName='f')['Payload'].read()) for _ in range(2)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )
    assert result.stdout.strip() == "[5, 5]", result.stderr
    assert result.stderr.count("WITHOUT a sandbox") == 2


def test_environment_holds_only_its_own_descriptors(deploy, invoke):
    """The fork server supervises every environment: none may inherit another's status socket or pidfd."""
    other = deploy("def handler(e, c):\n    return 1\n")
    assert invoke(other)[1] == 1  # a live environment whose descriptors the fork server now holds
    _, payload, _ = run(
        deploy,
        invoke,
        """
    import lambda_runtime
    open_fds = []
    for fd in range(1024):
        try:
            os.fstat(fd)
            open_fds.append(fd)
        except OSError:
            pass
    return {"open": open_fds, "channel": lambda_runtime._channel_fd}
    """,
    )
    assert payload["open"] == [0, 1, 2, payload["channel"]]


def test_environment_refuses_to_run_outside_its_pids_cgroup(deploy, invoke, monkeypatch, tmp_path):
    """A spare (or, once it has failed, a direct clone) that cannot join its cgroup never runs the code."""
    from labs.runtime.sandbox import host
    from labs.runtime.sandbox.cgroups import ProcessLimiter

    if os.getuid() != 0:
        pytest.skip("pids cgroups are used when the host is root")
    unwritable = lambda self, processes: (os.open(os.devnull, os.O_RDONLY), tmp_path / "none")  # noqa: E731
    monkeypatch.setattr(ProcessLimiter, "open_for_environment", unwritable)
    monkeypatch.setattr(ProcessLimiter, "close", lambda self: None)  # the hierarchy is shared
    monkeypatch.setattr(host, "_servers", {})  # a fork server of its own, started with these cgroups
    name = deploy("def handler(e, c):\n    return 'ran'\n")
    try:
        for _ in range(3):  # the first spare, then direct clones after each failed spare
            _, payload, logs = invoke(name)
            assert payload["errorType"] == "Runtime.ExitError", (payload, logs)
    finally:
        for server in host._servers.values():
            server.close()
        monkeypatch.undo()
    assert invoke(name)[1] == "ran"  # the shared fork server, with real cgroups, still serves


SECRET_HUNT = """
import gc, sys
def handler(event, context):
    needle, found = event["reversed"][::-1], []  # never in the event itself
    frame = sys._getframe().f_back  # the handler's own frame holds the needle
    while frame is not None:  # the Python stack this process was cloned with
        if needle in repr(frame.f_locals):
            found.append(frame.f_code.co_name)
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and any(isinstance(v, str) and needle in v for v in obj.values()):
            found.append("object")
    return found
"""


def test_an_environment_holds_nothing_of_the_function_before_it(deploy, invoke):
    """Spares are cloned between requests: none may carry the previous function's spec on its stack."""
    secret = "previous-function-secret-4f2a"
    first = deploy("def handler(e, c):\n    return 1\n", Environment={"Variables": {"PROBE": secret}})
    assert invoke(first)[1] == 1
    _, found, logs = invoke(deploy(SECRET_HUNT), {"reversed": secret[::-1]})
    assert found == [], (found, logs)
