"""JM018: configuration options Jack does not take (Config(...), Publisher/App keywords)."""

from __future__ import annotations

from typing import Iterable, Optional

import libcst as cst

from jackmigrate.rules._common import PyRule, jack_equivalents
from jackmigrate.rules.base import NEEDS_REVIEW, Example

CONFIGS = jack_equivalents(["quixote.config.Config"])
APPS = jack_equivalents(["quixote.publish.Publisher"])
# App(root, *, session_manager=None, config=None, logger=None, **config)
_APP_PARAMS = frozenset({"root", "root_directory", "session_manager", "config", "logger"})


def _jack_config() -> tuple[frozenset[str], dict[str, str]]:
    """Jack's option names and the options it refuses with their reason (describing the
    target, which is what jackmigrate may import jack_runtime for)."""
    from jack_runtime import config

    return frozenset(config.Config.config_vars), dict(config.REFUSED_CONFIG_VARS)


class ConfigOptions(PyRule):
    id = "JM018"
    name = "config-options"
    summary = "Mark configuration options that Jack's Config refuses or does not know"
    rationale = (
        "jack_runtime.config.Config keeps Quixote 3.8's 21 options with their names, "
        "defaults and meaning, and read_file()/set_from_dict() (UPPERCASE names of an exec'd "
        "Python file), so Config(...), config.read_file('site.conf'), Publisher(root, "
        "display_exceptions=..., ...) and Publisher(root, config=...) carry over as they are "
        "(the import rule switches the module, JM010 the class).  Options of older Quixote "
        "releases (secure_errors, upload_dir, run_once, check_session_addr ...) and "
        "misspelt names raise ValueError in Quixote 3.8 and in Jack alike; each such keyword "
        "is marked with what to use instead, so the failure is found before run time.  Two "
        "deliberate differences need no change but are worth knowing: ERROR_LOG/ACCESS_LOG "
        "go through the `logging` module (and Jack never replaces sys.stdout), and Jack adds "
        "request limits (max_request_body_size ...) and session_cookie_samesite."
    )
    applicability = NEEDS_REVIEW
    markers = ("quixote", "Config")
    examples = (
        Example(
            title="an option Quixote 1 had",
            before=(
                "from quixote.config import Config\n"
                "config = Config(display_exceptions=True, secure_errors=False)\n"
            ),
            after=(
                "from quixote.config import Config\n"
                "# TODO(jackmigrate JM018): config option 'secure_errors' is not supported by Jack (nor by Quixote 3.8): removed in Quixote 2; use display_exceptions (false in production)\n"
                "config = Config(display_exceptions=True, secure_errors=False)\n"
            ),
        ),
        Example(
            title="a misspelt publisher keyword",
            before=(
                "from quixote.publish import Publisher\n"
                "pub = Publisher(root, display_exception='plain')\n"
            ),
            after=(
                "from quixote.publish import Publisher\n"
                "# TODO(jackmigrate JM018): unknown config option 'display_exception' (Quixote 3.8 and Jack raise ValueError): check the name\n"
                "pub = Publisher(root, display_exception='plain')\n"
            ),
        ),
        Example(
            title="no change: Quixote's options and read_file",
            before=(
                "from quixote.config import Config\n"
                "config = Config(form_tokens=True, session_cookie_name='sid')\n"
                "config.read_file('site.conf')\n"
            ),
        ),
    )

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.known: Optional[frozenset[str]] = None
        self.refused: dict[str, str] = {}

    def idle_methods(self) -> Iterable[str]:
        # Only calls of a Config or a Publisher/App are checked.
        return () if self.ctx.may_qualify_to(CONFIGS | APPS) else ("leave_Call",)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        q = self.ctx.qualify(original_node.func)
        if q not in CONFIGS and q not in APPS:
            return updated_node
        if self.known is None:
            self.known, self.refused = _jack_config()
        allowed = self.known | (_APP_PARAMS if q in APPS else frozenset())
        for arg in original_node.args:
            if arg.keyword is None:
                continue
            name = arg.keyword.value
            if name in allowed:
                continue
            if name in self.refused:
                self.mark(original_node, f"config option {name!r} is not supported by Jack (nor by Quixote "
                                         f"3.8): {self.refused[name]}")
            else:
                self.mark(original_node, f"unknown config option {name!r} (Quixote 3.8 and Jack raise "
                                         "ValueError): check the name")
        return updated_node
