"""The warm fork server and the isolation of each execution environment. Runs INSIDE the sandbox.

The host starts this file as a script inside bubblewrap (see ``host.py``), with its sibling modules
``framing``, ``lambda_runtime`` and ``seccomp`` beside it under ``/var/runtime``. It imports boto3
and botocore once, then answers ``spawn`` requests on its control socket (fd 3). Each environment is one
``clone``: it starts as PID 1 of new user, mount, PID, network, IPC and UTS namespaces, joins its pids
cgroup, starts its own session, closes every descriptor it inherited but its own channels, maps its uid,
mounts a private size-capped ``/tmp``, binds only its own function code at ``/var/task`` and layers at
``/opt``, hides the shared code store and ``/proc``, sets resource limits, drops every capability, sets
``no_new_privs``, installs the seccomp filter, then runs the Lambda runtime loop of ``lambda_runtime``.

The part that does not depend on the function (clone, namespaces, session, pids cgroup, uid map) is done
ahead of time by one *spare* clone, which then receives the function's channels and spec and does the rest;
the next spare is prepared right after. The fork server is also every environment's supervisor: one
single-threaded loop answers spawn requests, kills an environment's whole PID namespace when the host asks
(or closes its status socket), and reports each environment's exit status and peak memory.

With ``--unsafe`` (an explicit development setting) the same code runs without namespaces, mounts or seccomp.
This module never runs on the host and uses only the standard library plus boto3/botocore.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import selectors
import signal
import socket
import sys

import framing
import lambda_runtime
import seccomp

__all__ = ["main"]

CONTROL_FD = int(sys.argv[sys.argv.index("--control-fd") + 1]) if "--control-fd" in sys.argv else 3
_libc = ctypes.CDLL(None, use_errno=True)
_pythonapi = ctypes.pythonapi
_syscall = ctypes.PyDLL(None, use_errno=True).syscall  # PyDLL: the GIL is not released around clone
_syscall.restype = ctypes.c_long
_syscall.argtypes = [
    ctypes.c_long,
    ctypes.c_ulong,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_ulong,
]
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}[seccomp.MACHINE]  # the filter module checked it
_IDS = (os.getuid(), os.getgid())
_SERVER_PID = os.getpid()


def _last_capability() -> int:
    # read once here: the environments hide /proc
    try:
        with open("/proc/sys/kernel/cap_last_cap") as file:
            return int(file.read())
    except (OSError, ValueError):
        return 63


_CAP_LAST = _last_capability()
_MAX_FD = os.sysconf("SC_OPEN_MAX")

# Linux constants (x86_64 and aarch64 share these values).
_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
_NAMESPACES = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
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


def _clone(flags: int) -> int:
    """``fork()`` that also puts the child in the new namespaces of ``flags``; returns the pid or 0.

    One clone instead of fork + unshare + fork: the child is PID 1 of its own PID namespace straight
    away. The raw system call (through ``PyDLL``, so the GIL stays held, as ``os.fork`` does) is wrapped in
    the interpreter's own before/after-fork hooks, which reset its locks and thread state in the child.
    The fork server is single-threaded, so no other thread can hold a lock at the moment of the copy.
    """
    _pythonapi.PyOS_BeforeFork()
    pid = _syscall(_SYS_CLONE, flags | signal.SIGCHLD, None, None, None, 0)
    if pid == 0:
        _pythonapi.PyOS_AfterFork_Child()
        return 0
    errno = ctypes.get_errno()
    _pythonapi.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(errno, f"clone: {os.strerror(errno)}")
    return pid


def _map_identity(uid: int, gid: int) -> None:
    """Environment side, in its new user namespace: map only the fork server's uid/gid, as 993.

    The fork server runs as a non-zero uid inside bubblewrap: since Linux 5.12, mapping the parent's uid 0
    needs CAP_SETFCAP, which the fork server (rightly) does not have.
    """
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{_SANDBOX_UID} {uid} 1"),
        ("gid_map", f"{_SANDBOX_UID} {gid} 1"),
    ):
        fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)


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
    # "/" and "/dev" (which holds only the null, zero, random and tty devices) are already read-only:
    # bubblewrap remounted them for the fork server, and a mount namespace copied into a less privileged
    # user namespace cannot lift that flag (the kernel locks it), even before the capabilities are dropped.
    hostname = b"169.254.10.1"
    _libc.sethostname(hostname, len(hostname))


def _drop_privileges() -> None:
    for capability in range(_CAP_LAST + 1):
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


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor the fork server held except ``keep``: other environments' status sockets
    and pidfds, the control socket and the server's epoll instance must never reach student code."""
    low = 3
    for fd in sorted(fd for fd in keep if fd >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, _MAX_FD)


