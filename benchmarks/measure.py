"""Run one command and print its wall time, CPU time and peak memory as one JSON line.

    python -S -E benchmarks/measure.py TIMEOUT STDERR_FILE -- COMMAND [ARG...]

Started afresh for every measured run, by benchmarks/run.py. Linux charges a child's peak RSS with the memory of
the process that forked it (the child starts as a copy of it), so the fork is done from this small process
rather than from the runner, whose memory grows; what /bin/true reports through it is the floor of every
reading. Only the standard library, imported with -S -E so that this process stays small and ignores the
caller's PYTHONPATH.

`measured(command, cwd, env, timeout, stderr_path)` runs this script on a command from another Python program
(benchmarks/run.py and benchmarks/startup.py) and returns the JSON line as a dict.

The command runs in its own session (its process group is killed after TIMEOUT seconds), with standard input
and output on /dev/null and standard error in STDERR_FILE. CPU time and peak RSS come from wait4: they include
every descendant the command waited for.
"""

import json
import os
import signal
import subprocess
import sys
import time


def measured(command, cwd, env, timeout, stderr_path):
    """Run `command` through this script, as a fresh process: {"wall", "user", "sys", "max_rss_mib", "exit",
    "timed_out"}."""
    out = subprocess.run([sys.executable, "-S", "-E", os.path.abspath(__file__), str(timeout), str(stderr_path), "--",
                          *command], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    try:
        return json.loads(out.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"measure.py failed: {out.stderr.decode(errors='replace')[-500:]}") from None


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: measure.py TIMEOUT STDERR_FILE -- COMMAND [ARG...]\n")
        return 2
    timeout, stderr_path, command = float(argv[0]), argv[1], argv[3:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: its own session, then the command
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDWR)
            err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.dup2(err, 2)
            os.execvp(command[0], command)
        except BaseException as exc:  # noqa: BLE001 - report anything and leave without cleanup
            os.write(2, f"measure.py: cannot run {command[0]}: {exc}\n".encode())
        os._exit(127)
    timed_out = []

    def on_alarm(signum, frame):
        timed_out.append(True)
        try:
            os.killpg(pid, signal.SIGKILL)  # the session this run started, nothing else
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps({
        "wall": wall,
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "max_rss_mib": usage.ru_maxrss / 1024.0,
        "exit": os.waitstatus_to_exitcode(status),
        "timed_out": bool(timed_out),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
