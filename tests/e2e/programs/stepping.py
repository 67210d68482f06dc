"""A deterministic program for the stepping tests.

Run plainly (that is what gets recorded), or with `--trace OUT.json` to write its own line trace
made with sys.settrace/threading.settrace: for each thread name, every line event as
[file basename, line, function, depth]. That unrecorded run is the ground truth the tests compare
`pyr step`/`pyr rstep` against.

Each section starts with a call to a distinct, otherwise unused C function (os.getppid,
os.getpgid, ...) so a test can reach it with a gdb breakpoint. Lines the tests look for carry a
`# @NAME` tag.
"""

import asyncio
import json
import os
import sys
import threading
import time


def helper(x):
    y = x * 2  # @helper_first
    z = y + 1
    return z  # @helper_last


def squares(n):
    for i in range(n):  # @gen_for
        yield i * i  # @gen_yield


async def double(n):
    await asyncio.sleep(0)  # @coro_await
    return n * 2  # @coro_return


async def gather_doubles():
    os.getpgrp()  # @coro_first
    a = await double(1)  # @coro_a
    b = await double(2)
    return a + b


def level3():
    raise ValueError("deep")  # @raise


def level2():
    level3()  # @level2_call


def level1():
    level2()  # @level1_call


def section_lines():
    os.getppid()  # @lines_start
    a = helper(1)  # @lines_call
    b = helper(a)
    for i in range(2):  # @lines_for
        a += i
    c = a + b
    return c  # @lines_end


def section_generator():
    os.getpgid(0)  # @gen_start
    total = 0
    for sq in squares(3):  # @gen_loop
        total += sq  # @gen_body
    return total


def section_coroutine():
    os.getresgid()  # @coro_start
    r = asyncio.run(gather_doubles())  # @coro_run
    return r


def section_exception():
    os.getsid(0)  # @exc_start
    try:
        level1()  # @exc_call
    except ValueError:
        handled = 1  # @exc_handler
    return handled


def worker():
    os.getresuid()  # @worker_start
    x = 1
    time.sleep(0.05)  # @worker_sleep
    y = x + 1  # @worker_after
    return y


def main():
    t = threading.Thread(target=worker, name="worker")
    t.start()
    for _ in range(3):  # other threads run while the worker sleeps
        time.sleep(0.01)
    t.join()
    section_lines()
    section_generator()
    section_coroutine()
    section_exception()
    print("stepping done")


def traced(out_path):
    events = {}

    def tracer(frame, event, arg):
        if event == "line":
            depth = 0
            f = frame
            while f is not None:
                depth += 1
                f = f.f_back
            code = frame.f_code
            events.setdefault(threading.current_thread().name, []).append(
                [os.path.basename(code.co_filename), frame.f_lineno, code.co_name, depth])
        return tracer

    threading.settrace(tracer)
    sys.settrace(tracer)
    main()
    sys.settrace(None)
    threading.settrace(None)
    with open(out_path, "w") as f:
        json.dump(events, f)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--trace":
        traced(sys.argv[2])
    else:
        main()
