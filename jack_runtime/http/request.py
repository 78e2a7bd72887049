"""HTTPRequest: Quixote 3.8's request API over a WSGI environ.

Every public method and attribute of ``quixote.http_request.HTTPRequest`` is here with
Quixote's results (the differential tests compare them accessor by accessor), with
these deliberate changes:

* Nothing is parsed in the constructor: cookies, the scheme and the content length are
  computed on first use, the form in :meth:`HTTPRequest.process_inputs` (which the App
  calls from ``parse_request``, inside its error handling, so bad input is a 4xx).
  A bad ``Content-Length`` is therefore a RequestError from ``process_inputs`` instead
  of an exception escaping the constructor.
* PATH_INFO and SCRIPT_NAME are decoded as UTF-8 (WSGI hands them over as latin-1
  decoded bytes; Quixote used them as such, giving mojibake). The decoded values are
  written back into the environ, as Quixote's IIS fix did, so traversal sees them.
  Invalid UTF-8 in the path, the query or a form is a RequestError (400).
* ``wsgi.url_scheme == 'https'`` makes the scheme https (Quixote looked only at
  HTTPS / SERVER_PORT_SECURE).
* Limits, read from the current app's config when it defines them, else from the class
  attributes: ``max_request_body_size`` (the body), ``max_form_memory_size`` (all
  non-file form data held in memory) and ``max_form_parts``; exceeding one is a 413.
* multipart/form-data is split by Werkzeug's sans-IO ``MultipartDecoder``. Quixote's
  field semantics are kept: the part's Content-Disposition is parsed with Quixote's
  ``parse_header`` (backslashes in IE file paths survive), text parts are decoded with
  the part's charset, then the multipart charset, then the request's, and their
  values are *added* to query fields of the same name, while urlencoded body fields
  *replace* them. Part headers are read as UTF-8 (Quixote: ASCII with surrogates).

Cookies keep Quixote's liberal parser (``,`` and ``;`` both separate, junk is skipped,
never an error): browsers send other applications' cookies too, and a 400 for a
neighbour's malformed cookie would lock users out. Invalid %-escapes (``100%``) are
kept literally in queries and forms, as in Quixote and every browser-facing framework.
"""
from __future__ import annotations

import email.header
import io
import logging
import re
import tempfile
import urllib.parse
from typing import IO, Any, ItemsView

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

import jack_runtime as _jack  # read DEFAULT_CHARSET at call time, as Quixote did

from ..context import get_app
from ..errors import RequestEntityTooLargeError, RequestError
from .response import HTTPResponse
from .upload import Upload, make_safe_filename

__all__ = [
    "HTTPRequest", "Upload", "get_content_type", "parse_header",
    "parse_content_disposition", "parse_query", "parse_cookies", "make_safe_filename",
]

log = logging.getLogger("jack_runtime.http")

# "Accept-Encoding"/"Accept" parsing, as Quixote does it (RFC 2616 syntax, LWS removed)
_http_lws_re = re.compile(r"(\r\n)?[ \t]+")
_http_list_re = re.compile(r",+")
_http_encoding_re = re.compile(r"([^;]+)(;q=([\d.]+))?$")

# "User-Agent" parsing for guess_browser_version()
_http_token_pat = r"[\w!#$%&'*+.^`|~-]+"
_http_product_pat = r'(%s)(?:/(%s))?' % (_http_token_pat, _http_token_pat)
_http_product_re = re.compile(_http_product_pat)
_comment_delim_re = re.compile(r';\s*')

_READ_CHUNK = 65536
_SMALL_BODY = 20000  # below this the body is buffered in memory, as in Quixote
_MAX_BOUNDARY = 200  # RFC 2046 allows 70; anything longer is abuse
_MISSING = object()


def get_content_type(environ: dict) -> str | None:
    ctype = environ.get("CONTENT_TYPE")
    if ctype:
        return ctype.split(";")[0]
    return None


