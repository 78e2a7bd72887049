"""Static files: StaticFile and StaticDirectory (``quixote.util``'s, hardened).

Constructor arguments and behaviour are Quixote 3.8's. Added: an ``ETag`` (mtime and
size) with ``If-None-Match``, and an ``If-Modified-Since`` that compares dates instead
of strings, both answered with 304.

Nothing outside a StaticDirectory's root is served: a lookup refuses ``.``, ``..``,
their %-encoded forms, names with ``/``, ``\\`` or NUL, and absolute names; a symlink is
refused unless ``follow_symlinks`` (then it is followed, at most 40 deep, which also
ends Quixote's endless loop on a symlink cycle); without ``follow_symlinks`` the
resolved path must also lie under the root's real path.
"""
from __future__ import annotations

import mimetypes
import os
import urllib.parse
from typing import IO, Any

from werkzeug.http import http_date, parse_date

from . import context
from .directory import Directory
from . import errors
from .errors import TraversalError
from .html import TemplateIO, htmltext
from .http.response import Stream

__all__ = ["StaticFile", "StaticDirectory", "FileStream"]

_MAX_SYMLINK_DEPTH = 40


class FileStream(Stream):
    """A Stream reading ``fp`` in 20000-byte chunks; ``close()`` closes ``fp``."""

    CHUNK_SIZE = 20000

    def __init__(self, fp: IO[bytes], size: int | None = None) -> None:
        self.fp = fp
        self.length = size

    def __iter__(self) -> "FileStream":
        return self

    def __next__(self) -> bytes:
        chunk = self.fp.read(self.CHUNK_SIZE)
        if not chunk:
            raise StopIteration
        return chunk

    def close(self) -> None:
        if hasattr(self.fp, 'close'):
            self.fp.close()


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    if header.strip() == '*':
        return True
    bare = etag[2:] if etag.startswith('W/') else etag
    for candidate in header.split(','):
        candidate = candidate.strip()
        if candidate.startswith('W/'):
            candidate = candidate[2:]
        if candidate == bare:
            return True
    return False


class StaticFile:
    """A file on disk as a Quixote-style callable resource.

    ``path`` must be absolute. The MIME type (default ``text/plain``) and encoding are
    guessed from the name unless given; ``cache_time`` (seconds) sets Expires and
    Cache-Control, None sends neither.
    """

    def __init__(self, path: str, follow_symlinks: bool = False, mime_type: str | None = None,
                 encoding: str | None = None, cache_time: int | None = None) -> None:
        self.path = path
        if not os.path.isabs(path):
            raise ValueError("Path %r is not absolute" % path)
        guess_mime, guess_enc = mimetypes.guess_type(os.path.basename(path), strict=False)
        self.mime_type = mime_type or guess_mime or 'text/plain'
        self.encoding = encoding or guess_enc or None
        self.cache_time = cache_time
        self.follow_symlinks = follow_symlinks

    def get_data(self) -> bytes:
        with open(self.path, 'rb') as fp:
            return fp.read()

    def __call__(self) -> Any:
        path = self.path
        if '\0' in path:
            raise TraversalError(private_msg="Path %r contains a NUL byte" % path)
        if not self.follow_symlinks and os.path.islink(path):
            raise TraversalError(private_msg="Path %r is a symlink" % path)
        if not os.path.isfile(path):
            raise TraversalError(private_msg="Path %r is not a file" % path)
        request = context.current_request()
        response = request.response
        if self.cache_time is None:
            response.set_expires(None)
        else:
            # Letting the client cache is cheaper still than a conditional request
            response.set_expires(seconds=self.cache_time)
        try:
            fp = open(path, 'rb')
        except OSError:
            raise TraversalError(private_msg="Path %r cannot be opened" % path)
        try:
            stat = os.fstat(fp.fileno())
            last_modified = http_date(stat.st_mtime)
            etag = '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
            if self._not_modified(request, last_modified, etag, stat.st_mtime):
                fp.close()
                response.set_status(304)
                response.set_header('ETag', etag)
                response.set_header('Last-Modified', last_modified)
                return ''
            response.set_content_type(self.mime_type)
            if self.encoding:
                response.set_header("Content-Encoding", self.encoding)
            response.set_header('Last-Modified', last_modified)
            response.set_header('ETag', etag)
        except BaseException:
            fp.close()
            raise
        return FileStream(fp, stat.st_size)

    @staticmethod
    def _not_modified(request: Any, last_modified: str, etag: str, mtime: float) -> bool:
        if_none_match = request.get_header('If-None-Match')
        if if_none_match is not None:
            # when present, it decides alone (RFC 9110 13.2.2)
            return _etag_matches(if_none_match, etag)
        if_modified_since = request.get_header('If-Modified-Since')
        if not if_modified_since:
            return False
        if if_modified_since == last_modified:
            return True
        since = parse_date(if_modified_since)
        return since is not None and int(mtime) <= since.timestamp()


