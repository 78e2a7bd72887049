"""Configuration: Quixote 3.8's ``Config`` with its 21 options, plus Jack's request limits.

Every Quixote option keeps its name and meaning, so ``Config(display_exceptions='plain')``
and config files written for Quixote (UPPERCASE names, ``read_file``) work unchanged. The
defaults are Quixote's except for the session cookie, which is HttpOnly with SameSite=Lax
by default (``session_cookie_httponly=False, session_cookie_samesite=None`` restore
Quixote's cookie). Options
from older Quixote releases that Jack does not implement are refused with an error that names
the option and says what to use instead, rather than being silently ignored.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

# -- Quixote 3.8's options (quixote/config.py), same defaults ------------------------------

ERROR_EMAIL = None
ACCESS_LOG = None
ERROR_LOG = None
DISPLAY_EXCEPTIONS = None
COMPRESS_PAGES = False
FORM_TOKENS = False
ALLOWED_METHODS = ["GET", "HEAD", "POST"]
SESSION_COOKIE_NAME = "QX_session"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_PATH = None
SESSION_COOKIE_SECURE = False
# Quixote's default is False; Jack keeps the session cookie away from scripts by default.
SESSION_COOKIE_HTTPONLY = True
MAIL_FROM = None
MAIL_SERVER = "localhost"
MAIL_PORT = None
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_SSL = False
MAIL_USE_TLS = False
MAIL_ALLOW_SSLV3 = False
MAIL_DEBUG_ADDR = None

# -- Jack's additions ----------------------------------------------------------------------

# Quixote buffers any request body whole, with no limit; Jack refuses larger bodies with 413.
MAX_REQUEST_BODY_SIZE = 16 * 1024 * 1024
# Memory allowed for the non-file fields of a multipart body (Werkzeug's max_form_memory_size).
MAX_FORM_MEMORY_SIZE = 1024 * 1024
# Number of parts (fields and files) accepted in one multipart body (Werkzeug's max_form_parts).
MAX_FORM_PARTS = 1000
# SameSite attribute of the session cookie: "Lax" (the default), "Strict", "None", or None
# for no attribute at all (Quixote's cookie).
SESSION_COOKIE_SAMESITE = "Lax"

QUIXOTE_CONFIG_VARS = (
    "error_email", "access_log", "display_exceptions", "error_log", "compress_pages",
    "form_tokens", "allowed_methods", "session_cookie_domain", "session_cookie_name",
    "session_cookie_path", "session_cookie_secure", "session_cookie_httponly", "mail_from",
    "mail_server", "mail_port", "mail_username", "mail_password", "mail_use_ssl",
    "mail_use_tls", "mail_allow_sslv3", "mail_debug_addr",
)
JACK_CONFIG_VARS = (
    "max_request_body_size", "max_form_memory_size", "max_form_parts", "session_cookie_samesite",
)

# Options of Quixote 0.x-2.x that no longer exist in 3.8 (and so not in Jack), with the reason.
REFUSED_CONFIG_VARS = {
    "secure_errors": "removed in Quixote 2; use display_exceptions (false in production)",
    "upload_dir": "uploads are spooled to temporary files by Jack's request parser; "
                  "bound them with max_request_body_size",
    "upload_dir_mode": "uploads are spooled to temporary files by Jack's request parser",
    "check_session_addr": "removed in Quixote 2; check Session.get_remote_address() in "
                          "application code if needed",
    "fix_trailing_slash": "Quixote 2+ (and Jack) redirect a missing trailing slash only when "
                          "'' is in _q_exports",
    "run_once": "a Quixote 1 CGI option; Jack is a WSGI application, use the server's settings",
    "debug_log": "removed in Quixote 2; use error_log, or configure the 'jack' logger",
    "session_cookie_max_age": "not a Quixote 3.8 option; set cookie attributes in a "
                              "SessionManager subclass",
}

_VALID_SAMESITE = (None, "Lax", "Strict", "None")


def _check_name(name: str) -> None:
    if name in REFUSED_CONFIG_VARS:
        raise ValueError(
            "config variable %r is not supported by Jack: %s" % (name, REFUSED_CONFIG_VARS[name]))
    if name not in Config.config_vars:
        raise ValueError("unknown config variable %r" % name)


class Config:
    """All configuration of one App. Attribute names are the lowercased option names."""

    config_vars: list[str] = list(QUIXOTE_CONFIG_VARS + JACK_CONFIG_VARS)

    error_email: str | None
    access_log: str | None
    display_exceptions: Any
    error_log: str | None
    compress_pages: bool
    form_tokens: bool
    allowed_methods: list[str] | None
    session_cookie_domain: str | None
    session_cookie_name: str
    session_cookie_path: str | None
    session_cookie_secure: bool
    session_cookie_httponly: bool
    mail_from: Any
    mail_server: str
    mail_port: int | None
    mail_username: str | None
    mail_password: str | None
    mail_use_ssl: bool
    mail_use_tls: bool
    mail_allow_sslv3: bool
    mail_debug_addr: str | None
    max_request_body_size: int | None
    max_form_memory_size: int | None
    max_form_parts: int | None
    session_cookie_samesite: str | None

    def __init__(self, **kwargs: Any) -> None:
        defaults = globals()
        for name in self.config_vars:
            value = defaults[name.upper()]
            # a fresh list per Config, so that one App mutating its list cannot affect another
            setattr(self, name, list(value) if isinstance(value, list) else value)
        for name, value in kwargs.items():
            _check_name(name)
            setattr(self, name, value)
        self._validate()

    def set_from_dict(self, config_vars: Mapping[str, Any]) -> None:
        """Apply the UPPERCASE names of ``config_vars``; other names are ignored, as in Quixote."""
        for name, value in config_vars.items():
            if name.isupper():
                name = name.lower()
                _check_name(name)
                setattr(self, name, value)
        self._validate()

    def read_file(self, filename: str) -> None:
        """Execute the Python file ``filename`` and apply its UPPERCASE names.

        Options already set and absent from the file are kept, so several files accumulate.
        """
        with open(filename, "r") as f:
            source = f.read()
        self.read_from_string(source, filename)

    def read_from_string(self, source: str, filename: str = "<config>") -> None:
        """Like :meth:`read_file`, for config text held in memory."""
        namespace: dict[str, Any] = {}
        exec(compile(source, filename, "exec"), namespace)
        self.set_from_dict(namespace)

    def _validate(self) -> None:
        methods = self.allowed_methods
        if methods is not None and (isinstance(methods, str) or not _all_str(methods)):
            raise ValueError("config variable 'allowed_methods' must be None or a list of "
                             "method names, not %r" % (methods,))
        if self.session_cookie_samesite not in _VALID_SAMESITE:
            raise ValueError("config variable 'session_cookie_samesite' must be one of %r, not %r"
                             % (_VALID_SAMESITE, self.session_cookie_samesite))
        if self.session_cookie_samesite == "None" and not self.session_cookie_secure:
            # browsers drop such a cookie without a word: every login would silently fail
            raise ValueError("config variable 'session_cookie_samesite' is 'None', which "
                             "browsers accept only with session_cookie_secure=True")
        for name in ("max_request_body_size", "max_form_memory_size", "max_form_parts"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 0):
                raise ValueError("config variable %r must be None or an int >= 0, not %r"
                                 % (name, value))

    def __repr__(self) -> str:
        changed = ["%s=%r" % (n, getattr(self, n)) for n in self.config_vars
                   if getattr(self, n) != globals()[n.upper()]]
        return "Config(%s)" % ", ".join(changed)


def _all_str(items: Iterable[Any]) -> bool:
    return all(isinstance(item, str) for item in items)
