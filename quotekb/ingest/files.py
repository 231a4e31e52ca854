"""Reading corpus files as untrusted input: each problem one InputError, never a hang.

- Only regular files are read. A FIFO would block a plain open() until a writer
  comes, so files are opened non-blocking and checked with fstat before any read;
  devices and directories (a directory named x.txt) are refused the same way.
- A symbolic link may point anywhere inside the corpus directory, not outside it
  (/dev/zero, a file in someone's home): the error does not say where it points.
- Reads are bounded by the bytes actually read, not by st_size (a symlink to a
  device, or a file that grows, says nothing true in stat).
- Unreadable files and directories are one line naming the file, not a traceback.
- Article ids come from file names and must match ID_PATTERN: they end up in URLs,
  exports and error lines.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from quotekb.errors import InputError, brief

# Article ids (the file name without .txt/.yaml): letters, digits, '_' and '-',
# starting with a letter or digit, at most 100 characters, e.g. 000_4ec62380fbf01393.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
ID_RULE = "letters, digits, '_' and '-', starting with a letter or digit, at most 100 characters"

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _os_error(path: Path, error: OSError, what: str = "file") -> InputError:
    if isinstance(error, PermissionError):
        mode = "a+rx" if what == "directory" else "a+r"
        return InputError(path, f"{what} cannot be read (permission denied)",
                          f"make it readable by the user running quotekb (chmod {mode})")
    if isinstance(error, FileNotFoundError):
        return InputError(path, f"{what} is missing", "create it (see README, 'Layout' and 'Add an article')")
    if error.errno == errno.ELOOP:
        return InputError(path, "symbolic link loop", "replace the link with the file itself")
    return InputError(path, f"{what} cannot be read ({error.strerror or error})", "check the file and its directory")


def check_inside(path: Path, root: Path | None) -> None:
    """Refuse a path that resolves (through symbolic links) outside root."""
    if root is None:
        return
    try:
        real = Path(os.path.realpath(path))
        inside = Path(os.path.realpath(root))
    except OSError as error:
        raise _os_error(path, error) from None
    if real != inside and inside not in real.parents:
        raise InputError(path, "is a symbolic link to a file outside the corpus directory",
                         "copy the file into the corpus instead of linking to it")


def read_bounded(path: Path, limit: int, root: Path | None = None, what: str = "file",
                 fix: str = "split it or shorten it") -> bytes:
    """The bytes of a regular file inside root, at most limit of them, or InputError."""
    path = Path(path)
    check_inside(path, root)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if isinstance(error, IsADirectoryError):
            raise InputError(path, "is a directory, not a file", "remove or rename it") from None
        raise _os_error(path, error) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(path, f"is {_kind(mode)}, not a regular file", "put a regular file in its place")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise _os_error(path, error) from None
    finally:
        os.close(fd)
    if total > limit:
        raise InputError(path, f"{what} is over the {limit:,}-byte limit", fix)
    return b"".join(chunks)


def list_dir(directory: Path, suffix: str) -> list[Path]:
    """Sorted entries of directory ending in suffix; an unreadable directory is an error
    (Path.glob would silently find nothing in it)."""
    try:
        names = os.listdir(directory)
    except OSError as error:
        raise _os_error(Path(directory), error, "directory") from None
    return sorted(Path(directory) / name for name in names if name.endswith(suffix))


def check_id(path: Path) -> str:
    """The article id of path (its name without the suffix), checked against ID_PATTERN."""
    article_id = path.name[: -len(path.suffix)] if path.suffix else path.name
    if not ID_PATTERN.fullmatch(article_id):
        raise InputError(path.parent, f"file name {brief(path.name, 40)} is not a valid article id",
                         f"rename it: ids use {ID_RULE}")
    return article_id
