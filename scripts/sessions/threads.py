"""Chapter 9.1, "Python threads", on Python 3.11.

The chapter runs `thread.start_new_thread(threadFunc, ())` in Python 2 and breaks in
PyThread_start_new_thread (Python/thread_pthread.h). Python 3 renamed the module `_thread`; the
call is otherwise the same. We wait for the thread properly (a lock it releases), then run a
small `threading` pool of workers that take jobs from a queue.

Run: pyreplay record --session threads
"""

import _thread
import queue
import sys
import threading

from ground_truth import GroundTruth

truth = GroundTruth("threads")
finished = _thread.allocate_lock()


def threadFunc():
    print("hello")
    truth.thread("threadFunc", via="_thread.start_new_thread")
    finished.release()


def worker(jobs, results):
    truth.thread(threading.current_thread().name, via="threading.Thread")
    while True:
        n = jobs.get()
        if n is None:
            return
        results.put((n, sum(i * i for i in range(n))))


def run_pool(workers=4, job_count=12):
    jobs, results = queue.Queue(), queue.Queue()
    pool = [threading.Thread(target=worker, args=(jobs, results), name="worker-%d" % i)
            for i in range(workers)]
    for t in pool:
        t.start()
    for n in range(job_count):
        jobs.put(100 + n)
    for _ in pool:
        jobs.put(None)
    for t in pool:
        t.join()
    return sorted(results.get() for _ in range(job_count))


def main():
    truth.thread("MainThread")
    finished.acquire()
    _thread.start_new_thread(threadFunc, ())
    finished.acquire()  # threadFunc releases it: the chapter's thread has run
    totals = run_pool()
    print("pool computed", len(totals), "results")
    truth.write()


if __name__ == "__main__":
    sys.exit(main())
