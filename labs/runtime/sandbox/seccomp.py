"""The seccomp-bpf filter of every execution environment. Runs INSIDE the sandbox (imported by the fork server).

A Lambda handler never needs to debug other processes, mount file systems, create or enter namespaces, use
the kernel keyring, load BPF programs or kernel modules, open perf counters, reboot, swap, open files by
handle, register userfaultfd regions or set up io_uring. Each of those is a large kernel attack surface that
the namespaces and dropped capabilities do not all close (an unprivileged process may create user namespaces,
use io_uring or userfaultfd), so the filter answers them with ``EPERM``. ``clone`` is allowed unless its
flags ask for a new namespace; ``clone3`` hides its flags in memory a filter cannot read, so it answers
``ENOSYS`` and the C library falls back to ``clone`` (as Docker's and systemd's filters do).

The program is built here with ``struct`` (no native dependency) for the machine we run on, and checks the
architecture first: a system call made through another ABI (i386 ``int 0x80``, or x32 numbers on x86_64)
kills the process, since its numbers would mean other calls. ``install`` needs ``no_new_privs`` (set by the
caller) and applies to the environment and every process it starts; a filter can never be removed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

__all__ = ["DENIED", "install"]

# System call numbers from the kernel's tables: arch/x86/entry/syscalls/syscall_64.tbl, and
# include/uapi/asm-generic/unistd.h for aarch64. Calls added since 5.1 (io_uring_*, the new mount API)
# share one number on every architecture.
_NUMBERS = {
    "x86_64": {
        "ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
        "setns": 308, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "open_by_handle_at": 304,
        "name_to_handle_at": 303, "userfaultfd": 323, "process_vm_readv": 310, "process_vm_writev": 311,
        "kcmp": 312, "acct": 163, "quotactl": 179, "syslog": 103, "clone": 56,
    },
    "aarch64": {
        "ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97,
        "setns": 268, "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "userfaultfd": 282, "process_vm_readv": 270, "process_vm_writev": 271,
        "kcmp": 272, "acct": 89, "quotactl": 60, "syslog": 116, "clone": 220,
    },
}  # fmt: skip
_COMMON = {
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}  # fmt: skip
_CLONE3 = 435
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (CLONE_NEWTIME is clone3/unshare only)
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# Classic BPF as seccomp runs it: struct seccomp_data is {int nr; u32 arch; u64 ip; u64 args[6]}.
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0_LOW = 0, 4, 16  # little-endian: the low half of args[0] comes first
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2

MACHINE = os.uname().machine
if MACHINE not in _NUMBERS:
    raise RuntimeError(f"labs.runtime's sandbox supports x86_64 and aarch64, not {MACHINE}")
DENIED = {name: number for name, number in {**_NUMBERS[MACHINE], **_COMMON}.items() if name != "clone"}


def _program() -> bytes:
    """Assemble the filter; jumps name labels and are resolved to the relative offsets BPF wants."""
    code: list[tuple[int, object, object, int]] = [
        (_LD_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ, 1, 0, _AUDIT_ARCH[MACHINE]),
        (_RET, 0, 0, _RET_KILL_PROCESS),
        (_LD_ABS, 0, 0, _OFFSET_NR),
    ]
    if MACHINE == "x86_64":
        code.append((_JGE, "kill", 0, _X32_SYSCALL_BIT))
    code += [(_JEQ, "deny", 0, number) for number in sorted(DENIED.values())]
    code += [
        (_JEQ, "enosys", 0, _CLONE3),
        (_JEQ, 0, "allow", _NUMBERS[MACHINE]["clone"]),
        (_LD_ABS, 0, 0, _OFFSET_ARG0_LOW),
        (_JSET, "deny", "allow", _CLONE_NAMESPACES),
    ]
    labels = {"allow": len(code), "deny": len(code) + 1, "enosys": len(code) + 2, "kill": len(code) + 3}
    code += [
        (_RET, 0, 0, _RET_ALLOW),
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        (_RET, 0, 0, _RET_KILL_PROCESS),
    ]
    resolve = lambda index, target: labels[target] - index - 1 if isinstance(target, str) else target  # noqa: E731
    return b"".join(
        struct.pack("=HBBI", op, resolve(index, jt), resolve(index, jf), k)
        for index, (op, jt, jf, k) in enumerate(code)
    )


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_INSTRUCTIONS = _program()
_BUFFER = ctypes.create_string_buffer(_INSTRUCTIONS, len(_INSTRUCTIONS))  # kept alive for the process
_PROG = _Program(len(_INSTRUCTIONS) // 8, ctypes.addressof(_BUFFER))
_libc = ctypes.CDLL(None, use_errno=True)


def install() -> None:
    """Install the filter on the calling process (irreversible); raises OSError if the kernel refuses."""
    unsigned = ctypes.c_ulong
    if _libc.prctl(
        _PR_SET_SECCOMP, unsigned(_SECCOMP_MODE_FILTER), ctypes.byref(_PROG), unsigned(0), unsigned(0)
    ):
        error = ctypes.get_errno()
        raise OSError(error, f"seccomp filter: {os.strerror(error)}")
