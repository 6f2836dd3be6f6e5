"""Streaming reads and atomic streaming writes of one file in a local artifact root."""

from __future__ import annotations

import os
import stat
import tempfile

from runyard.errors import InvalidParameterValue, InvalidState, ResourceDoesNotExist
from runyard.stores.artifact_store import ArtifactReader, ArtifactWriter

# In-progress uploads carry this prefix; listings hide them so a reader never sees half a file.
TEMP_PREFIX = ".runyard-upload-"


class LocalArtifactWriter(ArtifactWriter):
    """Writes to a private temporary file beside ``dst``; ``commit`` renames it into place."""

    def __init__(self, dst: str) -> None:
        _refuse_directory(dst)
        fd, self._tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=os.path.dirname(dst))
        self._dst = dst
        self._file = os.fdopen(fd, "wb")
        self._done = False

    def write(self, chunk: bytes) -> None:
        if self._done:
            raise InvalidState("This artifact upload was already committed or aborted")
        self._file.write(chunk)

    def commit(self) -> None:
        if self._done:
            raise InvalidState("This artifact upload was already committed or aborted")
        self._done = True
        try:
            self._file.close()
            _refuse_directory(self._dst)  # a directory may have appeared while we were writing
            os.replace(self._tmp, self._dst)
        except BaseException:
            self._discard()
            raise

    def abort(self) -> None:
        """Drop what was written; a no-op once committed or aborted."""
        if not self._done:
            self._done = True
            self._discard()

    def _discard(self) -> None:
        self._file.close()
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass


class LocalArtifactReader(ArtifactReader):
    """An open regular file; ``size`` comes from ``fstat`` of the very file being read."""

    def __init__(self, path: str, rel: str) -> None:
        try:
            # O_NONBLOCK: opening a FIFO planted in the root must not hang the reader.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise ResourceDoesNotExist(f"No artifact file found at path {rel!r}") from None
        except IsADirectoryError:
            raise InvalidParameterValue(f"Invalid artifact_file {rel!r}: it is a directory") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            if stat.S_ISDIR(info.st_mode):
                raise InvalidParameterValue(f"Invalid artifact_file {rel!r}: it is a directory")
            raise ResourceDoesNotExist(f"No artifact file found at path {rel!r}")
        self._file = os.fdopen(fd, "rb")
        self.size = info.st_size

    def read(self, n: int = -1) -> bytes:
        return self._file.read(n)

    def close(self) -> None:
        self._file.close()


def _refuse_directory(dst: str) -> None:
    if os.path.isdir(dst) and not os.path.islink(dst):
        raise InvalidParameterValue("Cannot overwrite an artifact directory with a file")
