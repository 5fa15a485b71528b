"""The sandbox's seccomp filter: kernel attack surface a handler never needs answers EPERM, the rest works.

System call numbers are written out here from the kernel's tables, independently of the filter's own table,
so that a wrong number in ``labs/runtime/sandbox/seccomp.py`` fails these tests instead of being checked against itself.
"""

import os

import pytest

NUMBERS = {
    "x86_64": {
        "ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272, "setns": 308,
        "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "reboot": 169,
        "swapon": 167, "open_by_handle_at": 304, "userfaultfd": 323, "clone": 56,
    },
    "aarch64": {
        "ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "unshare": 97, "setns": 268,
        "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "reboot": 142,
        "swapon": 224, "open_by_handle_at": 265, "userfaultfd": 282, "clone": 220,
    },
}  # fmt: skip
COMMON = {
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "fsopen": 430,
    "clone3": 435,
}
MACHINE = os.uname().machine
pytestmark = pytest.mark.skipif(MACHINE not in NUMBERS, reason="the sandbox supports x86_64 and aarch64")

# Each call is made with arguments that, without the filter, fail differently or succeed harmlessly (bad
# descriptors, null pointers, invalid flag combinations), so EPERM can only come from the filter.
PROBE = """
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {numbers!r}
CALLS = {{
    "ptrace": (0, 0, 0, 0),  # PTRACE_TRACEME: succeeds without a filter
    "mount": (0, 0, 0, 0, 0),
    "umount2": (0, 0),
    "pivot_root": (0, 0),
    "unshare": (0x10000000,),  # CLONE_NEWUSER: allowed to any unprivileged process without a filter
    "setns": (-1, 0),  # EBADF without a filter
    "keyctl": (0, -1, 0, 0, 0),  # KEYCTL_GET_KEYRING_ID of no keyring
    "add_key": (0, 0, 0, 0, 0),  # EFAULT without a filter
    "request_key": (0, 0, 0, 0),
    "bpf": (-1, 0, 0),  # EINVAL without a filter
    "perf_event_open": (0, 0, -1, -1, 0),
    "kexec_load": (0, 0, 0, 0),
    "kexec_file_load": (-1, -1, 0, 0, 0),
    "init_module": (0, 0, 0),
    "finit_module": (-1, 0, 0),
    "reboot": (0, 0, 0, 0),
    "swapon": (0, 0),
    "open_by_handle_at": (-1, 0, 0),
    "userfaultfd": (1,),  # UFFD_USER_MODE_ONLY: allowed unprivileged without a filter
    "io_uring_setup": (1, 0),  # EFAULT without a filter
    "io_uring_enter": (-1, 0, 0, 0, 0, 0),
    "io_uring_register": (-1, 0, 0, 0),
    "fsopen": (0, 0),
    "clone": (0x10000000 | 0x200 | 17,),  # CLONE_NEWUSER | CLONE_FS: EINVAL without a filter
    "clone3": (0, 0),  # EINVAL without a filter; ENOSYS makes the C library fall back to clone
}}
def handler(event, context):
    results = {{"mode": libc.prctl(21, 0, 0, 0, 0)}}  # PR_GET_SECCOMP: 2 means a filter is installed
    for name, arguments in CALLS.items():
        ctypes.set_errno(0)
        result = libc.syscall(NR[name], *[ctypes.c_long(a) for a in arguments])
        results[name] = errno.errorcode.get(ctypes.get_errno(), "none") if result == -1 else result
    return results
"""


def test_dangerous_system_calls_are_denied(deploy, invoke):
    numbers = {**NUMBERS[MACHINE], **COMMON}
    _, payload, logs = invoke(deploy(PROBE.format(numbers=numbers)))
    assert isinstance(payload, dict), logs
    assert payload.pop("mode") == 2
    assert payload.pop("clone3") == "ENOSYS"
    assert payload == {name: "EPERM" for name in payload}
    assert set(payload) == set(numbers) - {"clone3"}