def _decode_string(s: bytes, charset: str) -> str:
    try:
        return s.decode(charset)
    except LookupError:
        raise RequestError('unknown charset %r' % charset)
    except UnicodeDecodeError:
        raise RequestError('invalid %r encoded string' % charset)


def parse_header(line: Any) -> tuple[str, dict[str, str]]:
    """Parse a Content-Type like header: ``(lower-cased main value, {param: value})``."""
    if isinstance(line, email.header.Header):
        line = ''.join(val for val, charset in line._chunks)
    plist = [val.strip() for val in (_split_params(line) if '"' in line else line.split(';'))]
    key = plist.pop(0).lower()
    pdict = {}
    for p in plist:
        i = p.find('=')
        if i >= 0:
            name = p[:i].strip().lower()
            value = p[i + 1:].strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            pdict[name] = value
    return key, pdict


def _split_params(line: str) -> list[str]:
    """Split at the ``;`` outside double quotes: browsers send a file named ``a;b.txt`` as
    ``filename="a;b.txt"`` (Quixote split inside the quotes and lost the name's end).
    A backslash does not escape a quote here, so IE's ``C:\\dir\\`` paths still work."""
    parts = []
    start = 0
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ';' and not quoted:
            parts.append(line[start:i])
            start = i + 1
    parts.append(line[start:])
    return parts


def parse_content_disposition(full_cdisp: Any) -> tuple[str, str | None]:
    """``(name, filename)`` of a ``form-data`` Content-Disposition; RequestError else."""
    cdisp, cdisp_params = parse_header(full_cdisp)
    name = cdisp_params.get('name')
    if not (cdisp == 'form-data' and name):
        raise RequestError('expected Content-Disposition: form-data '
                           'with a "name" parameter: got %r' % full_cdisp)
    return (name, cdisp_params.get('filename'))


def parse_query(qs: str, charset: str) -> dict[str, Any]:
    """Parse a query string: ``{name: value}``, a list of values for a repeated name,
    ``''`` for a bare name. Bad encoding or an unknown charset is a RequestError."""
    fields: dict[str, Any] = {}
    for chunk in qs.split('&'):
        if not chunk:
            continue
        if '=' not in chunk:
            name = chunk
            value = ''
        else:
            name, value = chunk.split('=', 1)
        try:
            if '%' in name or '+' in name:
                name = _unquote_plus(name, charset)
            if '%' in value or '+' in value:
                value = _unquote_plus(value, charset)
        except LookupError:
            raise RequestError('unknown charset %r' % charset)
        except UnicodeDecodeError:
            raise RequestError('invalid %r encoded string' % charset)
        _add_field_value(fields, name, value)
    return fields


def _unquote_plus(s: str, charset: str) -> str:
    """``urllib.parse.unquote_plus(s, encoding=charset, errors='strict')``, faster: for
    an ASCII string unquote decodes the whole unquoted byte string at once, so this does
    the same without its per-run generator."""
    s = s.replace('+', ' ')
    if '%' not in s:
        return s
    if s.isascii():
        return urllib.parse.unquote_to_bytes(s).decode(charset, 'strict')
    return urllib.parse.unquote(s, encoding=charset, errors='strict')


def _add_field_value(fields: dict[str, Any], name: str, value: Any) -> None:
    if name in fields:
        values = fields[name]
        if not isinstance(values, list):
            fields[name] = values = [values]
        values.append(value)
    else:
        fields[name] = value


# See RFC 2109. Note that this parser is more liberal (Quixote's). Quixote matched each
# cookie with one regex whose quoted value was "(\\[\x00-\x7f] | [^"])*": a backslash
# fits both branches, so an unterminated quoted value of n backslashes took 2**n steps
# (a 60-byte Cookie header held a server thread for good). The same grammar is read here
# in linear time, with the regex's results (see _quoted_end); the name is searched for
# without the regex's leading \s*, which made a run of blanks quadratic.
_COOKIE_NAME_RE = re.compile(r'(?P<name>[^=;,\s]+)\s*(?P<eq>=\s*)?')
_COOKIE_VALUE_RE = re.compile(r'[^";,\s]*')
_COOKIE_END_RE = re.compile(r'\s*[;,]?')
_COOKIE_UNESCAPE_RE = re.compile(r'\\(.)')


