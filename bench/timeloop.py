"""Time one block of launches of an external tool, for bench/launch.sh.

    python3 timeloop.py NAME N WARMUP OUT -- CMD...

Runs CMD WARMUP + N times, one at a time, and writes the wall time of each timed
run (ns, from just before the fork until the reap) to OUT, one per line. If a
launch exits non-zero or hangs, nothing is written to OUT; OUT.failed gets one
line saying which launch failed and how (with the tool's stderr), the same line
goes to stderr, and the exit status is 1.
"""
import signal
import subprocess
import sys
import time

TIMEOUT = 120


class Timeout(Exception):
    pass


def alarm(signum, frame):
    raise Timeout()


def one_line(text, limit=300):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def main():
    name, n, warmup, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if sys.argv[5] != "--" or len(sys.argv) < 7:
        sys.exit("timeloop.py: usage: NAME N WARMUP OUT -- CMD...")
    cmd = sys.argv[6:]
    # Popen.wait() without a timeout blocks in waitpid(); subprocess.run(timeout=...)
    # would poll with sleeps growing to 50 ms and round every launch up to the next
    # poll. A SIGALRM is the watchdog instead.
    signal.signal(signal.SIGALRM, alarm)
    times = []
    with open(out + ".stderr", "w+b") as err:
        for i in range(-warmup, n):
            err.seek(0)
            err.truncate()
            t0 = time.perf_counter_ns()
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            signal.alarm(TIMEOUT)
            try:
                rc = p.wait()
            except Timeout:
                p.kill()
                p.wait()
                rc = "timeout after %d s" % TIMEOUT
            finally:
                signal.alarm(0)
            t = time.perf_counter_ns() - t0
            if rc != 0:
                err.seek(0)
                msg = err.read().decode(errors="replace")
                what = "warmup launch %d" % (i + warmup + 1) if i < 0 else "timed launch %d" % (i + 1)
                line = "%s exited %s: %s" % (what, rc, one_line(msg) or "(no stderr)")
                with open(out + ".failed", "w") as f:
                    f.write(line + "\n")
                sys.stderr.write("launch.sh: %s: %s\n  command: %s\n" % (name, line, " ".join(cmd)))
                sys.exit(1)
            if i >= 0:
                times.append(t)
    with open(out, "w") as f:
        f.write("".join("%d\n" % t for t in times))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
