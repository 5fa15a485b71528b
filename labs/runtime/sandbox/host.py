"""Host side of the sandbox: the bubblewrap fork server and its code store root (``codestore.py``).

``ForkServer`` starts ``forkserver.py`` inside bubblewrap (new user, mount, PID, network, IPC, UTS and
cgroup namespaces; no capabilities; a read-only view of only the system's shared libraries, the interpreter
and its standard library (never a site-packages), boto3 and its dependencies, the wheelhouse of packages a
handler may ask for (``awslambda/wheelhouse.py``), and the code store) and asks it for environments. Each
comes back as an ``Environment`` (``environment.py``), the host's handle on it: its private channel (a socketpair; the protocol never shares a stream with the
function's output), the read end of its stdout/stderr pipe, and a status socket to the fork server, its
supervisor; its processes are counted in a pids cgroup of their own (``cgroups.py``).

Where bubblewrap or user namespaces are unavailable, ``SandboxUnavailableError`` is raised unless the caller
chose the unsafe development mode explicitly (``sandbox="unsafe"`` or ``LABS_RUNTIME_UNSAFE_NO_SANDBOX=1``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

from labs.runtime.core.errors import SandboxUnavailableError
from labs.runtime.sandbox import framing
from labs.runtime.sandbox.cgroups import ProcessLimiter, sweep_abandoned_cgroups
from labs.runtime.sandbox.codestore import StoreRoot, sweep_abandoned
from labs.runtime.sandbox.environment import Environment

__all__ = [
    "ForkServer",
    "UNSAFE_WARNING",
    "close_fork_servers",
    "fork_server",
    "resolve_mode",
    "sweep_abandoned_sandboxes",
    "wheelhouse_root",
]

UNSAFE_ENV_VAR = "LABS_RUNTIME_UNSAFE_NO_SANDBOX"
UNSAFE_WARNING = (
    "WARNING: labs.runtime is running untrusted code WITHOUT a sandbox (unsafe development mode). "
    "Never use this mode for code you did not write."
)
_RUNTIME_DIR = Path(__file__).resolve().parent
_SANDBOX_FILES = ("framing.py", "lambda_runtime.py", "seccomp.py", "forkserver.py")
_SANDBOX_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
_F_SETPIPE_SZ = 1031
_WHEELHOUSE_MOUNT = "/var/runtime/packages"
_PROJECT = _RUNTIME_DIR.parents[2]
_ENVIRONMENT_PROCESSES = 64  # what a function may start besides its runtime, unless its spec says otherwise


# bwrap executables that have created namespaces in this process. Every Cloud resolves its mode, and the
# probe (a bwrap process making every namespace) costs 5-15 ms of a grading; it is remembered only once it
# succeeded, and per executable, so a PATH without bwrap is still refused.
_bwrap_proven: set[str] = set()


def _bwrap_works() -> tuple[bool, str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed; install Debian's 'bubblewrap' package"
    if bwrap in _bwrap_proven:
        return True, ""
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bubblewrap could not run: {error}"
    if result.returncode != 0:
        return (
            False,
            f"bubblewrap cannot create namespaces here: {result.stderr.decode(errors='replace').strip()}",
        )
    _bwrap_proven.add(bwrap)
    return True, ""


def resolve_mode(requested: str | None) -> str:
    """Return "bwrap" or "unsafe"; raise ``SandboxUnavailableError`` when isolation is impossible.

    ``requested`` is "bwrap", "unsafe" or None (bubblewrap, falling back to unsafe only when the
    ``LABS_RUNTIME_UNSAFE_NO_SANDBOX=1`` environment variable says so).
    """
    if requested not in (None, "bwrap", "unsafe"):
        raise ValueError(f"sandbox must be 'bwrap', 'unsafe' or None, not {requested!r}")
    if requested == "unsafe":
        return "unsafe"
    works, reason = _bwrap_works()
    if works:
        return "bwrap"
    if requested is None and os.environ.get(UNSAFE_ENV_VAR) == "1":
        return "unsafe"
    raise SandboxUnavailableError(
        f"refusing to run untrusted code: {reason}. For development only, set {UNSAFE_ENV_VAR}=1 "
        "or pass Cloud(sandbox='unsafe') to run without isolation."
    )


def wheelhouse_root() -> Path:
    """The wheelhouse folder ``make setup`` fills (``LABS_RUNTIME_WHEELHOUSE`` overrides); may not exist."""
    return Path(os.environ.get("LABS_RUNTIME_WHEELHOUSE") or _PROJECT / "var" / "sandbox-packages")


def _interpreter_paths() -> tuple[list[str], list[str]]:
    """(what the interpreter needs, bound read-only at the same path; the site-packages folders to hide).

    The executable, libpython when the build is shared, the standard library with lib-dynload, and the
    system's shared libraries (``/usr/lib/<multiarch>`` and the loader in ``/usr/lib64``): not the whole
    install prefix, where a pyenv or Debian Python keeps its global site-packages (security review LOW-4).
    """
    base = {"base": sys.base_prefix, "platbase": sys.base_prefix}
    stdlib = os.path.realpath(sysconfig.get_path("stdlib", vars=base))
    needed = [os.path.realpath(sys._base_executable), stdlib]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        library = Path(sysconfig.get_config_var("LIBDIR") or "") / (
            sysconfig.get_config_var("INSTSONAME") or ""
        )
        if library.is_file():
            needed.append(os.path.realpath(library))
    multiarch = sysconfig.get_config_var("MULTIARCH")
    system = f"/usr/lib/{multiarch}" if multiarch and os.path.isdir(f"/usr/lib/{multiarch}") else "/usr/lib"
    needed += [path for path in (system, "/usr/lib64") if os.path.isdir(path)]
    hidden = [
        f"{stdlib}/{name}" for name in ("site-packages", "dist-packages") if os.path.isdir(f"{stdlib}/{name}")
    ]
    return needed, hidden


class ForkServer:
    """One warm, already-isolated process that forks execution environments on request."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        sweep_abandoned_sandboxes()  # of earlier worker processes killed before they could clean up
        self.store = StoreRoot()
        self.wheelhouse = wheelhouse_root()
        self._empty = tempfile.mkdtemp(prefix="labs-runtime-empty-")  # bound over each site-packages
        self.limiter = ProcessLimiter() if mode == "bwrap" else None
        self._lock = threading.Lock()
        host_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._control = host_end
        script_dir = "/var/runtime" if mode == "bwrap" else str(_RUNTIME_DIR)
        python = os.path.realpath(sys._base_executable)  # the real interpreter; -S skips any venv
        command = [
            python,
            "-S",
            "-s",
            "-B",
            f"{script_dir}/forkserver.py",
            "--control-fd",
            str(server_end.fileno()),
        ]
        packages = {name: self._package_path(name) for name in _SANDBOX_PACKAGES}
        if mode == "bwrap":
            site = "/var/runtime/site-packages"
            command = [*self._bwrap_arguments(packages, site), "--", *command]
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": site}
        else:
            env = {
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "PYTHONPATH": os.pathsep.join({str(Path(p).parent) for p in packages.values()}),
            }
            command.append("--unsafe")
        self._process = subprocess.Popen(
            command, pass_fds=(server_end.fileno(),), env=env, stdin=subprocess.DEVNULL
        )
        server_end.close()
        ready = framing.read_frame(self._control.fileno(), max_bytes=4096, deadline=time.monotonic() + 60)
        if not ready or ready.get("type") != "ready":
            self.close()
            raise SandboxUnavailableError(f"the fork server did not start (mode {mode})")
        # The fork server keeps one spare environment prepared (namespaces made, pids cgroup joined), so each
        # request carries the cgroup of the *next* environment; this is the first one.
        self._pending_cgroup = self._new_cgroup()
        socket.send_fds(self._control, [b"P"], [self._pending_cgroup[0]] if self._pending_cgroup else [])
        if self._pending_cgroup is not None:
            os.close(self._pending_cgroup[0])

    @staticmethod
    def _package_path(name: str) -> str:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SandboxUnavailableError(f"{name} is not installed on the host")
        origin = Path(spec.origin)
        return str(origin.parent if origin.name == "__init__.py" else origin)

    def _bwrap_arguments(self, packages: dict[str, str], site: str) -> list[str]:
        arguments = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000"]
        arguments += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        needed, hidden = _interpreter_paths()
        for path in needed:
            arguments += ["--ro-bind", path, path]
        for path in hidden:
            arguments += ["--ro-bind", self._empty, path]
        for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
            arguments += ["--symlink", target, link]
        if os.path.exists("/etc/ld.so.cache"):
            arguments += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        for name in _SANDBOX_FILES:
            arguments += ["--ro-bind", str(_RUNTIME_DIR / name), f"/var/runtime/{name}"]
        for path in packages.values():
            arguments += ["--ro-bind", path, f"{site}/{Path(path).name}"]
        if self.wheelhouse.is_dir():
            arguments += ["--ro-bind", str(self.wheelhouse), _WHEELHOUSE_MOUNT]
        arguments += [
            "--ro-bind",
            str(self.store.root),
            "/var/functions",
            "--dir",
            "/var/task",
            "--dir",
            "/opt",
        ]
        arguments += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/"]
        arguments += ["--tmpfs", "/tmp"]  # noqa: S108 - the sandbox's own private /tmp
        # Last, once everything is in place: environments inherit these as locked read-only mounts.
        arguments += ["--remount-ro", "/dev", "--remount-ro", "/"]
        return arguments

    @property
    def wheelhouse_path(self) -> str:
        """Where an environment sees the wheelhouse."""
        return _WHEELHOUSE_MOUNT if self.mode == "bwrap" else str(self.wheelhouse)

    def code_paths(self, relative: str) -> tuple[str, str]:
        """(path the environment sees for a store directory, given relative to the store root; path of the
        store root it must hide)."""
        if self.mode == "bwrap":
            return f"/var/functions/{relative}", "/var/functions"
        return str(self.store.root / relative), str(self.store.root)

    def _new_cgroup(self) -> tuple[int, Path] | None:
        # The environment counts too: the function itself may start `processes` more (a constant).
        if self.limiter is None:
            return None
        return self.limiter.open_for_environment(_ENVIRONMENT_PROCESSES + 1)

    def spawn(self, spec: dict, key: str) -> Environment:
        """Fork a new execution environment for ``spec`` (the runtime's view of a function version)."""
        host_channel, env_channel = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        host_status, env_status = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        init_read, init_write = os.pipe()
        output_read, output_write = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(output_read, _F_SETPIPE_SZ, 1 << 20)
        fds = [env_channel.fileno(), init_write, output_write, env_status.fileno()]
        processes = int(spec["limits"]["processes"])
        next_cgroup = self._new_cgroup()
        if next_cgroup is not None:
            fds.append(next_cgroup[0])
        try:
            with self._lock:  # requests and cgroups pair up in the order the fork server reads them
                if self._pending_cgroup is not None and processes != _ENVIRONMENT_PROCESSES:
                    (self._pending_cgroup[1] / "pids.max").write_text(str(processes + 1))
                socket.send_fds(self._control, [b"S"], fds)
                framing.write_frame(self._control.fileno(), spec)
                cgroup, self._pending_cgroup = self._pending_cgroup, next_cgroup
        except OSError as error:
            for closer in (host_channel.close, host_status.close):
                closer()
            os.close(init_read)
            os.close(output_read)
            if next_cgroup is not None:
                self.limiter.release(next_cgroup[1])
            raise SandboxUnavailableError(f"the fork server is gone: {error}") from None
        finally:
            env_channel.close()
            env_status.close()
            os.close(init_write)
            os.close(output_write)
            if next_cgroup is not None:
                os.close(next_cgroup[0])
        on_close = (lambda: self.limiter.release(cgroup[1])) if cgroup is not None else None
        return Environment(host_channel, (init_read, output_read), host_status, key, on_close=on_close)

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._control.close()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self.limiter is not None:
            self.limiter.close()
        self.store.remove()
        shutil.rmtree(self._empty, ignore_errors=True)