def _quoted_end(text: str, start: int, last_quote: int) -> int:
    """The end of the quoted value opening at ``text[start]``, as Quixote's backtracking
    regex found it: a backslash escapes the next ASCII character unless that would leave
    no closing quote (nothing after ``last_quote``, the text's last quote, can close)."""
    i = start + 1
    while True:
        char = text[i]
        if char == '\\' and i + 2 <= last_quote and text[i + 1] <= '\x7f':
            i += 2
        elif char != '"':
            i += 1
        else:
            return i + 1


# The header browsers send (RFC 6265 4.2.1): ``name=value`` pairs joined by "; ", each value
# plain or in double quotes, without blanks, commas, backslashes or quotes inside (as Jack's
# and Quixote's quoted session cookie). For it the general parser below gives exactly what
# splitting gives: checked with one regex, split in C. A name starting with "$" (an attribute
# the general parser skips), a blank, a comma, a tab, a trailing ";", a non-ASCII byte or
# anything else unusual takes the general path.
_COOKIE_TOKEN = r"[!#%&'*+\-.0-9A-Z^_`a-z|~][!#$%&'*+\-.0-9A-Z^_`a-z|~]*"
_COOKIE_OCTETS = r'[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*'
_SIMPLE_COOKIE = '%s=(?:"%s"|%s)' % (_COOKIE_TOKEN, _COOKIE_OCTETS, _COOKIE_OCTETS)
_SIMPLE_COOKIES_RE = re.compile(r'%s(?:; ?%s)*' % (_SIMPLE_COOKIE, _SIMPLE_COOKIE))
# One cookie alone (often just the session cookie): the name, then the value in group 2 if
# it was quoted, else in group 3.
_ONE_COOKIE_RE = re.compile('(%s)=(?:"(%s)"|(%s))'
                            % (_COOKIE_TOKEN, _COOKIE_OCTETS, _COOKIE_OCTETS))


def parse_cookies(text: str) -> dict[str, str]:
    """Parse a Cookie header: ``{name: value}``; ``$Path``-style attributes skipped,
    quoted values unescaped, anything unparseable skipped (never an error)."""
    if ';' not in text:
        match = _ONE_COOKIE_RE.fullmatch(text)
        if match is not None:
            name, quoted, plain = match.groups()
            return {name: plain if quoted is None else quoted}
    elif _SIMPLE_COOKIES_RE.fullmatch(text) is not None:
        result: dict[str, str] = {}
        for item in text.split(';'):
            name, _, value = item.partition('=')
            if value[:1] == '"':
                value = value[1:-1]
            result[name.lstrip(' ')] = value
        return result
    return _parse_cookies_general(text)


def _parse_cookies_general(text: str) -> dict[str, str]:
    result = {}
    last_quote = text.rfind('"')
    pos = 0
    while True:
        m = _COOKIE_NAME_RE.search(text, pos)
        if m is None:
            return result
        name = m.group('name')
        pos = m.end()
        value = ''
        if m.group('eq') is not None:
            if pos < last_quote and text[pos] == '"':
                end = _quoted_end(text, pos, last_quote)
                value = _COOKIE_UNESCAPE_RE.sub(r'\1', text[pos:end])[1:-1]
                pos = end
            else:
                value_match = _COOKIE_VALUE_RE.match(text, pos)
                value = value_match.group()
                pos = value_match.end()
        pos = _COOKIE_END_RE.match(text, pos).end()
        if name[0] != '$':  # per-cookie attributes (e.g. $Path) are not handled
            result[name] = value


