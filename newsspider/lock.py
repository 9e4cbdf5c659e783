"""The archive's writer lock: one crawl or reparse at a time, and a lock that cannot wedge.

Two ``flock`` locks, both dropped by the kernel when the process ends however it ends:

- on ``<archive>.lock``, which names the holder's PID for the message a second run
  prints. It is opened with ``O_NOFOLLOW`` (a planted symlink is refused, never
  followed and its target truncated) and must be a regular file;
- on the archive file itself, so that deleting or replacing ``<archive>.lock`` while a
  run holds it does not let a second run start: that one gets the new lock file but
  not the archive's lock. (SQLite locks with ``fcntl`` byte ranges, which on a local
  file system are independent of ``flock``; the archive belongs on a local disk.)

A forked child (``reparse``'s worker processes) closes both descriptors at once
(``os.register_at_fork``), so it never keeps the archive locked after its parent died.
When the lock is busy, ``holder()`` names who holds it, and says so when the PID in the
lock file is no longer running (and which live processes still hold the lock).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path


class LockError(Exception):
    """The lock cannot be taken for a reason other than another run holding it."""


_OPEN_LOCKS: list["ArchiveLock"] = []


def _close_in_child() -> None:
    for lock in _OPEN_LOCKS:
        lock._close_fds()
    _OPEN_LOCKS.clear()


os.register_at_fork(after_in_child=_close_in_child)


class ArchiveLock:
    def __init__(self, archive_path: str | os.PathLike):
        self.archive = Path(archive_path)
        self.path = Path(f"{archive_path}.lock")
        self.fd: int | None = None
        self.archive_fd: int | None = None

    def acquire(self) -> bool:
        """True when taken; False when another process holds it. Raises ``LockError``
        for a lock file that is a symlink or not a regular file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LockError(f"{self.path} is a symbolic link: refusing to follow it "
                                "(remove it; the lock file is made anew)") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LockError(f"{self.path} is not a regular file: remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        archive_fd = self._lock_archive()
        if archive_fd is False:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd, self.archive_fd = fd, archive_fd
        _OPEN_LOCKS.append(self)
        return True

    def _lock_archive(self):
        """The archive file's own flock: None when there is no archive yet, False when
        another process holds it."""
        try:
            # the archive itself may be a symlink (to another disk): that one is the user's
            fd = os.open(self.archive, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        return fd

    def refusal(self, who: str = "another process") -> tuple[str, int] | None:
        """Take the lock for a command: None when taken, else the one line to print and
        the exit status (75 when another process holds it, 1 for a lock file that is not
        one)."""
        from newsspider.runstatus import EXIT_FAILED, EXIT_LOCKED

        try:
            if self.acquire():
                return None
        except LockError as exc:
            return str(exc), EXIT_FAILED
        return (f"{who} ({self.holder()}) is writing {self.archive}; not starting a second one "
                f"(exit {EXIT_LOCKED})"), EXIT_LOCKED

    def lock_archive_now(self) -> None:
        """Take the archive file's lock once the run has created the archive."""
        if self.fd is not None and self.archive_fd is None:
            fd = self._lock_archive()
            self.archive_fd = fd if isinstance(fd, int) else None

    def holder(self) -> str:
        """Who holds the lock, for the message of the run that could not take it."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        live = holders_of(self.path) | holders_of(self.archive)
        live.discard(os.getpid())
        if text.isdigit():
            pid = int(text)
            if _alive(pid):
                return f"pid {pid}"
            others = ", ".join(f"pid {p}" for p in sorted(live)) or "an unknown process"
            return f"pid {pid}, which is no longer running, while {others} still holds the lock"
        return ", ".join(f"pid {p}" for p in sorted(live)) or "an unknown process"

    def _close_fds(self) -> None:
        for name in ("fd", "archive_fd"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)

    def release(self) -> None:
        self._close_fds()
        if self in _OPEN_LOCKS:
            _OPEN_LOCKS.remove(self)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holders_of(path: Path) -> set[int]:
    """PIDs holding a flock on ``path`` (from /proc/locks; empty where there is none)."""
    try:
        st = os.stat(path, follow_symlinks=False)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return set()
    pids = set()
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF" ("->" marks a waiter)
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        try:
            pid, ident = int(fields[4]), fields[5]
            major, minor, inode = ident.split(":")
        except ValueError:
            continue
        if int(inode) == st.st_ino and os.makedev(int(major, 16), int(minor, 16)) == st.st_dev:
            pids.add(pid)
    return pids