_servers: dict[str, ForkServer] = {}
_servers_lock = threading.Lock()
_servers_pid = os.getpid()


def fork_server(mode: str) -> ForkServer:
    """The process-wide fork server for ``mode``, started on first use (and again after a host fork)."""
    global _servers_pid
    with _servers_lock:
        if _servers_pid != os.getpid():  # e.g. a Celery prefork child: the parent's server is not ours
            _servers.clear()
            _servers_pid = os.getpid()
        server = _servers.get(mode)
        if server is None or not server.alive():
            if server is not None:
                server.close()  # its store and cgroups go with it
            server = _servers[mode] = ForkServer(mode)
        return server


@atexit.register
def close_fork_servers() -> None:
    """Stop this process's fork servers and remove their code stores and pids cgroups. Runs at exit; a
    worker whose processes end otherwise (Celery's prefork children leave with ``os._exit``) calls it from
    its shutdown hooks. Servers inherited from a parent process are not this process's to close."""
    # With a timeout: from a signal handler, this thread may be the one holding the lock.
    locked = _servers_lock.acquire(timeout=1)
    try:
        if _servers_pid == os.getpid():
            for server in list(_servers.values()):
                server.close()
        _servers.clear()
    finally:
        if locked:
            _servers_lock.release()


def sweep_abandoned_sandboxes() -> None:
    """Remove the code stores and the pids cgroups left by processes that died without cleaning up."""
    sweep_abandoned()
    sweep_abandoned_cgroups()
