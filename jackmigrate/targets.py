"""The one table mapping Quixote modules and names to Jack.

Every public module and name of Quixote 3.8 is listed here, either with its Jack
equivalent (the import rule JM001 rewrites those) or with the id of the rule that
converts it because more than an import change is needed (``handled_by``).  A name with
no entry is unknown to jackmigrate: the import rule reports it as unsupported and the
residual check (JM090) keeps reporting it, so nothing is skipped silently.

Rule id allocation (so helpers never collide):
  JM001         quixote imports -> jack_runtime (engine helper)
  JM010-JM049   Python rules for other Quixote constructs ("rules" helper)
  JM040-JM059   PTL templates ("ptl" helper; JM040 converts the templates)
  JM090-JM099   engine checks: JM090 residual Quixote references, JM091 unused
                suppressions, JM098 Python 2 source, JM099 file could not be processed

Rule authors may add entries (keep them sorted by section) and set ``handled_by`` to
their rule's id; ``handled_by`` values that name no registered rule are reported by the
residual check as "no rule registered".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["Target", "MODULES", "NAMES", "lookup", "module_target", "is_quixote"]


@dataclass(frozen=True)
class Target:
    """Where a Quixote object goes.

    ``jack``: dotted Jack name (module or module.attribute), or None.
    ``handled_by``: id of the rule converting it when an import change is not enough;
    the import rule leaves such names alone.
    ``note``: one line for messages and TODO comments.
    """

    jack: Optional[str]
    handled_by: Optional[str] = None
    note: str = ""

    @property
    def needs_rule(self) -> bool:
        return self.handled_by is not None


# Quixote module -> Jack module.  None: the module as a whole has no Jack counterpart
# (its names are converted by other rules or are unsupported).
MODULES: dict[str, Optional[str]] = {
    "quixote": "jack_runtime",
    "quixote.config": "jack_runtime.config",
    "quixote.directory": "jack_runtime.directory",
    "quixote.errors": "jack_runtime.errors",
    "quixote.form": "jack_runtime.form",
    "quixote.form.compatibility": "jack_runtime.form.compatibility",
    "quixote.form.css": "jack_runtime.form.css",
    "quixote.form.form": "jack_runtime.form.form",
    "quixote.form.widget": "jack_runtime.form.widget",
    "quixote.html": "jack_runtime.html",
    "quixote.http_request": "jack_runtime.http.request",
    "quixote.http_response": "jack_runtime.http.response",
    "quixote.logger": "jack_runtime.logger",
    # Accessors live in jack_runtime; Publisher is converted by the publisher rule.
    "quixote.publish": "jack_runtime",
    "quixote.sendmail": "jack_runtime.sendmail",
    "quixote.session": "jack_runtime.session",
    "quixote.util": "jack_runtime.util",
    # Converted by rules (or kept working by the shim), never by an import change.
    "quixote.publish1": None,
    "quixote.form1": None,
    "quixote.form1.form": None,
    "quixote.form1.widget": None,
    "quixote.form2": None,
    "quixote.ptl": None,
    "quixote.ptl.install": None,
    "quixote.ptl.ptl_compile": None,
    "quixote.ptl.ptl_import": None,
    "quixote.ptl.ptl_parse": None,
    "quixote.ptl.ptlrun": None,
    "quixote.ptl.qx_distutils": None,
    "quixote.server": None,
    "quixote.server.simple_server": None,
    "quixote.server.threaded_server": None,
    "quixote.server.wsgi_server": None,
    "quixote.server.scgi_server": None,
    "quixote.server.cgi_server": None,
    "quixote.server.systemd_socket": None,
    "quixote.server.util": None,
    "quixote.server.medusa_server": None,
    "quixote.server.twisted_server": None,
    "quixote.server.fastcgi_server": None,
    "quixote.server.mod_python_handler": None,
    "quixote.wsgi": None,
    "quixote.demo": None,
    "quixote.html._py_htmltext": "jack_runtime.html",
    "quixote.html._c_htmltext": "jack_runtime.html",
    "quixote.html.qpy_templateio": "jack_runtime.html",
}

# Rules of the "rules" and "ptl" helpers that names below are reserved for.  The ids
# are placeholders until the rule exists; the residual check says so when they do not.
PUBLISHER = "JM010"  # Publisher subclasses/instances -> App
SERVER = "JM011"  # quixote.server.* run()/main(), QWIP, get_wsgi_app -> jack_runtime.serve
PUBLISH1 = "JM012"  # quixote.publish1 -> compat shim
FORM1 = "JM013"  # quixote.form1 -> marked for manual port
CLEANUP = "JM014"  # quixote.cleanup() -> test helper
PTL = "JM040"  # ptl_html/ptl_plain, enable_ptl, compile_package, ptl modules
PTL_PLUMBING = "JM017"  # enable_ptl(), the import hook, compile_package(), qx_build_py

# Explicit entries: names that are renamed, handled by rules, or have no equivalent.
# Any other public name of a module mapped in MODULES keeps its name in the Jack module
# (e.g. quixote.directory.Directory -> jack_runtime.directory.Directory).
NAMES: dict[str, Target] = {
    # quixote (package) and quixote.publish accessors
    "quixote.get_publisher": Target("jack_runtime.get_app"),
    "quixote.publish.get_publisher": Target("jack_runtime.get_app"),
    "quixote.current_publisher": Target("jack_runtime.current_app"),
    "quixote.enable_ptl": Target(None, PTL_PLUMBING, "templates are converted to .py; enable_ptl() goes"),
    "quixote.cleanup": Target(None, CLEANUP, "Jack allows many apps per process"),
    "quixote.publish.cleanup": Target(None, CLEANUP, "Jack allows many apps per process"),
    "quixote.get_wsgi_app": Target(None, SERVER, "a Jack App is the WSGI application"),
    "quixote.publish.get_wsgi_app": Target(None, SERVER, "a Jack App is the WSGI application"),
    "quixote.publish.Publisher": Target("jack_runtime.app.App", PUBLISHER, "Publisher becomes jack_runtime.app.App"),
    "quixote.publish.INTERNAL_ERROR_MESSAGE": Target("jack_runtime.errors.INTERNAL_ERROR_MESSAGE"),
    "quixote.__version__": Target(None, None, "Quixote's version has no Jack meaning"),
    # quixote.http_request / http_response: module renamed, names kept (defaults apply)
    # quixote.util: StaticFile/StaticDirectory are re-exported by jack_runtime.util
    # quixote.wsgi / servers
    "quixote.wsgi.QWIP": Target(None, SERVER, "a Jack App is the WSGI application"),
    # quixote.ptl
    "quixote.ptl.ptl_html": Target(None, PTL, "PTL templates become plain Python"),
    "quixote.ptl.ptl_plain": Target(None, PTL, "PTL templates become plain Python"),
    "quixote.ptl.compile_package": Target(None, PTL_PLUMBING, "no PTL compilation step in Jack"),
    "quixote.ptl.ptl_compile.compile_package": Target(None, PTL_PLUMBING, "no PTL compilation step in Jack"),
    "quixote.ptl.ptl_import.install": Target(None, PTL_PLUMBING, "no PTL import hook in Jack"),
    "quixote.ptl.qx_distutils.qx_build_py": Target(None, PTL_PLUMBING, "setuptools' build_py packages the converted .py files"),
    "quixote.ptl.install": Target(None, PTL_PLUMBING, "no PTL import hook in Jack"),
    # quixote.html internals used by compiled PTL
    "quixote.html._q_join": Target("jack_runtime.html._q_join"),
    "quixote.html._q_format": Target("jack_runtime.html._q_format"),
    "quixote.html.use_qpy": Target(None, None, "qpy is not supported; Jack's htmltext is built in"),
    "quixote.html.cleanup_qpy": Target(None, None, "qpy is not supported; Jack's htmltext is built in"),
    # internals of Quixote's request parser and of qpy, public by accident: no Jack name
    "quixote.http_request.LineInput": Target(None, None, "Quixote's multipart reader internals; Jack parses bodies with Werkzeug"),
    "quixote.http_request.MIMEInput": Target(None, None, "Quixote's multipart reader internals; Jack parses bodies with Werkzeug"),
    "quixote.html.qpy_templateio.qpy_TemplateIO": Target(None, None, "qpy is not supported; use jack_runtime.html.TemplateIO"),
    "quixote.sendmail.SMTP": Target("smtplib.SMTP"),
    "quixote.sendmail.SMTP_SSL": Target("smtplib.SMTP_SSL"),
}

# Public names per mapped module (Quixote 3.8): the import rule converts only these, so
# a misspelt or private name is reported rather than blindly renamed.
PUBLIC: dict[str, frozenset[str]] = {
    "quixote": frozenset(
        "get_publisher get_request get_response get_path redirect get_session "
        "get_session_manager get_user get_field get_cookie get_wsgi_app cleanup get_param "
        "DEFAULT_CHARSET enable_ptl __version__ current_publisher current_request "
        "current_response current_session current_session_manager current_user".split()
    ),
    "quixote.publish": frozenset(
        "Publisher INTERNAL_ERROR_MESSAGE cleanup get_cookie get_field get_param get_path "
        "get_publisher get_request get_response get_session get_session_manager get_user "
        "get_wsgi_app redirect".split()
    ),
    "quixote.config": frozenset(
        "Config ACCESS_LOG ALLOWED_METHODS COMPRESS_PAGES DISPLAY_EXCEPTIONS ERROR_EMAIL "
        "ERROR_LOG FORM_TOKENS MAIL_ALLOW_SSLV3 MAIL_DEBUG_ADDR MAIL_FROM MAIL_PASSWORD "
        "MAIL_PORT MAIL_SERVER MAIL_USERNAME MAIL_USE_SSL MAIL_USE_TLS SESSION_COOKIE_DOMAIN "
        "SESSION_COOKIE_HTTPONLY SESSION_COOKIE_NAME SESSION_COOKIE_PATH "
        "SESSION_COOKIE_SECURE".split()
    ),
    "quixote.directory": frozenset(
        "AccessControlled Directory DirectoryClass Resolving WARN_TRAILING_SLASH export subdir".split()
    ),
    "quixote.errors": frozenset(
        "AccessError ERROR_BODY INTERNAL_ERROR_MESSAGE MethodNotAllowedError PAGE_TEMPLATE "
        "PublishError QueryError RequestError TraversalError format_error_page format_page "
        "format_publish_error".split()
    ),
    "quixote.http_request": frozenset(
        "HTTPRequest LineInput MIMEInput Upload get_content_type make_safe_filename "
        "parse_content_disposition parse_cookies parse_header parse_query".split()
    ),
    "quixote.http_response": frozenset("HTTPResponse Stream status_reasons".split()),
    "quixote.logger": frozenset(["DefaultLogger"]),
    "quixote.sendmail": frozenset(
        "EMAIL_ENCODING MAX_HEADER_RECIPIENTS RFC822Mailbox SMTP SMTP_SSL sendmail".split()
    ),
    "quixote.session": frozenset(
        "BaseSessionManager CSRF_TOKEN_NAME NullSessionManager Session SessionManager "
        "SessionStore set_session_cookie".split()
    ),
    "quixote.util": frozenset(
        "FileStream MemoryFile Redirector StaticBundle StaticDirectory StaticFile dump_request "
        "get_directory_path import_object randbytes safe_str_cmp xmlrpc".split()
    ),
    "quixote.html": frozenset(
        "TemplateIO ValuelessAttr cleanup_qpy href htmlescape htmltag htmltemplate htmltext "
        "js_escape nl2br stringify url_quote url_with_query use_qpy htmlformat _q_join "
        "_q_format".split()
    ),
    "quixote.form": frozenset(
        "CheckboxWidget CompositeWidget FileWidget FloatWidget Form FormTokenWidget "
        "HiddenWidget IntWidget MultipleSelectWidget OptionSelectWidget PasswordWidget "
        "RadiobuttonsWidget SelectWidget SingleSelectWidget StringWidget SubmitWidget "
        "TextWidget Widget WidgetDict WidgetList WidgetValueError subname".split()
    ),
    "quixote.form.form": frozenset(["Form", "FormTokenWidget"]),
    "quixote.form.widget": frozenset(
        "ButtonWidget CheckboxWidget CompositeWidget FileWidget FloatWidget HiddenWidget "
        "IntWidget MultipleSelectWidget NumberWidget OptionSelectWidget PasswordWidget "
        "RadiobuttonsWidget ResetWidget SelectWidget SingleSelectWidget StringWidget "
        "SubmitWidget TextWidget Widget WidgetDict WidgetList WidgetValueError merge_attrs "
        "subname".split()
    ),
    "quixote.form.css": frozenset(["BASIC_FORM_CSS"]),
    "quixote.form.compatibility": frozenset(["Form"]),
    "quixote.html._py_htmltext": frozenset("htmltext htmlescape stringify TemplateIO _q_join _q_format".split()),
    "quixote.html._c_htmltext": frozenset("htmltext htmlescape stringify TemplateIO _q_join _q_format".split()),
    "quixote.html.qpy_templateio": frozenset(["qpy_TemplateIO"]),
}


def is_quixote(dotted: str) -> bool:
    return dotted == "quixote" or dotted.startswith("quixote.")


def module_target(module: str) -> Optional[str]:
    """Jack module for a Quixote module, or None (no direct counterpart / unknown)."""
    return MODULES.get(module)


def lookup(dotted: str) -> Optional[Target]:
    """Target of a Quixote dotted name (module or module.attribute); None if unknown."""
    if dotted in NAMES:
        return NAMES[dotted]
    if dotted in MODULES:
        jack = MODULES[dotted]
        return Target(jack, None if jack else _module_handler(dotted))
    module, _, name = dotted.rpartition(".")
    if module in PUBLIC and name in PUBLIC[module]:
        jack_module = MODULES.get(module)
        if jack_module is None:
            return Target(None, _module_handler(module))
        return Target(f"{jack_module}.{name}")
    if module in MODULES and MODULES[module] is None:
        return Target(None, _module_handler(module))
    return None


def _module_handler(module: str) -> Optional[str]:
    if module.startswith(("quixote.ptl",)):
        return PTL
    if module.startswith(("quixote.server", "quixote.wsgi")):
        return SERVER
    if module == "quixote.publish1":
        return PUBLISH1
    if module.startswith(("quixote.form1", "quixote.form2")):
        return FORM1
    return None
