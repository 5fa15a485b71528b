# ruff: noqa - a tour of the standard library, written to make system calls, not to be a model
"""A Lambda handler that walks through the standard library and boto3 (files, sqlite3, compression, threads,
subprocesses, signals, asyncio, sockets, memory, ctypes, logging): ``bench/seccomp_inventory.py tour`` runs it
under strace to measure the system calls the sandbox must allow. Each step reports "ok" or its error."""

import asyncio
import bz2
import concurrent.futures
import csv
import ctypes
import datetime
import decimal
import gzip
import hashlib
import io
import json
import logging
import lzma
import os
import platform
import queue
import random
import resource
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
import zlib

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    done = {}

    def step(name, function):
        try:
            function()
            done[name] = "ok"
        except Exception as error:  # noqa
            done[name] = f"{type(error).__name__}: {error}"

    step("json", lambda: json.loads(json.dumps({"a": [1, 2.5, None]})))
    step(
        "files",
        lambda: (
            os.makedirs("/tmp/t/a", exist_ok=True),
            open("/tmp/t/a/f.txt", "w").write("x" * 100000),
            shutil.copy2("/tmp/t/a/f.txt", "/tmp/t/g.txt"),
            shutil.copytree("/tmp/t/a", "/tmp/t/b"),
            os.rename("/tmp/t/g.txt", "/tmp/t/h.txt"),
            os.listdir("/tmp/t"),
            list(os.scandir("/tmp/t")),
            os.stat("/tmp/t/h.txt"),
            os.chmod("/tmp/t/h.txt", 0o600),
            os.utime("/tmp/t/h.txt"),
            os.symlink("/tmp/t/h.txt", "/tmp/t/l"),
            os.readlink("/tmp/t/l"),
            os.link("/tmp/t/h.txt", "/tmp/t/hl"),
            os.truncate("/tmp/t/h.txt", 10),
            shutil.disk_usage("/tmp"),
            shutil.rmtree("/tmp/t"),
        ),
    )
    step(
        "tempfile",
        lambda: (
            tempfile.TemporaryFile().write(b"x"),
            tempfile.mkdtemp(),
            tempfile.NamedTemporaryFile().flush(),
        ),
    )

    def file_ops():
        with open("/tmp/sync.bin", "wb") as f:
            f.write(b"y" * 5000)
            f.flush()
            os.fsync(f.fileno())
            os.fdatasync(f.fileno())
            os.pwrite(f.fileno(), b"z", 3)
            os.posix_fallocate(f.fileno(), 0, 10000)
        fd = os.open("/tmp/sync.bin", os.O_RDONLY)
        os.pread(fd, 10, 0)
        os.readv(fd, [bytearray(4)])
        os.close(fd)
        import fcntl

        with open("/tmp/sync.bin", "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            fcntl.flock(f, fcntl.LOCK_UN)
            fcntl.lockf(f, fcntl.LOCK_SH)

    step("file_ops", file_ops)

    def db():
        connection = sqlite3.connect("/tmp/db.sqlite")
        connection.execute("create table if not exists t(x)")
        connection.execute("insert into t values (1)")
        connection.commit()
        connection.close()
        memory = sqlite3.connect(":memory:")
        memory.execute("select 1")
        memory.close()

    step("sqlite", db)
    step(
        "compress",
        lambda: (
            gzip.decompress(gzip.compress(b"x" * 1000)),
            bz2.compress(b"x"),
            lzma.compress(b"x"),
            zlib.crc32(b"x"),
        ),
    )

    def zips():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("a", "b")
        zipfile.ZipFile(buffer).extractall("/tmp/z")

    step("zip", zips)
    step(
        "hash",
        lambda: (
            hashlib.sha256(b"x").hexdigest(),
            hashlib.md5(b"x"),
            secrets.token_hex(8),
            uuid.uuid4(),
            uuid.uuid1(),
            random.SystemRandom().random(),
        ),
    )
    step(
        "time",
        lambda: (
            time.time(),
            time.monotonic(),
            time.process_time(),
            time.thread_time(),
            time.sleep(0.01),
            datetime.datetime.now().astimezone(),
            time.perf_counter_ns(),
            os.times(),
        ),
    )
    step(
        "platform",
        lambda: (
            platform.uname(),
            platform.platform(),
            os.cpu_count(),
            os.sched_getaffinity(0),
            os.getloadavg() if hasattr(os, "getloadavg") else None,
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrlimit(resource.RLIMIT_NOFILE),
            os.getpriority(os.PRIO_PROCESS, 0),
            os.umask(0o22),
            os.getcwd(),
            os.getgroups(),
            os.getresuid(),
            os.getegid(),
            os.getpgrp(),
            os.getsid(0),
        ),
    )

    def threads():
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda x: x * x, range(20)))
        q = queue.Queue()
        t = threading.Thread(target=lambda: q.put(1))
        t.start()
        t.join()
        q.get(timeout=1)
        event = threading.Event()
        event.wait(0.01)
        threading.Timer(0.001, lambda: None).start()
        lock = threading.Condition()
        with lock:
            lock.wait(0.01)

    step("threads", threads)

    def processes():
        subprocess.run(
            [sys.executable, "-c", "import json; print(1)"], capture_output=True, check=True, timeout=10
        )
        p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
        p.terminate()
        p.wait()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        with concurrent.futures.ProcessPoolExecutor(2) as pool:
            list(pool.map(abs, [-1, -2]))

    step("processes", processes)

    def signals():
        signal.signal(signal.SIGALRM, lambda *a: None)
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        time.sleep(0.05)
        signal.alarm(0)
        signal.pthread_sigmask(signal.SIG_BLOCK, [])
        signal.raise_signal(signal.SIGALRM)
        signal.pthread_kill(threading.get_ident(), 0)
        signal.siginterrupt(signal.SIGALRM, False)

    step("signals", signals)

    async def aio():
        await asyncio.sleep(0.01)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print(2)", stdout=asyncio.subprocess.PIPE
        )
        await process.communicate()
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(5)))
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.001)

    step("asyncio", lambda: asyncio.run(aio()))

    def sockets():
        a, b = socket.socketpair()
        a.sendall(b"x")
        b.recv(1)
        a.sendmsg([b"y"])
        b.recvmsg(1)
        a.close()
        b.close()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", 0))
            s.listen()
            s.getsockname()
        finally:
            s.close()
        u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        u.close()
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=0.1)
        except OSError:
            pass
        try:
            socket.getaddrinfo("example.com", 443)
        except OSError:
            pass
        r, w = os.pipe()
        select.select([r], [w], [], 0)
        p = select.poll()
        p.register(r)
        p.poll(0)
        e = select.epoll()
        e.register(r)
        e.poll(0)
        e.close()

    step("sockets", sockets)
    step(
        "memory",
        lambda: (
            bytearray(50 * 1024 * 1024),
            b"x" * (20 * 1024 * 1024),
            __import__("mmap").mmap(-1, 1 << 20),
        ),
    )
    step("ctypes", lambda: (ctypes.CDLL(None).getpid(), ctypes.util if False else None))
    step("decimal_csv", lambda: (decimal.Decimal("1.1") * 3, list(csv.reader(["a,b"]))))
    step("logging", lambda: logger.info("tour %s", 1))

    def aws():
        s3 = boto3.client("s3")
        s3.list_buckets()
        boto3.resource("dynamodb").meta.client.list_tables()
        boto3.client("sqs").list_queues()

    step("boto3", aws)
    return done
