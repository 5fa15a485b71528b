"""The seccomp-bpf filter of every execution environment. Runs INSIDE the sandbox (imported by the fork server).

An allow list: the system calls that CPython 3.11, the standard library and boto3/botocore make in an
environment, as measured (``bench/seccomp_inventory.py`` runs the runtime's tests and a tour of the standard
library under strace; README.md beside this package lists the inventory), plus their close variants added
on review. Any other call answers ``ENOSYS``, as a kernel without it would, so the C library and CPython fall
back where they can (as with ``clone3``, whose flags are in memory a filter cannot read). The calls a
handler must never make (debugging other processes, mounts, namespaces, the kernel keyring, BPF, kernel
modules, perf counters, reboot, swap, open-by-handle, userfaultfd, io_uring, ...) answer ``EPERM``, as
before, so a probe learns nothing new; ``clone`` is allowed unless its flags ask for a new namespace.

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

__all__ = ["ALLOWED", "DENIED", "MEASURED", "REVIEWED", "install"]

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
_ALLOWED_NUMBERS = {
    "x86_64": {
        "newfstatat": 262, "read": 0, "write": 1, "openat": 257, "lseek": 8, "getpid": 39, "close": 3,
        "prlimit64": 302, "rt_sigaction": 13, "getrandom": 318, "ioctl": 16, "getdents64": 217, "mmap": 9,
        "dup2": 33, "futex": 202, "gettid": 186, "clock_nanosleep": 230, "exit_group": 231, "set_robust_list": 273,
        "rt_sigprocmask": 14, "mprotect": 10, "munmap": 11, "getuid": 102, "brk": 12, "fcntl": 72,
        "epoll_wait": 232, "socket": 41, "pipe2": 293, "connect": 42, "pwrite64": 18, "rseq": 334,
        "close_range": 436, "pread64": 17, "execve": 59, "exit": 60, "madvise": 28, "fdatasync": 75, "wait4": 61,
        "poll": 7, "recvfrom": 45, "unlinkat": 263, "getsockname": 51, "vfork": 58, "epoll_ctl": 233, "getcwd": 79,
        "mkdir": 83, "sendto": 44, "setsockopt": 54, "access": 21, "chmod": 90, "geteuid": 107, "getppid": 110,
        "kill": 62, "readlink": 89, "sendfile": 40, "sysinfo": 99, "unlink": 87, "utimensat": 280,
        "arch_prctl": 158, "getegid": 108, "listxattr": 194, "sched_getaffinity": 204, "set_tid_address": 218,
        "umask": 95, "clock_gettime": 228, "epoll_create1": 291, "flock": 73, "getgid": 104, "rt_sigreturn": 15,
        "socketpair": 53, "tgkill": 234, "alarm": 37, "bind": 49, "fallocate": 285, "fsync": 74, "getgroups": 115,
        "getpeername": 52, "getpgrp": 111, "getpriority": 140, "getresuid": 118, "getrusage": 98, "getsid": 124,
        "link": 86, "listen": 50, "prctl": 157, "pselect6": 270, "readv": 19, "recvmsg": 47, "rename": 82,
        "rmdir": 84, "sendmsg": 46, "setitimer": 38, "statfs": 137, "symlink": 88, "times": 100, "truncate": 76,
        "uname": 63, "accept": 43, "accept4": 288, "capget": 125, "chdir": 80, "chown": 92, "clock_getres": 229,
        "copy_file_range": 326, "creat": 85, "dup": 32, "dup3": 292, "epoll_create": 213, "epoll_pwait": 281,
        "epoll_pwait2": 441, "eventfd": 284, "eventfd2": 290, "faccessat": 269, "faccessat2": 439,
        "fadvise64": 221, "fchdir": 81, "fchmod": 91, "fchmodat": 268, "fchown": 93, "fchownat": 260,
        "fgetxattr": 193, "flistxattr": 196, "fstat": 5, "fstatfs": 138, "ftruncate": 77, "futex_waitv": 449,
        "futimesat": 261, "get_robust_list": 274, "getcpu": 309, "getdents": 78, "getitimer": 36, "getpgid": 121,
        "getresgid": 120, "getrlimit": 97, "getsockopt": 55, "gettimeofday": 96, "getxattr": 191, "lchown": 94,
        "lgetxattr": 192, "linkat": 265, "llistxattr": 195, "lstat": 6, "membarrier": 324, "mincore": 27,
        "mkdirat": 258, "mlock": 149, "mlockall": 151, "mremap": 25, "msync": 26, "munlock": 150,
        "munlockall": 152, "nanosleep": 35, "open": 2, "pause": 34, "pidfd_open": 434, "pidfd_send_signal": 424,
        "pipe": 22, "ppoll": 271, "preadv": 295, "preadv2": 327, "pwritev": 296, "pwritev2": 328, "readahead": 187,
        "readlinkat": 267, "renameat": 264, "renameat2": 316, "restart_syscall": 219, "rt_sigpending": 127,
        "rt_sigsuspend": 130, "rt_sigtimedwait": 128, "sched_get_priority_max": 146, "sched_get_priority_min": 147,
        "sched_getparam": 143, "sched_getscheduler": 145, "sched_setaffinity": 203, "sched_yield": 24,
        "select": 23, "setpgid": 109, "setpriority": 141, "setrlimit": 160, "setsid": 112, "shutdown": 48,
        "sigaltstack": 131, "signalfd4": 289, "stat": 4, "statx": 332, "symlinkat": 266, "sync_file_range": 277,
        "time": 201, "timerfd_create": 283, "timerfd_gettime": 287, "timerfd_settime": 286, "tkill": 200,
        "utime": 132, "utimes": 235, "waitid": 247, "writev": 20,
    },
    "aarch64": {
        "newfstatat": 79, "read": 63, "write": 64, "openat": 56, "lseek": 62, "getpid": 172, "close": 57,
        "prlimit64": 261, "rt_sigaction": 134, "getrandom": 278, "ioctl": 29, "getdents64": 61, "mmap": 222,
        "futex": 98, "gettid": 178, "clock_nanosleep": 115, "exit_group": 94, "set_robust_list": 99,
        "rt_sigprocmask": 135, "mprotect": 226, "munmap": 215, "getuid": 174, "brk": 214, "fcntl": 25,
        "socket": 198, "pipe2": 59, "connect": 203, "pwrite64": 68, "rseq": 293, "close_range": 436, "pread64": 67,
        "execve": 221, "exit": 93, "madvise": 233, "fdatasync": 83, "wait4": 260, "recvfrom": 207, "unlinkat": 35,
        "getsockname": 204, "epoll_ctl": 21, "getcwd": 17, "sendto": 206, "setsockopt": 208, "geteuid": 175,
        "getppid": 173, "kill": 129, "sendfile": 71, "sysinfo": 179, "utimensat": 88, "getegid": 177,
        "listxattr": 11, "sched_getaffinity": 123, "set_tid_address": 96, "umask": 166, "clock_gettime": 113,
        "epoll_create1": 20, "flock": 32, "getgid": 176, "rt_sigreturn": 139, "socketpair": 199, "tgkill": 131,
        "bind": 200, "fallocate": 47, "fsync": 82, "getgroups": 158, "getpeername": 205, "getpriority": 141,
        "getresuid": 148, "getrusage": 165, "getsid": 156, "listen": 201, "prctl": 167, "pselect6": 72,
        "readv": 65, "recvmsg": 212, "sendmsg": 211, "setitimer": 103, "statfs": 43, "times": 153, "truncate": 45,
        "uname": 160, "accept": 202, "accept4": 242, "capget": 90, "chdir": 49, "clock_getres": 114,
        "copy_file_range": 285, "dup": 23, "dup3": 24, "epoll_pwait": 22, "epoll_pwait2": 441, "eventfd2": 19,
        "faccessat": 48, "faccessat2": 439, "fadvise64": 223, "fchdir": 50, "fchmod": 52, "fchmodat": 53,
        "fchown": 55, "fchownat": 54, "fgetxattr": 10, "flistxattr": 13, "fstat": 80, "fstatfs": 44,
        "ftruncate": 46, "futex_waitv": 449, "get_robust_list": 100, "getcpu": 168, "getitimer": 102,
        "getpgid": 155, "getresgid": 150, "getrlimit": 163, "getsockopt": 209, "gettimeofday": 169, "getxattr": 8,
        "lgetxattr": 9, "linkat": 37, "llistxattr": 12, "membarrier": 283, "mincore": 232, "mkdirat": 34,
        "mlock": 228, "mlockall": 230, "mremap": 216, "msync": 227, "munlock": 229, "munlockall": 231,
        "nanosleep": 101, "pidfd_open": 434, "pidfd_send_signal": 424, "ppoll": 73, "preadv": 69, "preadv2": 286,
        "pwritev": 70, "pwritev2": 287, "readahead": 213, "readlinkat": 78, "renameat": 38, "renameat2": 276,
        "restart_syscall": 128, "rt_sigpending": 136, "rt_sigsuspend": 133, "rt_sigtimedwait": 137,
        "sched_get_priority_max": 125, "sched_get_priority_min": 126, "sched_getparam": 121,
        "sched_getscheduler": 120, "sched_setaffinity": 122, "sched_yield": 124, "setpgid": 154,
        "setpriority": 140, "setrlimit": 164, "setsid": 157, "shutdown": 210, "sigaltstack": 132, "signalfd4": 74,
        "statx": 291, "symlinkat": 36, "sync_file_range": 84, "timerfd_create": 85, "timerfd_gettime": 87,
        "timerfd_settime": 86, "tkill": 130, "waitid": 95, "writev": 66,
    },
}  # fmt: skip
# Seen in the measurement (bench/seccomp_inventory.py; see README.md):
MEASURED = frozenset({
    "access", "alarm", "arch_prctl", "bind", "brk", "chmod", "clock_gettime", "clock_nanosleep", "close",
    "close_range", "connect", "dup2", "epoll_create1", "epoll_ctl", "epoll_wait", "execve", "exit", "exit_group",
    "fallocate", "fcntl", "fdatasync", "flock", "fsync", "futex", "getcwd", "getdents64", "getegid", "geteuid",
    "getgid", "getgroups", "getpeername", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresuid",
    "getrusage", "getsid", "getsockname", "gettid", "getuid", "ioctl", "kill", "link", "listen", "listxattr",
    "lseek", "madvise", "mkdir", "mmap", "mprotect", "munmap", "newfstatat", "openat", "pipe2", "poll", "prctl",
    "pread64", "prlimit64", "pselect6", "pwrite64", "read", "readlink", "readv", "recvfrom", "recvmsg", "rename",
    "rmdir", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sched_getaffinity", "sendfile", "sendmsg",
    "sendto", "set_robust_list", "set_tid_address", "setitimer", "setsockopt", "socket", "socketpair", "statfs",
    "symlink", "sysinfo", "tgkill", "times", "truncate", "umask", "uname", "unlink", "unlinkat", "utimensat",
    "vfork", "wait4", "write",
})  # fmt: skip
# Not seen, added on review: variants and neighbours of measured calls that the C library, CPython or the
# standard library use on other paths (legacy x86_64 forms, *at forms, xattrs for shutil.copy2, timers,
# process groups for subprocess, epoll/eventfd for asyncio, mlock, sched_*).
REVIEWED = frozenset({
    "accept", "accept4", "capget", "chdir", "chown", "clock_getres", "copy_file_range", "creat", "dup", "dup3",
    "epoll_create", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "faccessat", "faccessat2", "fadvise64",
    "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fgetxattr", "flistxattr", "fstat", "fstatfs",
    "ftruncate", "futex_waitv", "futimesat", "get_robust_list", "getcpu", "getdents", "getitimer", "getpgid",
    "getresgid", "getrlimit", "getsockopt", "gettimeofday", "getxattr", "lchown", "lgetxattr", "linkat",
    "llistxattr", "lstat", "membarrier", "mincore", "mkdirat", "mlock", "mlockall", "mremap", "msync", "munlock",
    "munlockall", "nanosleep", "open", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "ppoll", "preadv",
    "preadv2", "pwritev", "pwritev2", "readahead", "readlinkat", "renameat", "renameat2", "restart_syscall",
    "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getparam", "sched_getscheduler", "sched_setaffinity", "sched_yield", "select", "setpgid", "setpriority",
    "setrlimit", "setsid", "shutdown", "sigaltstack", "signalfd4", "stat", "statx", "symlinkat", "sync_file_range",
    "time", "timerfd_create", "timerfd_gettime", "timerfd_settime", "tkill", "utime", "utimes", "waitid", "writev",
})  # fmt: skip
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
# Most frequent first (the order of the measurement's counts): a call is matched sooner.
ALLOWED = {n: number for n, number in _ALLOWED_NUMBERS[MACHINE].items() if n not in DENIED and n != "clone"}


def _program() -> bytes:
    """Assemble the filter. Each listed call is a compare followed by its return (jumps in classic BPF reach
    at most 255 instructions ahead, and the list is longer than that); labels are resolved to the relative
    offsets BPF wants, and only ever point a few instructions ahead."""
    code: list[tuple[int, object, object, int]] = [
        (_LD_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ, 1, 0, _AUDIT_ARCH[MACHINE]),
        (_RET, 0, 0, _RET_KILL_PROCESS),
        (_LD_ABS, 0, 0, _OFFSET_NR),
    ]
    if MACHINE == "x86_64":
        code += [(_JGE, 0, 1, _X32_SYSCALL_BIT), (_RET, 0, 0, _RET_KILL_PROCESS)]
    code += [
        (_JEQ, 0, 1, _CLONE3),
        (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        (_JEQ, 0, 4, _NUMBERS[MACHINE]["clone"]),
        (_LD_ABS, 0, 0, _OFFSET_ARG0_LOW),
        (_JSET, 0, 1, _CLONE_NAMESPACES),
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        (_RET, 0, 0, _RET_ALLOW),
    ]
    for number in sorted(DENIED.values()):
        code += [(_JEQ, 0, 1, number), (_RET, 0, 0, _RET_ERRNO | errno.EPERM)]
    for number in ALLOWED.values():
        code += [(_JEQ, 0, 1, number), (_RET, 0, 0, _RET_ALLOW)]
    code.append((_RET, 0, 0, _RET_ERRNO | errno.ENOSYS))  # anything else: "not implemented"
    if len(code) > 4096:
        raise RuntimeError(f"the seccomp filter has {len(code)} instructions; the kernel takes 4096")
    return b"".join(struct.pack("=HBBI", op, jt, jf, k) for op, jt, jf, k in code)


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
