"""The folder a build writes the site into.

- One build writes a folder at a time: SiteLock is an exclusive lock
  (fcntl.flock) on a file beside the folder (site/ -> site.lock). A second
  build into the same folder waits for the first, saying so, instead of
  cleaning the folder under it (which failed the first with a raw
  FileNotFoundError, or with published addresses that "disappeared"). The
  lock goes with the process, so a killed build never leaves it held.
- A write that fails (a full disk, a read-only or unwritable folder) is named
  by the file being written, not as a bare OSError: write_failure().
- A cache file is written whole or not at all: write_atomically() (the
  diagram cache, the PDF's font cache).

Used by hooks/build.py (the lock, for every `mkdocs build`), tools/editions.py and tools/diagram_cache.py.
Standard library only.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

WAIT_SECONDS = 15 * 60  # longer than any build of this site takes, cold


def lock_path(site_dir: Path) -> Path:
    """site/ -> site.lock, beside it: a file inside would be cleaned or published."""
    site_dir = Path(site_dir).absolute()
    return site_dir.with_name(site_dir.name + ".lock")


class SiteBusy(RuntimeError):
    pass


class SiteLock:
    """An exclusive lock on building into `site_dir`; taking it twice in one
    process is a no-op, so a rebuild (`mkdocs serve`) never waits for itself."""

    def __init__(self, site_dir: Path):
        self.site_dir = Path(site_dir).absolute()
        self.path = lock_path(self.site_dir)
        self.fd: int | None = None

    def acquire(self, wait: float = WAIT_SECONDS, say=None, poll: float = 0.2) -> None:
        """Take the lock; if another build holds it, call say(message) once and
        wait up to `wait` seconds, then raise SiteBusy naming the folder."""
        import fcntl

        if self.fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder(fd)
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise SiteBusy(f"{self.site_dir}: another build{holder} has been writing this folder for over "
                                   f"{wait:.0f} s (lock {self.path}); stop it, or build into another folder "
                                   "(mkdocs build -d DIR)") from None
                if not told and say is not None:
                    say(f"{self.site_dir}: another build{holder} is writing this folder; waiting for it to finish "
                        f"(lock {self.path})")
                    told = True
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            pid = os.pread(fd, 32, 0).decode().strip()
        except OSError:
            return ""
        return f" (process {pid})" if pid.isdigit() else ""

    def release(self) -> None:
        """Let the next build in; the lock file stays (removing it would race
        with a build that has just opened it)."""
        import fcntl

        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# Names of the path being written in the writing functions' frames: MkDocs's
# write_file and copy_file, shutil's copyfile, pathlib's write_text and
# write_bytes (self), and the hooks' and tools' own.
_WRITING = ("output_path", "dst", "dest", "self", "target", "path", "out", "partial", "file", "filename")


def write_failure(error: OSError, inside: Path) -> str | None:
    """What a failed write was writing, for a message that names it: the
    error's own file name, else the path a frame of its traceback was writing
    (Python's write() errors carry no file name), if it lies inside `inside`.
    None if the error is not about writing there."""
    inside = Path(inside).absolute()
    candidates = [error.filename, error.filename2]
    tb = error.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):  # the innermost frame first: the write itself
        candidates += [frame.f_locals.get(name) for name in _WRITING]
    paths = [Path(os.fsdecode(c)).absolute() for c in candidates if isinstance(c, (str, os.PathLike)) and c]
    found = next((path for path in paths if inside in path.parents), None)
    if found is None and inside in paths:
        found = inside
    return None if found is None else str(found)


def write_message(error: OSError, path: str | Path) -> str:
    """`path`: cannot write it (reason), with what to do for the usual reasons."""
    reason = error.strerror or str(error)
    advice = {errno.ENOSPC: "free some space on that disk, or build into another folder (-d DIR)",
              errno.EDQUOT: "free some space within your quota, or build into another folder (-d DIR)",
              errno.EROFS: "the folder is on a read-only file system; build into another folder (-d DIR)",
              errno.EACCES: "you may not write there; build into another folder (-d DIR)",
              errno.EPERM: "you may not write there; build into another folder (-d DIR)"}.get(error.errno)
    return f"{path}: cannot write the site ({reason})" + (f": {advice}" if advice else "")


def write_atomically(path: Path, text: str) -> OSError | None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`:
    a reader sees the old file or the whole new one. Returns the error, if any,
    having removed the temporary file (nothing half-written is left behind)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        return error
    return None
