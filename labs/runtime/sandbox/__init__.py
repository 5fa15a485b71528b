"""Where student code runs: execution environments forked from a warm fork server inside bubblewrap.

On the host: ``host`` (the fork server's handle, the code store, ``resolve_mode``), ``environment`` (one
environment's channel and output) and ``cgroups`` (its pids cgroup). Inside the sandbox, mounted at
``/var/runtime`` and imported there as top-level modules: ``forkserver`` (the fork server, isolation and
supervision), ``seccomp`` (the system call filter), ``lambda_runtime`` (the Lambda runtime loop) and
``framing`` (the channel's frames, used on both sides). See README.md beside this package.
"""
