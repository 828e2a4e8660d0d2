"""Measuring whether a job releases the GIL: a pure-Python counter runs in
this thread while the job runs in another, and its rate is compared with
its rate alone, measured in the same run (never with a fixed duration)."""

import threading
import time


def count_while(job):
    """(calls of a pure-Python counter per second of job, solo rate, job time)."""

    def count_for(stop):
        n = 0
        while not stop():
            n += 1
        return n

    # The solo count stops on an event as the count during the job does, so
    # that both loops cost the same per step.
    alone = threading.Event()
    timer = threading.Timer(0.3, alone.set)
    t0 = time.perf_counter()
    timer.start()
    solo = count_for(alone.is_set)
    solo_rate = solo / (time.perf_counter() - t0)
    timer.join()
    done = threading.Event()
    result = {}

    def run_job():
        try:
            result["value"] = job()
        finally:
            result["end"] = time.perf_counter()
            done.set()

    worker = threading.Thread(target=run_job)
    start = time.perf_counter()
    worker.start()
    during = count_for(done.is_set)
    worker.join()
    took = result["end"] - start
    return during / took, solo_rate, took, result.get("value")


def gil_holding_call(seconds):
    """The control: one builtin call that holds the GIL for about
    ``seconds`` or longer on this machine, whatever its speed.  It is sized
    from the fastest of three timed calls, so that a call the OS preempted
    does not size it too short; the counter then runs only at its two ends."""
    n = 1 << 20
    one = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        sum(range(n))
        one = min(one, time.perf_counter() - t0)
    n = max(n, int(n * seconds / one))
    return lambda: sum(range(n))
