"""Upload: one uploaded file of a multipart/form-data request (Quixote's class)."""
from __future__ import annotations

import os
import re
import tempfile
from typing import IO, Iterable, Iterator

__all__ = ["Upload", "make_safe_filename"]

# characters considered safe in a filename
_SAFE_PAT = re.compile(r'[^\w@&+=., -]')


def make_safe_filename(s: str) -> str:
    """Replace every character outside ``[\\w@&+=., -]`` with ``_``."""
    return _SAFE_PAT.sub('_', s)


class Upload:
    r"""An uploaded file, spooled to a temporary file on disk (not kept in memory).

    ``orig_filename``: the file name the user agent sent, possibly a full client path
    (``C:\foo\bar.txt``); ``base_filename``: its last component with unsafe
    characters replaced (see :func:`make_safe_filename`); ``content_type`` and
    ``charset`` as sent; ``fp``: the open file, positioned at the start.
    """

    def __init__(self, orig_filename: str | None, content_type: str | None = None,
                 charset: str | None = None) -> None:
        if orig_filename:
            self.orig_filename: str | None = orig_filename
            bspos = orig_filename.rfind("\\")
            cpos = orig_filename.rfind(":")
            spos = orig_filename.rfind("/")
            if bspos != -1:  # eg. "\foo\bar" or "D:\ding\dong"
                filename = orig_filename[bspos + 1:]
            elif cpos != -1:  # eg. "C:foo" or ":ding:dong:foo"
                filename = orig_filename[cpos + 1:]
            elif spos != -1:  # eg. "foo/bar/baz" or "/tmp/blah"
                filename = orig_filename[spos + 1:]
            else:
                filename = orig_filename
            self.base_filename: str | None = make_safe_filename(filename)
        else:
            self.orig_filename = None
            self.base_filename = None
        self.content_type = content_type
        self.charset = charset
        self.fp: IO[bytes] | None = None

    def receive(self, lines: Iterable[bytes]) -> None:
        """Store the content given as an iterable of byte chunks."""
        self.fp = tempfile.TemporaryFile("w+b")
        for line in lines:
            self.fp.write(line)
        self.fp.seek(0)

    def __str__(self) -> str:
        return str(self.orig_filename)

    def __repr__(self) -> str:
        return "<%s at %x: %s>" % (self.__class__.__name__, id(self), self)

    def read(self, n: int = -1) -> bytes:
        return self.fp.read(n)  # type: ignore[union-attr]

    def readline(self) -> bytes:
        return self.fp.readline()  # type: ignore[union-attr]

    def readlines(self) -> list[bytes]:
        return self.fp.readlines()  # type: ignore[union-attr]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.fp)  # type: ignore[arg-type]

    def close(self) -> None:
        self.fp.close()  # type: ignore[union-attr]

    def get_size(self) -> int:
        """The size of the file, in bytes."""
        if self.fp is None:
            return 0
        return os.fstat(self.fp.fileno()).st_size