def _prelude(cgroup_fd: int | None, keep: set[int], isolate: bool) -> None:
    """First steps of a new clone, the same for every function: what a spare does before it is needed.

    It starts as PID 1 of new user, mount, PID, network, IPC and UTS namespaces (when ``isolate``), still
    holding every capability in its own user namespace; ``_become`` drops them before any student code.
    """
    if cgroup_fd is not None:
        # Join this environment's pids cgroup ("0" is the writer) before anything can fork; the host opened
        # the file and its credentials are the ones checked. Refuse to run without the limit.
        try:
            os.write(cgroup_fd, b"0")
        except OSError as error:
            raise OSError(error.errno, f"pids cgroup: {error.strerror}") from None
    # A session (and process group) of its own: the clone starts in the fork server's process group, and
    # kill(0, ...) reaches a whole group across PID namespaces, fork server and all environments.
    os.setsid()
    _close_inherited(keep)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not isolate and os.getppid() != _SERVER_PID:
        os._exit(70)  # the fork server died before PDEATHSIG was set (isolated: bubblewrap's PID 1 went too)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    if isolate:
        _map_identity(*_IDS)


def _become(spec: dict, channel_fd: int, output_fds: tuple[int, int], isolate: bool) -> None:
    """Turn a prepared clone into ``spec``'s environment, then run the Lambda runtime loop (never returns)."""
    init_output_fd, output_fd = output_fds
    try:
        if isolate:
            _isolate_filesystem(spec)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(init_output_fd, 1)  # until the init phase is over; then the runtime switches to output_fd
        os.dup2(init_output_fd, 2)
        os.close(init_output_fd)
        os.close(devnull)
        os.chdir(spec["task_dir"] if not isolate else "/var/task")
        if isolate:
            _drop_privileges()
            seccomp.install()  # after no_new_privs, which an unprivileged filter requires
        _set_limits(spec["limits"])
    except BaseException as error:  # noqa: BLE001 - report any setup failure to the host and stop
        framing.write_frame(channel_fd, {"type": "setup_failed", "error": f"{type(error).__name__}: {error}"})
        os._exit(70)
    code = 0
    try:
        lambda_runtime.run(channel_fd, spec, output_fd)
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


def _spare_main(handoff: socket.socket, cgroup_fd: int | None, isolate: bool) -> None:
    """A spare: prepared ahead of time, it waits for its function's channels and spec, then becomes it."""
    try:
        _prelude(cgroup_fd, {handoff.fileno()}, isolate)
        _, fds, _, _ = socket.recv_fds(handoff, 1, 3)
        spec = framing.read_frame(handoff.fileno()) if len(fds) == 3 else None
    except BaseException:  # noqa: BLE001 - a spare that cannot be prepared just ends; the server falls back
        os._exit(70)
    if spec is None:
        os._exit(0)  # the fork server is gone, or never needed us
    handoff.close()
    _become(spec, fds[0], (fds[1], fds[2]), isolate)


