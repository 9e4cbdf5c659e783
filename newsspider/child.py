"""What the crawl's two helper processes share (issue 17): the archive's writer
(``pipelines/writer.py``) and the parse worker (``newsspider/parseworker.py``).

Each is ``python -m MODULE FD ...``: a fresh interpreter on one end of a socket pair. It
inherits none of the crawl's threads, sockets and locks, does not import the crawl's
``__main__`` again (as multiprocessing's spawn does), and is the crawl's own child,
waited for at the end, so its CPU time counts in the crawl's.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)  # where ``newsspider`` and ``pipelines`` are


def start(module: str, fd: int, *args: str) -> subprocess.Popen:
    """``python -m module fd *args``, the socket ``fd`` passed on, the project importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([ROOT, *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.Popen([sys.executable, "-m", module, str(fd), *args], pass_fds=[fd], env=env,
                            stdin=subprocess.DEVNULL)


def ignore_group_signals() -> None:
    """In the child: SIGINT, SIGTERM and SIGHUP may reach the whole process group; the
    crawl decides when to stop, and the child ends when the crawl closes its end."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def picklable(exc: BaseException) -> BaseException:
    """``exc``, or a RuntimeError saying what it was if it cannot be sent back pickled."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
