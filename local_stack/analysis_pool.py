"""Building results on the machine's other core, for the embedded mode's worker threads.

The embedded stack is one Python process: the API, the worker, the SQS poller and moto share one GIL, so a burst of
jobs runs on one core. Building a job's result from its posts (``analyses.results.build_result``: the analysis pass
with VADER, the terms and the summary, then fitting the result to the item limit) is pure CPU on plain data, so it
is the part that moves: a child process with only that code loaded (~35 MiB), fed the job and its posts and answering
the result, while the worker's storage calls stay in the stack's process next to moto.
``LOCAL_ANALYSIS_PROCESSES=0`` keeps it inline.

A plain child on two pipes (length-prefixed pickles; ``python -m local_stack.analysis_pool``) rather than
``multiprocessing``: its spawn start adds a resource-tracker process (memory) and its queues a feeder thread per
pool. The child ends when its input closes, so it cannot outlive the stack, even after a ``kill -9``.

Lambda needs none of this: each worker container has its own share of a core, and the result is built inline there.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
from typing import BinaryIO

from local_stack.template import REPO_ROOT

_LENGTH = struct.Struct("!I")


def _send(out: BinaryIO, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def _receive(source: BinaryIO) -> object:
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the analysis process closed its pipe")
    (length,) = _LENGTH.unpack(head)
    data = source.read(length)
    if len(data) < length:
        raise EOFError("the analysis process closed its pipe")
    return pickle.loads(data)  # noqa: S301 - our own child's bytes, over a private pipe


class _Child:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local_stack.analysis_pool"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "functions"), str(REPO_ROOT)])},
            cwd=REPO_ROOT,
        )
        if _receive(self.process.stdout) != "ready":
            raise RuntimeError("the analysis process did not start")

    def call(self, args: tuple, kwargs: dict) -> dict:
        _send(self.process.stdin, (args, kwargs))
        ok, value = _receive(self.process.stdout)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the child's loop ends on EOF
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class AnalysisPool:
    """Callable as ``build_result(...)``; each call runs in one of ``processes`` children (inline once one is lost).
    The worker's threads share the children: a call waits for a free one, with the GIL released meanwhile."""

    def __init__(self, processes: int = 1) -> None:
        self._children = [_Child() for _ in range(processes)]
        self._free: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        for child in self._children:
            self._free.put(child)
        self._lost = False

    def __call__(self, *args, **kwargs) -> dict:
        from social_analytics.analyses.results import build_result

        if not self._lost:
            child = self._free.get()
            try:
                return child.call(args, kwargs)
            except (EOFError, OSError):  # killed or gone: the jobs go on, built here
                self._lost = True
                print("analysis process lost: results are built in the stack's process from now on", file=sys.stderr)
            finally:
                self._free.put(child)
        return build_result(*args, **kwargs)

    def pids(self) -> list[int]:
        return [child.process.pid for child in self._children if child.process.poll() is None]

    def close(self) -> None:
        for child in self._children:
            child.close()


def main() -> None:
    """The child: answer ``(ok, result or exception)`` for each ``(args, kwargs)`` until the input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the stack stops this one
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the analysis prints goes to stderr, never into the answers
    requests = sys.stdin.buffer
    from social_analytics.analyses.results import build_result
    from social_analytics.scoring.summary import score_text

    score_text("warm up")  # builds VADER's analyzer (its lexicons read from disk) before the first job
    _send(answers, "ready")
    while True:
        try:
            args, kwargs = _receive(requests)
        except EOFError:
            return
        try:
            answer = (True, build_result(*args, **kwargs))
        except Exception as error:  # the job's own failure (a result too large): raised again in the stack
            answer = (False, error)
        _send(answers, answer)


if __name__ == "__main__":
    main()
