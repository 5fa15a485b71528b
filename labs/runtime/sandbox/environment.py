"""The host's handle on one execution environment: its private channel, its output and its status socket.

Everything read from an environment is untrusted: frames are capped and schema-checked (``framing``), output
is kept up to ``OUTPUT_CAP_BYTES`` per invocation and the rest drained, and any breach ends in an ``Outcome``
that tells the caller to discard the environment.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from dataclasses import dataclass, field

from labs.runtime.sandbox import framing

__all__ = ["OUTPUT_CAP_BYTES", "Environment", "Outcome"]

OUTPUT_CAP_BYTES = 1024 * 1024  # per invocation; the rest is drained and counted, not kept


@dataclass
class Outcome:
    """What came back from one request to an environment: a frame, or why there is none."""

    kind: str  # "frame" | "timeout" | "exited" | "protocol_error"
    frame: dict | None = None
    output: bytes = b""
    dropped_output: int = 0
    exit: dict = field(default_factory=dict)
    detail: str = ""


class Environment:
    """The host's handle on one execution environment (one warm Python process in its own namespaces)."""

    def __init__(
        self,
        channel: socket.socket,
        output_fds: tuple[int, int],
        status: socket.socket,
        key: str,
        on_close=None,
    ) -> None:
        """``output_fds``: the read ends of the init phase's output pipe and of the invocations' one.

        Two pipes, because the first invocation may start before the host has read the init phase's
        output: the runtime switches to the second pipe once init is over, so nothing is misattributed.
        """
        self.channel, self.status, self.key = channel, status, key
        self.output_fd, self._invocation_output_fd = output_fds
        self._on_close = on_close
        self._pid: int | None = None  # in the host's PID namespace, from the pidfd the fork server sends
        self._pidfd: int | None = None
        self.alive = True
        self.invocations = 0
        for fd in output_fds:
            os.set_blocking(fd, False)

    def end_init(self) -> None:
        """Read the invocations' output from now on (call once the init frame or outcome is in)."""
        if self.output_fd != self._invocation_output_fd:
            with contextlib.suppress(OSError):
                os.close(self.output_fd)
            self.output_fd = self._invocation_output_fd

    def _drain(self, sink: bytearray, dropped: list[int]) -> None:
        while True:
            try:
                chunk = os.read(self.output_fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                return
            room = OUTPUT_CAP_BYTES - len(sink)
            sink.extend(chunk[: max(room, 0)])
            dropped[0] += max(len(chunk) - max(room, 0), 0)

    def exchange(
        self, message: dict | None, deadline: float, on_request=None, request_id: str | None = None
    ) -> Outcome:
        """Send ``message`` (if any) and wait for the next non-request frame before ``deadline``.

        ``aws_request`` frames that arrive meanwhile are answered with ``on_request(frame)``, which returns
        the reply frame. The function's output is collected along the way. With ``request_id``, a ``result``
        frame for any other invocation is dropped: handler code can write frames too, and the Runtime API
        takes one response per request id (a second one is refused), so a forged or late answer never
        becomes the next invocation's (security review LOW-3: answers shifted by one).
        """
        output, dropped = bytearray(), [0]
        channel_fd = self.channel.fileno()
        try:
            if message is not None:
                # If it has gone (say, right after a failed init), what it sent first is still to be read.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    framing.write_frame(channel_fd, message)
            while True:
                wait_s = deadline - time.monotonic()
                if wait_s <= 0:
                    return Outcome("timeout", output=bytes(output), dropped_output=dropped[0])
                readable, _, _ = select.select([channel_fd, self.output_fd], [], [], wait_s)
                if self.output_fd in readable:
                    self._drain(output, dropped)
                if channel_fd not in readable:
                    continue
                frame = framing.read_frame(channel_fd, deadline=deadline)
                if frame is None:
                    self._drain(output, dropped)
                    return Outcome(
                        "exited", output=bytes(output), dropped_output=dropped[0], exit=self.wait_exit()
                    )
                if frame.get("type") == "aws_request" and on_request is not None:
                    framing.write_frame(channel_fd, on_request(frame))
                    continue
                if (
                    request_id is not None
                    and frame.get("type") == "result"
                    and frame.get("request_id") != request_id
                ):
                    continue
                self._drain(output, dropped)
                return Outcome("frame", frame=frame, output=bytes(output), dropped_output=dropped[0])
        except TimeoutError:
            return Outcome("timeout", output=bytes(output), dropped_output=dropped[0])
        except (framing.FrameError, OSError) as error:
            return Outcome(
                "protocol_error", output=bytes(output), dropped_output=dropped[0], detail=str(error)
            )

    def _receive_pidfd(self, timeout_s: float = 2.0) -> None:
        """Take the pidfd the fork server sends first on the status socket (once; nothing when the clone
        failed, in which case an exit report comes instead)."""
        if self._pidfd is not None or not self.alive:
            return
        try:
            readable, _, _ = select.select([self.status], [], [], timeout_s)
            if not readable or self.status.recv(1, socket.MSG_PEEK) != b"P":
                return
            _, fds, _, _ = socket.recv_fds(self.status, 1, 1)
        except OSError:
            return
        if not fds:
            return
        self._pidfd = fds[0]
        with contextlib.suppress(OSError, ValueError), open(f"/proc/self/fdinfo/{fds[0]}") as info:
            pid = next((line.split()[1] for line in info if line.startswith("Pid:")), "-1")
            self._pid = int(pid) if int(pid) > 0 else None

    def peak_rss_kb(self) -> int:
        """The environment's peak resident memory (``VmHWM``) in KB, read by the host from the kernel (the
        process cannot write to it; ``/proc`` is hidden from it, so it cannot reset it through
        ``clear_refs`` either). 0 when it is no longer running."""
        self._receive_pidfd()
        if self._pid is None:
            return 0
        try:
            with open(f"/proc/{self._pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = int(line.split()[1])
                        break
                else:
                    return 0
        except (OSError, ValueError, IndexError):
            return 0
        # the pid is ours only while the pidfd says the process has not exited (no reuse in between)
        exited, _, _ = select.select([self._pidfd], [], [], 0)
        return 0 if exited else peak

    def wait_exit(self, timeout_s: float = 2.0) -> dict:
        """The fork server's report of how the environment ended: ``{"code": n}`` or ``{"signal": n}``."""
        self._receive_pidfd(timeout_s)
        try:
            report = framing.read_frame(
                self.status.fileno(), max_bytes=4096, deadline=time.monotonic() + timeout_s
            )
        except (TimeoutError, framing.FrameError, OSError):
            report = None
        self.close()
        return report or {}

    def kill(self) -> dict:
        """Kill the environment's whole PID namespace and return its exit report."""
        if not self.alive:
            return {}
        with contextlib.suppress(OSError):
            self.status.send(b"k")
        return self.wait_exit()

    def discard(self) -> None:
        """Kill the environment without waiting for its exit report (nobody reads it): the supervisor ends
        the PID namespace on the request, or on the status socket closing if the request did not get
        through. Saves the 5-10 ms a discarded warm environment's report takes to come back."""
        if not self.alive:
            return
        with contextlib.suppress(OSError):
            self.status.send(b"k")
        self.close()

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.end_init()
        closers = [self.channel.close, self.status.close, lambda: os.close(self.output_fd)]
        if self._pidfd is not None:
            closers.append(lambda: os.close(self._pidfd))
        for closer in closers:
            with contextlib.suppress(OSError):
                closer()
        if self._on_close is not None:
            self._on_close()