NORMAL = """
import os, subprocess, sys, threading
import boto3

def handler(event, context):
    results = {}
    thread_saw = []
    worker = threading.Thread(target=lambda: thread_saw.append(threading.get_native_id()))
    worker.start()
    worker.join()
    results["thread"] = len(thread_saw) == 1 and thread_saw[0] != threading.get_native_id()
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    results["fork"] = os.WEXITSTATUS(os.waitpid(pid, 0)[1])
    results["subprocess"] = subprocess.run(
        [sys.executable, "-S", "-c", "print(6 * 7)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with open("/tmp/note.txt", "w") as file:
        file.write("kept")
    results["tmp"] = open("/tmp/note.txt").read()
    s3 = boto3.client("s3")
    s3.put_object(Bucket="seccomp-bucket", Key="k", Body=b"v")
    results["s3"] = s3.get_object(Bucket="seccomp-bucket", Key="k")["Body"].read().decode()
    return results
"""


def test_ordinary_handlers_still_work_under_the_filter(cloud, deploy, invoke):
    cloud.client("s3").create_bucket(Bucket="seccomp-bucket")
    _, payload, logs = invoke(deploy(NORMAL, actions=["s3:*"]))
    assert payload == {"thread": True, "fork": 7, "subprocess": "42", "tmp": "kept", "s3": "v"}, logs


@pytest.mark.skipif(MACHINE != "x86_64", reason="the x32 ABI exists on x86_64 only")
def test_other_system_call_abis_kill_the_environment(deploy, invoke):
    """x32 numbers (bit 30 set) pass the architecture check but name other calls: the process is killed."""
    code = (
        "import ctypes\n"
        "def handler(event, context):\n"
        "    ctypes.CDLL(None).syscall(0x40000000 | 39)  # x32 getpid\n"
        "    return 'survived'\n"
    )
    _, payload, _ = invoke(deploy(code))
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: signal: 31")  # SIGSYS


# Calls on neither list: without the filter they succeed or fail with EPERM/EINVAL; under it, ENOSYS.
OUTSIDE = {
    "x86_64": {"personality": 135, "sethostname": 170, "settimeofday": 164, "vhangup": 153, "mbind": 237},
    "aarch64": {"personality": 92, "sethostname": 161, "settimeofday": 170, "vhangup": 58, "mbind": 235},
}
UNLISTED = """
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def handler(event, context):
    results = {{}}
    for name, number in {numbers!r}.items():
        ctypes.set_errno(0)
        result = libc.syscall(number, ctypes.c_long(0xFFFFFFFF), ctypes.c_long(0), ctypes.c_long(0))
        results[name] = errno.errorcode.get(ctypes.get_errno(), "none") if result == -1 else result
    return results
"""


def test_calls_outside_the_allow_list_answer_enosys(deploy, invoke):
    numbers = OUTSIDE[MACHINE]
    _, payload, logs = invoke(deploy(UNLISTED.format(numbers=numbers)))
    assert payload == {name: "ENOSYS" for name in numbers}, logs


def _kernel_numbers(machine: str) -> dict[str, int]:
    """System call numbers from the kernel's UAPI headers (linux-libc-dev), independently of seccomp.py."""
    import re
    from pathlib import Path

    if machine == "x86_64":
        text = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h").read_text()
        return {name: int(number) for name, number in re.findall(r"#define __NR_(\w+)\s+(\d+)", text)}
    text = Path("/usr/include/asm-generic/unistd.h").read_text()
    numbers = {name: int(number) for name, number in re.findall(r"#define __NR_(\w+)\s+(\d+)", text)}
    for name, number in re.findall(r"#define __NR3264_(\w+)\s+(\d+)", text):
        numbers[{"fstatat": "newfstatat"}.get(name, name)] = int(number)
    return numbers


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_allow_list_numbers_are_the_kernels(machine):
    import importlib.util
    from pathlib import Path

    headers = {
        "x86_64": "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
        "aarch64": "/usr/include/asm-generic/unistd.h",
    }
    if not Path(headers[machine]).exists():
        pytest.skip("the kernel's UAPI headers (linux-libc-dev) are not installed")
    path = Path(__file__).resolve().parents[3] / "labs/runtime/sandbox/seccomp.py"
    spec = importlib.util.spec_from_file_location("seccomp_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs INSIDE the sandbox normally; importing it installs nothing
    kernel = _kernel_numbers(machine)
    table = module._ALLOWED_NUMBERS[machine]
    assert {name: kernel.get(name) for name in table} == table
    # every name of the inventory that this architecture has (aarch64 lacks the legacy x86_64 forms)
    assert set(table) == {name for name in module.MEASURED | module.REVIEWED if name in kernel}
