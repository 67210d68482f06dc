# The live-interpreter test's program (replay/pyframes/live_interpreter_test.cc): threads that
# block at known lines, and a JSON line with what Python itself says about every thread's stack.
# Runs on any CPython 3.11+; prints READY last, then blocks until its stdin closes.
import json
import sys
import threading
import traceback


def hold(ev):
    ev.wait()


def worker(ev, started):
    started.release()
    hold(ev)


def report(block_line):
    frames = sys._current_frames()
    threads = []
    for t in threading.enumerate():
        stack = [[f.filename, f.name, f.lineno]
                 for f in traceback.extract_stack(frames[t.ident])]
        if t is threading.main_thread():
            stack = stack[:-1]  # report() itself: gone when the test reads the stack
            stack[-1][2] = block_line
        threads.append({"ident": t.ident, "native_id": t.native_id, "name": t.name,
                        "stack": stack[::-1]})
    print(json.dumps({"threads": threads, "version": list(sys.version_info[:2])}), flush=True)


def main():
    ev = threading.Event()
    started = threading.Semaphore(0)
    for i in range(2):
        threading.Thread(target=worker, args=(ev, started), name="worker-%d" % i).start()
    for i in range(2):
        started.acquire()
    # Let the workers reach the lock inside ev.wait(); the test reads them only after READY.
    import time
    time.sleep(0.3)
    block(ev)


def block(ev):
    report(sys._getframe().f_lineno + 2)
    print("READY", flush=True)
    sys.stdin.read()
    ev.set()


main()
