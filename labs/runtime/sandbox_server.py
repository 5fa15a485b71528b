"""The warm fork server and the isolation of each execution environment. Runs INSIDE the sandbox.

The host starts this file as a script inside bubblewrap (see ``sandbox.py``), with its sibling modules
``framing`` and ``sandbox_runtime`` beside it under ``/var/runtime``. It imports boto3 and botocore once,
then answers ``spawn`` requests on its control socket (fd 3). Each spawn forks:

- a *supervisor* C, which enters new user, mount, PID, network, IPC and UTS namespaces, forks the
  environment and reports the environment's exit status on the status socket (it also kills the
  environment when the host asks, or when the host goes away);
- the *environment* G, PID 1 of its own PID namespace, which mounts a private size-capped ``/tmp``, binds
  only its own function code at ``/var/task`` and layers at ``/opt``, hides the shared code store and
  ``/proc``, sets resource limits, drops every capability, sets ``no_new_privs``, then runs the Lambda
  runtime loop of ``sandbox_runtime``.

With ``--unsafe`` (an explicit development setting) the same code runs without namespaces or mounts.
This module never runs on the host and uses only the standard library plus boto3/botocore.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import select
import signal
import socket
import sys

import framing
import sandbox_runtime

__all__ = ["main"]

CONTROL_FD = int(sys.argv[sys.argv.index("--control-fd") + 1]) if "--control-fd" in sys.argv else 3
_libc = ctypes.CDLL(None, use_errno=True)

# Linux constants (x86_64 and aarch64 share these values).
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
_SANDBOX_UID = 993  # the uid Lambda's sbx_user1051 has; any unprivileged id would do


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda value: value.encode() if value is not None else None  # noqa: E731
    _check(
        _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}"
    )


def _enter_namespaces() -> None:
    """Supervisor side: new namespaces, and a user namespace mapping only our own uid/gid.

    The fork server runs as a non-zero uid inside bubblewrap: since Linux 5.12, mapping the parent's uid 0
    needs CAP_SETFCAP, which the fork server (rightly) does not have.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
    _check(_libc.unshare(flags), "unshare")
    with open("/proc/self/setgroups", "w") as file:
        file.write("deny")
    with open("/proc/self/uid_map", "w") as file:
        file.write(f"{_SANDBOX_UID} {uid} 1")
    with open("/proc/self/gid_map", "w") as file:
        file.write(f"{_SANDBOX_UID} {gid} 1")


def _isolate_filesystem(spec: dict) -> None:
    """Environment side: only this function's files, a private capped /tmp, no store, no /proc."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    tmp_bytes = int(spec["tmp_bytes"])
    tmp_options = f"size={tmp_bytes},mode=1777,nr_inodes=65536"
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, tmp_options)  # noqa: S108 - its private /tmp
    read_only = _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV
    for source, target in ((spec["task_dir"], "/var/task"), (spec.get("opt_dir"), "/opt")):
        if source:
            _mount(source, target, None, _MS_BIND | _MS_REC)
            _mount(None, target, None, read_only)
    hide = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    _mount("tmpfs", spec["store_dir"], "tmpfs", hide, "size=4k")
    _mount("tmpfs", "/proc", "tmpfs", hide, "size=4k")
    _mount(None, "/", None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    # /dev holds only the null, zero, random and tty devices bubblewrap provides; read-only if allowed
    with contextlib.suppress(OSError):
        _mount(None, "/dev", None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID)
    hostname = b"169.254.10.1"
    _libc.sethostname(hostname, len(hostname))


def _drop_privileges() -> None:
    for capability in range(64):
        _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)

    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    header, data = _Header(0x20080522, 0), (_Data * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _set_limits(limits: dict) -> None:
    names = {
        "address_space": resource.RLIMIT_AS,
        "processes": resource.RLIMIT_NPROC,
        "open_files": resource.RLIMIT_NOFILE,
        "file_size": resource.RLIMIT_FSIZE,
        "cpu_seconds": resource.RLIMIT_CPU,
        "core": resource.RLIMIT_CORE,
    }
    for name, value in limits.items():
        resource.setrlimit(names[name], (int(value), int(value)))


def _environment(spec: dict, channel_fd: int, output_fd: int, isolate: bool) -> None:
    """The execution environment G: isolate, then hand over to the Lambda runtime loop (never returns)."""
    try:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        if isolate:
            _isolate_filesystem(spec)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        os.close(devnull)
        os.chdir(spec["task_dir"] if not isolate else "/var/task")
        if isolate:
            _drop_privileges()
        _set_limits(spec["limits"])
    except BaseException as error:  # noqa: BLE001 - report any setup failure to the host and stop
        framing.write_frame(channel_fd, {"type": "setup_failed", "error": f"{type(error).__name__}: {error}"})
        os._exit(70)
    code = 0
    try:
        sandbox_runtime.run(channel_fd, spec)
    except SystemExit as exit_request:  # sys.exit() in the handler ends the runtime, as on Lambda
        code = (
            exit_request.code
            if isinstance(exit_request.code, int)
            else (0 if exit_request.code is None else 1)
        )
    except BaseException:  # noqa: BLE001 - never unwind into the fork server's code
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        os._exit(code)


def _supervise(
    spec: dict, channel_fd: int, output_fd: int, status_fd: int, cgroup_fd: int | None, isolate: bool
) -> None:
    """The supervisor C: owns the environment's namespaces, reports its exit, kills it on request."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.close(CONTROL_FD)
    if cgroup_fd is not None:
        # Join this environment's pids cgroup ("0" is the writer) before anything else can fork; the host
        # opened the file, we hold no other access to cgroups. Refuse to run without the limit.
        try:
            os.write(cgroup_fd, b"0")
        except OSError as error:
            framing.write_frame(channel_fd, {"type": "setup_failed", "error": f"pids cgroup: {error}"})
            os._exit(70)
        os.close(cgroup_fd)
    if isolate:
        _enter_namespaces()
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        _environment(spec, channel_fd, output_fd, isolate)
    os.close(channel_fd)
    os.close(output_fd)
    pidfd = os.pidfd_open(pid)
    readable, _, _ = select.select([status_fd, pidfd], [], [])
    if status_fd in readable and pidfd not in readable:
        os.kill(pid, signal.SIGKILL)  # the host asked for it (or went away): end the whole PID namespace
    _, status, usage = os.wait4(pid, 0)
    report = {"type": "exit", "max_rss_kb": usage.ru_maxrss}
    if os.WIFSIGNALED(status):
        report["signal"] = os.WTERMSIG(status)
    else:
        report["code"] = os.WEXITSTATUS(status)
    with contextlib.suppress(OSError):
        framing.write_frame(status_fd, report)
    os._exit(0)


def _serve(isolate: bool) -> None:
    control = socket.socket(fileno=CONTROL_FD)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped automatically
    framing.write_frame(CONTROL_FD, {"type": "ready", "pid": os.getpid()})
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 4)
        except OSError:
            os._exit(0)
        if len(fds) not in (3, 4):
            os._exit(0)  # the host closed the control socket (or broke the protocol): stop serving
        spec = framing.read_frame(CONTROL_FD)
        if spec is None:
            os._exit(0)
        if os.fork() == 0:
            channel_fd, output_fd, status_fd, *cgroup = fds
            _supervise(spec, channel_fd, output_fd, status_fd, cgroup[0] if cgroup else None, isolate)
        for fd in fds:
            os.close(fd)


def main() -> None:
    isolate = "--unsafe" not in sys.argv[1:]
    sandbox_runtime.preload()
    _serve(isolate)


if __name__ == "__main__":
    main()