def _utf8_from_wsgi(text: str) -> str | None:
    """A WSGI "bytes as latin-1" string decoded as UTF-8; None if it is not UTF-8.
    A string that is not latin-1 was already decoded by the server: kept as is."""
    try:
        raw = text.encode('latin-1')
    except UnicodeEncodeError:
        return text
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return None


class HTTPRequest:
    """One HTTP request: environ, form fields, cookies, uploads, and its ``response``.

    ``HTTPRequest(stdin, environ, seekable=False)`` as in Quixote. Read form fields
    with :meth:`get_field`, cookies with :meth:`get_cookie`, the URL with
    :meth:`get_url`/:meth:`get_path`/:meth:`get_server`, CGI variables with
    :meth:`get_environ`. ``request.response`` is this request's HTTPResponse.
    """

    DEFAULT_CHARSET: str | None = None  # defaults to jack_runtime.DEFAULT_CHARSET
    response_class = HTTPResponse

    # Defaults for the limits; an app's config attribute of the same name (lower
    # case) wins. None means no limit.
    MAX_REQUEST_BODY_SIZE: int | None = 16 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE: int | None = 1024 * 1024
    MAX_FORM_PARTS: int | None = 1000

    # Instance defaults shared by all instances (assigning on an instance shadows them)
    _stdin: IO[bytes] | None = None  # the original stream, once the body is buffered
    session: Any = None
    # Lazily computed (see the properties below)
    _charset: str | None = None
    _cookies: dict[str, str] | None = None
    _scheme: str | None = None
    _length: int | None = None
    _path_error = False

    def __init__(self, stdin: IO[bytes], environ: dict, seekable: bool = False) -> None:
        self.stdin = stdin
        self.body_is_seekable = seekable
        self.environ = environ
        self.form: dict[str, Any] = {}
        self.response = self.response_class()
        path = environ.get('PATH_INFO')
        if path and not path.isascii() and 'jack.path_decoded' not in environ:
            self._decode_path()
        if 'SERVER_SOFTWARE' in environ and 'Microsoft-IIS' in environ['SERVER_SOFTWARE']:
            self._fix_iis_path()

    def _decode_path(self) -> None:
        environ = self.environ
        for key in ('PATH_INFO', 'SCRIPT_NAME'):
            value = environ.get(key)
            if value and not value.isascii():
                decoded = _utf8_from_wsgi(value)
                if decoded is None:
                    self._path_error = True  # answered with a 400 by process_inputs
                    return
                environ[key] = decoded
        environ['jack.path_decoded'] = True

    def _fix_iis_path(self) -> None:
        # IIS leaves the script path in PATH_INFO ("/cgi-bin/q.py/foo/bar").
        script = self.environ.get('SCRIPT_NAME', '')
        path = self.environ.get('PATH_INFO', '')
        if path.startswith(script):
            self.environ['PATH_INFO'] = path[len(script):]

    # -- lazily computed attributes ------------------------------------------------------

    @property
    def charset(self) -> str:
        """The charset of the query and form data (default: jack_runtime.DEFAULT_CHARSET)."""
        return self._charset or self.DEFAULT_CHARSET or _jack.DEFAULT_CHARSET

    @charset.setter
    def charset(self, value: str) -> None:
        self._charset = value

    @property
    def cookies(self) -> dict[str, str]:
        cookies = self._cookies
        if cookies is None:
            text = self.environ.get('HTTP_COOKIE')
            cookies = self._cookies = parse_cookies(text) if text else {}
        return cookies

    @cookies.setter
    def cookies(self, value: dict[str, str]) -> None:
        self._cookies = value

    @property
    def scheme(self) -> str:
        scheme = self._scheme
        if scheme is None:
            environ = self.environ
            # SERVER_PORT_SECURE: IIS sets it to "0" for plain HTTP
            if (environ.get('wsgi.url_scheme') == 'https'
                    or environ.get('HTTPS', 'off').lower() in ('on', 'yes', '1')
                    or environ.get('SERVER_PORT_SECURE', '0') != '0'):
                scheme = 'https'
            else:
                scheme = 'http'
            self._scheme = scheme
        return scheme

    @scheme.setter
    def scheme(self, value: str) -> None:
        self._scheme = value

    @property
    def _content_length(self) -> int:
        length = self._length
        if length is None:
            value = self.environ.get('CONTENT_LENGTH') or 0
            try:
                length = int(value)
            except ValueError:
                raise RequestError('invalid content-length header')
            if length < 0:
                raise RequestError('invalid content-length header')
            self._length = length
        return length

    @_content_length.setter
    def _content_length(self, value: int) -> None:
        self._length = value

    def _limit(self, name: str) -> int | None:
        app = get_app()
        if app is not None:
            value = getattr(getattr(app, 'config', None), name, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
        return getattr(self, name.upper())

    # -- body and form -------------------------------------------------------------------

    def make_body_seekable(self) -> None:
        """Make ``stdin`` a seekable buffered copy of the body (memory below 20000
        bytes, a temporary file above). A body over ``max_request_body_size`` is a 413,
        a short body a RequestError."""
        if self.body_is_seekable:
            self.stdin.seek(0)
            return
        length = self._content_length
        if length == 0 and not self._is_chunked():  # the common case: no body
            self._stdin = self.stdin
            self.stdin = io.BytesIO()
            self.body_is_seekable = True
            return
        limit = self._limit('max_request_body_size')
        if limit is not None and length > limit:
            raise RequestEntityTooLargeError(
                'request body too large',
                'Content-Length %d exceeds max_request_body_size %d' % (length, limit))
        stdin = self.stdin
        if length == 0:
            fp = self._buffer_until_eof(limit)
        elif length < _SMALL_BODY:
            data = stdin.read(length)
            while len(data) < length:
                more = stdin.read(length - len(data))
                if not more:
                    raise RequestError('unexpected end of request body')
                data += more
            fp = io.BytesIO(data)
        else:
            fp = tempfile.TemporaryFile("w+b")
            remaining = length
            while remaining > 0:
                s = stdin.read(min(remaining, _READ_CHUNK))
                if not s:
                    fp.close()
                    raise RequestError('unexpected end of request body')
                fp.write(s)
                remaining -= len(s)
            fp.seek(0)
        self._stdin = stdin
        self.stdin = fp
        self.body_is_seekable = True

    def _is_chunked(self) -> bool:
        # A chunked request body has no Content-Length; servers that de-chunk it say
        # the input ends by itself (PEP 3333 extension wsgi.input_terminated).
        environ = self.environ
        return ('HTTP_TRANSFER_ENCODING' in environ
                and 'chunked' in environ['HTTP_TRANSFER_ENCODING'].lower()
                and not environ.get('CONTENT_LENGTH')
                and bool(environ.get('wsgi.input_terminated')))

    def _buffer_until_eof(self, limit: int | None) -> IO[bytes]:
        fp = tempfile.SpooledTemporaryFile(max_size=_SMALL_BODY)
        total = 0
        while True:
            s = self.stdin.read(_READ_CHUNK)
            if not s:
                break
            total += len(s)
            if limit is not None and total > limit:
                fp.close()
                raise RequestEntityTooLargeError(
                    'request body too large',
                    'chunked body exceeds max_request_body_size %d' % limit)
            fp.write(s)
        fp.seek(0)
        self._length = total
        return fp  # type: ignore[return-value]

    def process_inputs(self) -> None:
        """Buffer the body and parse the query and the form body into ``form``.
        May be called again: the form is rebuilt from the buffered body."""
        if self._path_error:
            raise RequestError('invalid UTF-8 in the URL path')
        environ = self.environ
        if (not self.body_is_seekable and not environ.get('CONTENT_LENGTH')
                and 'HTTP_TRANSFER_ENCODING' not in environ):
            # no body: the common case, without make_body_seekable's checks
            self._stdin = self.stdin
            self.stdin = io.BytesIO()
            self.body_is_seekable = True
        else:
            self.make_body_seekable()
        form = self.form
        if form:
            form.clear()
        query = environ.get('QUERY_STRING')
        if query:
            if not query.isascii():
                query = self._recode_query(query)
            form.update(parse_query(query, self.charset))
        ctype = environ.get("CONTENT_TYPE")
        if ctype:
            ctype, ctype_params = parse_header(ctype)
            if ctype == 'application/x-www-form-urlencoded':
                self._process_urlencoded(self._content_length, ctype_params)
            elif ctype == 'multipart/form-data':
                self._process_multipart(self._content_length, ctype_params)

    def _recode_query(self, query: str) -> str:
        # Raw (unescaped) non-ASCII bytes in the query: WSGI gives them as latin-1.
        try:
            raw = query.encode('latin-1')
        except UnicodeEncodeError:
            return query
        return _decode_string(raw, self.charset)

    def _process_urlencoded(self, length: int, params: dict[str, str]) -> None:
        limit = self._limit('max_form_memory_size')
        if limit is not None and length > limit:
            raise RequestEntityTooLargeError(
                'form data too large',
                'urlencoded body of %d bytes exceeds max_form_memory_size %d' % (length, limit))
        query = self.stdin.read(length)
        if len(query) != length:
            raise RequestError('unexpected end of request body')
        # the declared charset if any (most browsers don't send one)
        charset = params.get('charset', self.charset)
        if query.isascii():
            text = query.decode('ascii')
        else:
            text = _decode_string(query, charset)
        self.form.update(parse_query(text, charset))

    def _process_multipart(self, length: int, params: dict[str, str]) -> None:
        boundary = params.get('boundary')
        if not boundary:
            raise RequestError('multipart/form-data missing boundary')
        if len(boundary) > _MAX_BOUNDARY:
            raise RequestError('multipart/form-data boundary too long')
        try:
            boundary_bytes = boundary.encode('latin-1')
        except UnicodeEncodeError:
            raise RequestError('invalid multipart/form-data boundary')
        memory_limit = self._limit('max_form_memory_size')
        # The decoder's own limit bounds its buffer (preamble, part headers); data
        # events are drained as they come, so the buffer stays near one read.
        buffer_limit = None if memory_limit is None else max(memory_limit, 2 * _READ_CHUNK)
        decoder = MultipartDecoder(boundary_bytes, buffer_limit,
                                   max_parts=self._limit('max_form_parts'))
        try:
            self._read_multipart(decoder, length, params.get('charset'), memory_limit)
        except RequestEntityTooLarge:
            raise RequestEntityTooLargeError(
                'form data too large',
                'multipart part headers or number of parts over the limit')
        except ValueError as exc:  # includes UnicodeDecodeError in part headers
            raise RequestError('malformed multipart/form-data', str(exc))

    def _read_multipart(self, decoder: MultipartDecoder, length: int,
                        charset: str | None, memory_limit: int | None) -> None:
        stdin = self.stdin
        remaining = length
        in_memory = 0
        name: str | None = None
        upload: Upload | None = None
        chunks: list[bytes] = []
        part_charset = charset
        while True:
            event = decoder.next_event()
            if event is NEED_DATA:
                if remaining <= 0:
                    decoder.receive_data(None)
                    continue
                data = stdin.read(min(remaining, _READ_CHUNK))
                if not data:
                    raise RequestError('unexpected end of multipart/form-data')
                remaining -= len(data)
                decoder.receive_data(data)
            elif isinstance(event, (Field, File)):
                name, upload, part_charset = self._start_part(event, charset)
                chunks = []
            elif isinstance(event, Data):
                if upload is not None:
                    upload.fp.write(event.data)  # type: ignore[union-attr]
                else:
                    in_memory += len(event.data)
                    if memory_limit is not None and in_memory > memory_limit:
                        raise RequestEntityTooLargeError(
                            'form data too large',
                            'text fields exceed max_form_memory_size %d' % memory_limit)
                    chunks.append(event.data)
                if not event.more_data:
                    if upload is not None:
                        upload.fp.seek(0)  # type: ignore[union-attr]
                        _add_field_value(self.form, name, upload)  # type: ignore[arg-type]
                    else:
                        value = _decode_string(b''.join(chunks), part_charset or self.charset)
                        _add_field_value(self.form, name, value)  # type: ignore[arg-type]
                    upload = None
                    chunks = []
            elif isinstance(event, Epilogue):
                return

    def _start_part(self, event: Field | File,
                    charset: str | None) -> tuple[str, Upload | None, str | None]:
        headers = event.headers
        ctype, ctype_params = parse_header(headers.get('content-type', ''))
        if ctype and 'charset' in ctype_params:
            charset = ctype_params['charset']
        full_cdisp = headers.get('content-disposition', '')
        cdisp, cdisp_params = parse_header(full_cdisp)
        if not cdisp:
            raise RequestError('expected Content-Disposition header')
        name = cdisp_params.get('name')
        filename = cdisp_params.get('filename')
        if not (cdisp == 'form-data' and name):
            raise RequestError('expected Content-Disposition: form-data '
                               'with a "name" parameter: got %r' % full_cdisp)
        if filename:
            upload = Upload(filename, ctype, charset)
            upload.fp = tempfile.TemporaryFile("w+b")
            return name, upload, charset
        return name, None, charset

    # -- accessors -----------------------------------------------------------------------

    def get_header(self, name: str, default: Any = None) -> Any:
        """A request header by its HTTP or CGI name: 'Content-Type', 'CONTENT_TYPE' and
        'HTTP_CONTENT_TYPE' all work."""
        environ = self.environ
        name = name.replace("-", "_").upper()
        val = environ.get(name)
        if val is not None:
            return val
        if name[:5] != 'HTTP_':
            name = 'HTTP_' + name
        return environ.get(name, default)

    def get_cookie(self, cookie_name: str, default: Any = None) -> Any:
        return self.cookies.get(cookie_name, default)

    def get_cookies(self) -> dict[str, str]:
        return self.cookies

    def get_field(self, name: str, default: Any = None) -> Any:
        """A form field: a str, an Upload, or a list when the name was repeated."""
        return self.form.get(name, default)

    def get_fields(self) -> dict[str, Any]:
        return self.form

    def get_method(self) -> str:
        return self.environ.get('REQUEST_METHOD', 'GET')

    def formiter(self) -> ItemsView[str, Any]:
        return self.form.items()

    def get_scheme(self) -> str:
        return self.scheme

    def get_server(self) -> str:
        """The host with an optional port: HTTP_HOST, else SERVER_NAME[:SERVER_PORT]
        without the scheme's default port."""
        environ = self.environ
        http_host = environ.get("HTTP_HOST")
        if http_host:
            return http_host
        server_name = environ.get("SERVER_NAME", "").strip()
        server_port = environ.get("SERVER_PORT")
        scheme = self.scheme
        if (not server_port
                or (scheme == "http" and server_port == "80")
                or (scheme == "https" and server_port == "443")):
            return server_name
        return server_name + ":" + server_port

    def get_path(self, n: int = 0) -> str:
        """SCRIPT_NAME + PATH_INFO, with ``n`` components chopped from the right (or,
        for a negative ``n``, only ``-n`` kept from the left). A trailing slash counts
        as an empty last component; ValueError if ``|n|`` is too big."""
        environ = self.environ
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        if n == 0:
            return path
        path_comps = path.split('/')
        if abs(n) > len(path_comps) - 1:
            raise ValueError("n=%d too big for path '%s'" % (n, path))
        if n > 0:
            return '/'.join(path_comps[:-n])
        return '/'.join(path_comps[:-n + 1])

    def get_query(self) -> str:
        return self.environ.get('QUERY_STRING', '')

    def get_path_query(self) -> str:
        path = self.get_path()
        query = self.get_query()
        if query:
            path += '?' + query
        return path

    def get_url(self, n: int = 0) -> str:
        """scheme://server/path (``n`` as in :meth:`get_path`), without the query."""
        return "%s://%s%s" % (self.scheme, self.get_server(),
                              urllib.parse.quote(self.get_path(n)))

    def get_environ(self, key: str, default: Any = None) -> Any:
        return self.environ.get(key, default)

    def get_encoding(self, encodings: list[str]) -> str | None:
        """The first of ``encodings`` (server preference order) that the client's
        Accept-Encoding allows, or None."""
        accept_encoding = self.get_header("accept-encoding") or ""
        if not accept_encoding:
            return None
        found_encodings = self._parse_pref_header(accept_encoding)
        if found_encodings:
            for encoding in encodings:
                if encoding in found_encodings:
                    return encoding
        return None

    def get_accepted_types(self) -> dict[str, float]:
        """``{mime type: quality}`` from the Accept header (q=0 and bare ``*`` dropped)."""
        return self._parse_pref_header(self.environ.get('HTTP_ACCEPT', ""))

    def _parse_pref_header(self, S: str) -> dict[str, float]:
        found = {}
        S = _http_lws_re.sub("", S)
        for coding in _http_list_re.split(S):
            m = _http_encoding_re.match(coding)
            if m:
                encoding = m.group(1).lower()
                q: Any = m.group(3) or 1.0
                try:
                    q = float(q)
                except ValueError:
                    continue
                if encoding == "*":
                    continue
                if q > 0:
                    found[encoding] = q
        return found

    def dump(self) -> str:
        """A text listing of the form, the cookies and the environ."""
        result = []
        row = '%-15s %s'
        result.append("Form:")
        for k, v in sorted(self.form.items()):
            result.append(row % (k, v))
        result.append("")
        result.append("Cookies:")
        for k, v in sorted(self.cookies.items()):
            result.append(row % (k, v))
        result.append("")
        result.append("Environment:")
        for k, v in sorted(self.environ.items()):
            result.append(row % (k, v))
        return "\n".join(result)

    def guess_browser_version(self) -> tuple[str | None, str | None]:
        """``(name, version)`` from User-Agent, seeing through "compatible; MSIE 5.5"
        style masquerades; ``(None, None)`` if it cannot be parsed."""
        ua = self.get_header('user-agent')
        if ua is None:
            return (None, None)
        m = _http_product_re.match(ua)
        if not m:
            log.info("couldn't parse User-Agent header: %r", ua)
            return (None, None)
        name, version = m.groups()
        ua = ua[m.end():].lstrip()
        if ua.startswith('('):
            # nested comments (MSIE uses them) are discarded
            depth = 1
            chars = []
            for c in ua[1:]:
                if c == '(':
                    depth += 1
                elif c == ')':
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1:
                    chars.append(c)
            comment = ''.join(chars)
        else:
            comment = ''
        comment_chunks = _comment_delim_re.split(comment) if comment else []
        if "compatible" in comment_chunks and len(comment_chunks) > 1 and comment_chunks[1]:
            # Someone pretending to be what they are not (MSIE as Mozilla, Konqueror)
            real_ua = comment_chunks[1]
            if "/" in real_ua:
                (name, version) = real_ua.split("/", 1)
            elif real_ua.startswith("MSIE") and ' ' in real_ua:
                (name, version) = real_ua.split(" ", 1)
            else:
                name = real_ua
                version = None
            return (name, version)
        return (name, version)
