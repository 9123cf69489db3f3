"""Worker processes for a build: forked once, fed tasks through pipes, and no threads.

concurrent.futures' process pool moves every task and result through two helper threads
of the build process; on 50,000 files they took more of its CPU than the build's own
bookkeeping, competing with the workers for the cores. Here the build process writes
tasks and reads results itself, on non-blocking pipes, whenever it waits for one.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import selectors
import signal
import struct
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from assetbuild.diagnostics import BuildError, error

T = TypeVar("T")
PIPE_BYTES = 1 << 20  # a large pipe: fewer wake-ups for large texts (Linux may refuse)
_HEADER = struct.Struct("<Q")
_F_SETPIPE_SZ = 1031


class Task(Generic[T]):
    """A call sent (or to be sent) to a worker; done() once its outcome is back."""

    __slots__ = ("message", "_done", "_ok", "_value")

    def __init__(self, message: bytes):
        self.message = message  # framed and pickled, until it is handed to a worker's pipe
        self._done = False
        self._ok = False
        self._value: Any = None

    def done(self) -> bool:
        return self._done

    def result(self) -> T:
        """What the call returned; raises what it raised."""
        assert self._done, "the task is not done"
        if not self._ok:
            raise self._value
        return self._value

    def _finish(self, ok: bool, value: Any) -> None:
        self._done, self._ok, self._value = True, ok, value


class Done(Task[T]):
    """A task run at once in this process (no workers: one job, or little work)."""

    def __init__(self, fn: Callable[..., T], *args: Any):
        super().__init__(b"")
        self._finish(True, fn(*args))


class _Worker:
    def __init__(self, pid: int, to_worker: int, from_worker: int):
        self.pid, self.to_worker, self.from_worker = pid, to_worker, from_worker
        self.sent: deque[Task] = deque()  # in the order the worker runs them
        self.outbox: deque[memoryview] = deque()
        self.inbox = bytearray()
        self.watched = False  # the selector watches to_worker: the outbox waits for room


class Pool:
    """*workers* forked processes. ``submit`` queues a call; ``wait`` runs the pipes until
    a task is done. Use as a context manager: leaving it stops the workers.

    Each worker first calls *warm_up* (when given), while this process goes on: work every
    task would otherwise pay for on first use, such as compiling patterns."""

    def __init__(self, workers: int, warm_up: Callable[[], object] | None = None):
        self.size = workers  # worker processes started
        self._warm_up = warm_up
        self._queue: deque[tuple[Task, int]] = deque()  # with how far ahead it may be sent
        self._urgent: deque[tuple[Task, int]] = deque()
        self._selector = selectors.DefaultSelector()
        self._workers: list[_Worker] = []
        try:
            for _ in range(workers):
                self._workers.append(self._start())
        except BaseException:
            self.close(kill=True)
            raise

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(kill=kind is not None)

    def submit(self, fn: Callable[..., T], *args: Any, urgent: bool = False,
               ahead: int = 1) -> Task[T]:
        """Queue ``fn(*args)`` (*fn* must be a module-level function); urgent tasks are
        sent before the others still queued. The task is sent to a worker with fewer
        than *ahead* tasks not done (how far ahead is the scheduler's choice:
        schedule.DEPTH)."""
        message = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        task: Task[T] = Task(_HEADER.pack(len(message)) + message)
        del message
        (self._urgent if urgent else self._queue).append((task, ahead))
        self._dispatch()
        return task

    def wait(self, tasks: Iterable[Task]) -> None:
        """Run the pipes until one of *tasks* is done."""
        tasks = list(tasks)
        while not any(task.done() for task in tasks):
            self._pump()

    def close(self, kill: bool = False) -> None:
        """Stop the workers: at once with *kill*, else when they have read their last task."""
        for worker in self._workers:
            if kill:
                _signal(worker.pid, signal.SIGKILL)
            for fd in (worker.to_worker, worker.from_worker):
                try:
                    os.close(fd)
                except OSError:
                    pass
        for worker in self._workers:
            try:
                os.waitpid(worker.pid, 0)
            except ChildProcessError:
                pass
        self._workers = []
        self._selector.close()

    # -- this process's side ----------------------------------------------------------------

    def _start(self) -> _Worker:
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        for fd in (task_write, result_write):
            try:
                fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            status = 1
            try:
                for other in self._workers:  # so that only its worker holds each pipe
                    os.close(other.to_worker)
                    os.close(other.from_worker)
                os.close(task_write)
                os.close(result_read)
                status = _serve(parent, task_read, result_write, self._warm_up)
            finally:
                os._exit(status)
        os.close(task_read)
        os.close(result_write)
        os.set_blocking(task_write, False)
        os.set_blocking(result_read, False)
        worker = _Worker(pid, task_write, result_read)
        self._selector.register(result_read, selectors.EVENT_READ, worker)
        return worker

    def _dispatch(self) -> None:
        """Send queued tasks to the workers that have room."""
        while self._urgent or self._queue:
            queue = self._urgent or self._queue
            worker = min(self._workers, key=lambda w: len(w.sent))
            if len(worker.sent) >= queue[0][1]:
                return
            task, _ = queue.popleft()
            worker.sent.append(task)
            was_idle = not worker.outbox
            worker.outbox.append(memoryview(task.message))
            task.message = b""  # the outbox holds the only copy, until it is written
            if was_idle:
                self._flush(worker)

    def _flush(self, worker: _Worker) -> None:
        """Write what the pipe takes now; the rest when the selector says it can."""
        while worker.outbox:
            view = worker.outbox[0]
            try:
                n = os.write(worker.to_worker, view)
            except BlockingIOError:
                break
            except BrokenPipeError:
                self._died(worker)
            if n < len(view):
                worker.outbox[0] = view[n:]
                break
            worker.outbox.popleft()
        if worker.outbox and not worker.watched:  # the selector says when it can go on
            self._selector.register(worker.to_worker, selectors.EVENT_WRITE, worker)
        elif worker.watched and not worker.outbox:
            self._selector.unregister(worker.to_worker)
        worker.watched = bool(worker.outbox)

    def _pump(self) -> None:
        for key, _ in self._selector.select():
            worker: _Worker = key.data
            if key.fd == worker.to_worker:
                self._flush(worker)
            else:
                self._receive(worker)
        self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        try:
            chunk = os.read(worker.from_worker, PIPE_BYTES)
        except BlockingIOError:
            return
        if not chunk:
            self._died(worker)
        inbox = worker.inbox
        inbox += chunk
        while len(inbox) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(inbox)
            end = _HEADER.size + size
            if len(inbox) < end:
                break
            ok, value = pickle.loads(memoryview(inbox)[_HEADER.size:end])
            del inbox[:end]
            worker.sent.popleft()._finish(ok, value)

    def _died(self, worker: _Worker) -> None:
        _, status = os.waitpid(worker.pid, 0)
        self._workers.remove(worker)
        if worker.watched:
            self._selector.unregister(worker.to_worker)
        self._selector.unregister(worker.from_worker)
        os.close(worker.to_worker)
        os.close(worker.from_worker)
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.WEXITSTATUS(status)}")
        raise BuildError(error(f"a worker process {how}; the previous release is intact",
                               hint="out of memory? try fewer --jobs"))


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# -- the worker's side ---------------------------------------------------------------------

def _serve(parent: int, tasks: int, results: int,
           warm_up: Callable[[], object] | None = None) -> int:
    """Run tasks until the build process closes the pipe; returns the exit status."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build process's to handle
    _die_with(parent)
    if warm_up is not None:
        try:
            warm_up()
        except Exception:  # only a head start: a task that needs the same raises it there
            pass
    while True:
        header = _read_exactly(tasks, _HEADER.size)
        if header is None:
            return 0
        message = _read_exactly(tasks, _HEADER.unpack(header)[0])
        if message is None:
            return 1
        try:
            fn, args = pickle.loads(message)
            reply = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # returned to the build process, which raises it there
            reply = _error_reply(exc)
        del message
        view = memoryview(_HEADER.pack(len(reply)) + reply)
        while view:
            view = view[os.write(results, view):]


def _error_reply(exc: Exception) -> bytes:
    exc.add_note("in a worker process:\n" + "".join(traceback.format_tb(exc.__traceback__)))
    try:
        return pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its text will do
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _read_exactly(fd: int, size: int) -> bytes | None:
    """*size* bytes from *fd*, or None at the end of the stream."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, PIPE_BYTES))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _die_with(parent: int) -> None:
    """Ask Linux to kill this worker when the build process dies (a killed build must not
    leave workers behind)."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux
    if os.getppid() != parent:  # the build died before prctl took effect
        os._exit(1)