def _send_pidfd(status_fd: int, pidfd: int) -> None:
    """Give the host a pidfd of the environment, first thing on its status socket: the host then reads the
    environment's peak memory from the kernel itself (``/proc/<pid>/status``), never from what the
    environment says. Nothing the environment can write reaches this socket."""
    status = socket.socket(fileno=status_fd)
    try:
        socket.send_fds(status, [b"P"], [pidfd])
    except OSError:
        pass  # the host has gone; the exit report will not reach it either
    finally:
        status.detach()


class _Supervised:
    """The fork server's record of one clone: its pid, a pidfd, and the host's status socket once it serves
    a function (a spare has none yet: it holds its handoff socket and the pids cgroup it was given)."""

    def __init__(self, pid: int, status_fd: int | None = None, pidfd: int | None = None) -> None:
        self.pid, self.status_fd = pid, status_fd
        self.pidfd = pidfd if pidfd is not None or pid == 0 else os.pidfd_open(pid)
        self.kill_requested, self.reaped = False, pid == 0
        self.handoff: socket.socket | None = None
        self.cgroup_fd: int | None = None


class _Server:
    """One single-threaded loop: spawn requests, one spare environment, supervision of every environment.

    The spare takes the work that does not depend on the function (clone, namespaces, joining its pids
    cgroup, mapping its uid) off the path of the next cold start. Joining a cgroup is the expensive part:
    it waits for an RCU grace period (4-75 ms measured on a loaded 2-core VM) unless another move happened
    just before. The host hands over the next environment's cgroup with each spawn request for that reason.
    """

    def __init__(self, isolate: bool) -> None:
        self.isolate = isolate
        self.control = socket.socket(fileno=CONTROL_FD)
        self.selector = selectors.DefaultSelector()
        self.selector.register(CONTROL_FD, selectors.EVENT_READ, ("control", None))
        self.spare: _Supervised | None = None
        self.spare_wanted: tuple[int | None] | None = None  # (its cgroup fd,) once a spare is to be made

    def _clone(self, child_main, *arguments) -> int | None:
        try:
            pid = _clone(_NAMESPACES if self.isolate else 0)
        except OSError:
            return None
        if pid == 0:
            child_main(*arguments)
            os._exit(70)  # not reached: both entry points end the process
        return pid

    def _prepare_spare(self, cgroup_fd: int | None) -> None:
        server_end, spare_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = self._clone(_spare_main, spare_end, cgroup_fd, self.isolate)
        spare_end.close()
        if pid is None:
            server_end.close()
            self.spare = _Supervised(0)  # no process: only the cgroup, for the next spawn to fall back on
        else:
            self.spare = _Supervised(pid)
            self.spare.handoff = server_end
            self.selector.register(self.spare.pidfd, selectors.EVENT_READ, ("spare", self.spare))
        self.spare.cgroup_fd = cgroup_fd

    def _direct(self, cgroup_fd: int | None, fds: list[int], spec: dict) -> int | None:
        """The fallback when there is no spare: a clone that prepares itself and becomes the environment."""

        def main() -> None:
            try:
                _prelude(cgroup_fd, set(fds[:3]), self.isolate)
            except BaseException as error:  # noqa: BLE001 - report to the host and stop
                framing.write_frame(
                    fds[0], {"type": "setup_failed", "error": f"{type(error).__name__}: {error}"}
                )
                os._exit(70)
            _become(spec, fds[0], (fds[1], fds[2]), self.isolate)

        return self._clone(main)

    def spawn(self, fds: list[int], spec: dict) -> None:
        channel_fd, init_output_fd, output_fd, status_fd, *next_cgroup = fds
        spare, pid = self.spare, None
        if spare is not None and not spare.reaped:
            try:
                socket.send_fds(spare.handoff, [b"S"], [channel_fd, init_output_fd, output_fd])
                framing.write_frame(spare.handoff.fileno(), spec)
                pid = spare.pid
                self.selector.unregister(spare.pidfd)
            except OSError:
                pid = None  # it died meanwhile; its exit is reaped through its pidfd
        if pid is None:
            pid = self._direct(spare.cgroup_fd if spare else None, fds, spec)
        if spare is not None:
            if spare.handoff is not None:
                spare.handoff.close()
            if spare.cgroup_fd is not None:
                os.close(spare.cgroup_fd)
        for fd in (channel_fd, init_output_fd, output_fd):
            os.close(fd)
        if pid is None:
            framing.write_frame(status_fd, {"type": "exit", "code": 70, "max_rss_kb": 0})
            os.close(status_fd)
        else:
            handed_over = spare is not None and pid == spare.pid
            child = _Supervised(pid, status_fd, spare.pidfd if handed_over else None)
            _send_pidfd(status_fd, child.pidfd)
            self.selector.register(child.status_fd, selectors.EVENT_READ, ("status", child))
            self.selector.register(child.pidfd, selectors.EVENT_READ, ("exit", child))
        self.spare_wanted = (next_cgroup[0] if next_cgroup else None,)

    def on_status(self, child: _Supervised) -> None:
        """The host asked for a kill (any byte), or closed its end: end the environment's PID namespace."""
        with contextlib.suppress(OSError):
            os.read(child.status_fd, 64)
        self.selector.unregister(child.status_fd)
        child.kill_requested = True
        with contextlib.suppress(OSError):
            signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)

    def on_exit(self, child: _Supervised) -> None:
        """Reap an environment (or a spare that failed) and send the host its exit status and peak memory."""
        child.reaped = True
        self.selector.unregister(child.pidfd)
        _, status, usage = os.wait4(child.pid, 0)
        os.close(child.pidfd)
        if child.status_fd is None:
            return  # a spare: the next spawn request falls back to a direct clone with its cgroup
        if not child.kill_requested:
            self.selector.unregister(child.status_fd)
        report = {"type": "exit", "max_rss_kb": usage.ru_maxrss}
        if os.WIFSIGNALED(status):
            report["signal"] = os.WTERMSIG(status)
        else:
            report["code"] = os.WEXITSTATUS(status)
        with contextlib.suppress(OSError):
            framing.write_frame(child.status_fd, report)
        os.close(child.status_fd)

    def on_control(self) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(self.control, 1, 5)
        except OSError:
            os._exit(0)
        if message == b"P" and len(fds) <= 1 and self.spare is None:
            self.spare_wanted = (fds[0] if fds else None,)  # the first spare, with its cgroup if any
            return
        if message != b"S" or len(fds) not in (4, 5):
            os._exit(0)  # the host closed the control socket (or broke the protocol): stop serving
        spec = framing.read_frame(CONTROL_FD)
        if spec is None:
            os._exit(0)
        self.spawn(fds, spec)

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # environments are reaped with wait4 for their rusage
        framing.write_frame(CONTROL_FD, {"type": "ready", "pid": os.getpid()})
        while True:
            for key, _ in self.selector.select():
                kind, child = key.data
                if child is not None and child.reaped:
                    continue  # both of its events came in one batch and the exit was handled first
                if kind == "status":
                    self.on_status(child)
                elif kind in ("exit", "spare"):
                    self.on_exit(child)
                else:
                    self.on_control()
                if self.spare_wanted is not None:
                    # Made here, not inside spawn(): a clone inherits the Python stack it was made from, and
                    # the spec just handed over (another function's environment variables) must not be on it.
                    (cgroup_fd,), self.spare_wanted = self.spare_wanted, None
                    self._prepare_spare(cgroup_fd)


def main() -> None:
    isolate = "--unsafe" not in sys.argv[1:]
    lambda_runtime.preload()
    # Everything loaded so far lives as long as the server: the collector of an environment never needs to
    # scan it, and scanning would write to (and so copy) pages the environments otherwise share.
    gc.freeze()
    _Server(isolate).serve()


if __name__ == "__main__":
    main()
