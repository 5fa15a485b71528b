"""Where student code runs: execution environments forked from a warm fork server inside bubblewrap.

On the host: ``host`` (the fork server's handle, ``resolve_mode``), ``codestore`` (function code unpacked
per account, bounded, removed when the account closes), ``environment`` (one environment's channel, output
and host-side memory reading) and ``cgroups`` (its pids cgroup). Inside the sandbox, mounted at
``/var/runtime`` and imported there as top-level modules: ``forkserver`` (the fork server, isolation and
supervision), ``seccomp`` (the system call filter), ``lambda_runtime`` (the Lambda runtime loop) and
``framing`` (the channel's frames, used on both sides). See README.md beside this package.
"""