class StaticDirectory(Directory):
    """A filesystem directory of static files as a Directory.

    ``use_cache`` keeps looked-up wrappers in memory; ``list_directory`` allows an HTML
    listing; ``index_filenames`` are served for the directory itself when present.
    """

    _q_exports = ['']

    FILE_CLASS = StaticFile

    def __init__(self, path: str, use_cache: bool = False, list_directory: bool = False,
                 follow_symlinks: bool = False, cache_time: int | None = None,
                 file_class: Any = None, index_filenames: list[str] | None = None) -> None:
        self.path = path
        if not os.path.isabs(path):
            raise ValueError("Path %r is not absolute" % path)
        self.use_cache = use_cache
        self.cache: dict[str, Any] = {}
        self.list_directory = list_directory
        self.follow_symlinks = follow_symlinks
        self.cache_time = cache_time
        self.file_class = file_class if file_class is not None else self.FILE_CLASS
        self.index_filenames = index_filenames
        # Children get their parent's root after construction (see _q_lookup), so
        # subclasses keep Quixote's constructor signature.
        self._root = os.path.realpath(path)

    def _q_index(self) -> Any:
        """The first existing index file; else a listing (if allowed) or a refusal."""
        if self.index_filenames:
            for name in self.index_filenames:
                try:
                    obj = self._q_lookup(name)
                except TraversalError:
                    continue
                if not isinstance(obj, StaticDirectory) and callable(obj):
                    return obj()
        if self.list_directory:
            title = 'Index of %s' % context.get_path()
            r = TemplateIO(html=True)
            template = htmltext('<a href="%s">%s</a>%s\n')
            r += htmltext('<pre>')
            r += template % ('..', '..', '')
            for filename in sorted(os.listdir(self.path)):
                filepath = os.path.join(self.path, filename)
                marker = "/" if os.path.isdir(filepath) else ""
                r += template % (urllib.parse.quote(filename), filename, marker)
            r += htmltext('</pre>')
            body = r.getvalue()
        else:
            title = 'Directory listing denied'
            body = htmltext('<p>This directory does not allow its contents '
                            'to be listed.</p>')
        # looked up at call time: applications replace errors.format_page to brand pages
        return errors.format_page(title, body)

    @staticmethod
    def _check_name(name: str) -> None:
        decoded = urllib.parse.unquote(name)
        for candidate in (name, decoded):
            if (candidate in ('', '.', '..') or '/' in candidate or '\\' in candidate
                    or '\0' in candidate or os.path.isabs(candidate)):
                raise TraversalError(private_msg="Refused file name %r" % name)

    def _resolve(self, name: str) -> str:
        item_filepath = os.path.join(self.path, name)
        depth = 0
        while os.path.islink(item_filepath):
            if not self.follow_symlinks:
                raise TraversalError(private_msg="%r is a symlink" % name)
            depth += 1
            if depth > _MAX_SYMLINK_DEPTH:
                raise TraversalError(private_msg="too many levels of symlinks at %r" % name)
            dest = os.readlink(item_filepath)
            item_filepath = os.path.join(os.path.dirname(item_filepath), dest)
        if not self.follow_symlinks:
            real = os.path.realpath(item_filepath)
            root = getattr(self, '_root', None) or os.path.realpath(self.path)
            if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
                raise TraversalError(private_msg="%r resolves outside the root" % name)
        return item_filepath

    def _q_lookup(self, name: str) -> Any:
        """The StaticFile or StaticDirectory wrapper for ``name`` (cached with
        ``use_cache``); TraversalError for anything missing or refused."""
        if name in self.cache:
            return self.cache[name]
        self._check_name(name)
        item_filepath = self._resolve(name)
        if os.path.isdir(item_filepath):
            item = self.__class__(item_filepath, self.use_cache, self.list_directory,
                                  self.follow_symlinks, self.cache_time, self.file_class,
                                  self.index_filenames)
            item._root = getattr(self, '_root', None) or os.path.realpath(self.path)
        elif os.path.isfile(item_filepath):
            item = self.file_class(item_filepath, self.follow_symlinks,
                                   cache_time=self.cache_time)
        else:
            raise TraversalError(private_msg="%r not found" % name)
        if self.use_cache:
            self.cache[name] = item
        return item
