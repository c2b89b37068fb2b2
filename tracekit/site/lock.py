"""Locks (POSIX flock; released by the kernel when the process exits, however it exits)."""

from __future__ import annotations

import os
from pathlib import Path

from .paths import display_path
from .results import BuildError

# ─────────────────────────────────────────────────────────────────────────────
# Locks (POSIX flock; released by the kernel when the process exits, however it exits)
# ─────────────────────────────────────────────────────────────────────────────


class OutputLock:
    """A lock file in the output folder (flock: the kernel releases it however the process ends).

    The last holder removes the file, so a finished build leaves none behind; a holder checks
    after locking that the path still names the file it locked (else it locked a removed file
    and tries again)."""

    def __init__(self, path: Path, *, shared: bool = False, blocking: bool = False, create: bool = True) -> None:
        self.path = path
        self.shared = shared
        self.blocking = blocking
        self.create = create
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT if self.create else os.O_RDONLY, 0o644)
            except FileNotFoundError:
                if self.create:
                    raise BuildError(f"output folder {display_path(self.path.parent)} does not exist") from None
                return self  # nothing to wait for: no build is running
            except OSError as e:
                raise BuildError(
                    f"output folder {display_path(self.path.parent)} is not writable: {e.strerror}"
                ) from None
            try:
                fcntl.flock(fd, mode | (0 if self.blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                raise BuildError(
                    f"another tracekit build is writing to {display_path(self.path.parent)}; wait for it to finish "
                    f"and try again"
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except OSError:
                same = False
            if same:
                self.fd = fd
                return self
            os.close(fd)  # the previous holder removed the file after we opened it: lock the new one
        raise BuildError(f"cannot lock {display_path(self.path)}")

    def __exit__(self, *exc: object) -> None:
        if self.fd is None:
            return
        import fcntl

        try:
            if self.create:
                # The last holder (an exclusive lock is possible) removes the file.
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
        except OSError:
            pass  # others still hold it (shards): the last one removes it
        finally:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
