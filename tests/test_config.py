"""Config: Quixote 3.8's options with their defaults, its file format, Jack's additions, and
clear refusals."""
from __future__ import annotations

import pytest

from jack_runtime.config import JACK_CONFIG_VARS, REFUSED_CONFIG_VARS, Config


def test_same_options_and_defaults_as_quixote():
    from quixote.config import Config as QConfig

    quixote_config = QConfig()
    jack_config = Config()
    assert set(QConfig.config_vars) <= set(Config.config_vars)
    for name in QConfig.config_vars:
        if name == "session_cookie_httponly":
            # the one deliberate change: HttpOnly by default (Quixote: False)
            assert jack_config.session_cookie_httponly is True
            assert quixote_config.session_cookie_httponly is False
        else:
            assert getattr(jack_config, name) == getattr(quixote_config, name), name
    assert set(Config.config_vars) - set(QConfig.config_vars) == set(JACK_CONFIG_VARS)


def test_jack_additions_defaults():
    config = Config()
    assert config.max_request_body_size == 16 * 1024 * 1024
    assert config.max_form_memory_size == 1024 * 1024
    assert config.max_form_parts == 1000
    assert config.session_cookie_samesite == "Lax"
    assert config.session_cookie_httponly is True


def test_keyword_arguments():
    config = Config(display_exceptions="plain", allowed_methods=None, max_form_parts=10,
                    session_cookie_samesite="Lax")
    assert config.display_exceptions == "plain"
    assert config.allowed_methods is None
    assert config.max_form_parts == 10
    assert config.session_cookie_samesite == "Lax"


def test_allowed_methods_list_is_not_shared():
    a, b = Config(), Config()
    a.allowed_methods.append("PUT")
    assert b.allowed_methods == ["GET", "HEAD", "POST"]


def test_unknown_option_names_itself():
    with pytest.raises(ValueError, match="unknown config variable 'no_such_thing'"):
        Config(no_such_thing=1)
    with pytest.raises(ValueError, match="unknown config variable 'no_such_thing'"):
        Config().set_from_dict({"NO_SUCH_THING": 1})


@pytest.mark.parametrize("name", sorted(REFUSED_CONFIG_VARS))
def test_obsolete_quixote_options_are_refused_with_the_reason(name):
    with pytest.raises(ValueError, match="config variable %r is not supported by Jack: .+" % name):
        Config(**{name: 1})
    with pytest.raises(ValueError, match=repr(name)):
        Config().set_from_dict({name.upper(): 1})


@pytest.mark.parametrize("kwargs,message", [
    ({"allowed_methods": "GET"}, "allowed_methods"),
    ({"allowed_methods": ["GET", 1]}, "allowed_methods"),
    ({"session_cookie_samesite": "lax-ish"}, "session_cookie_samesite"),
    ({"max_request_body_size": -1}, "max_request_body_size"),
    ({"max_form_parts": "10"}, "max_form_parts"),
    ({"max_form_memory_size": True}, "max_form_memory_size"),
])
def test_invalid_values_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Config(**kwargs)


def test_set_from_dict_takes_uppercase_names_only():
    config = Config()
    config.set_from_dict({"DISPLAY_EXCEPTIONS": True, "display_exceptions": False, "os": None})
    assert config.display_exceptions is True


def test_read_file_accumulates(tmp_path):
    first = tmp_path / "first.conf"
    first.write_text("DISPLAY_EXCEPTIONS = 'plain'\nSESSION_COOKIE_NAME = 'sid'\n"
                     "helper = 3  # lowercase names are ignored\n")
    second = tmp_path / "second.conf"
    second.write_text("import os\nSESSION_COOKIE_NAME = 'other'\nMAX_FORM_PARTS = 2 * 5\n")
    config = Config()
    config.read_file(str(first))
    config.read_file(str(second))
    assert config.display_exceptions == "plain"
    assert config.session_cookie_name == "other"
    assert config.max_form_parts == 10


def test_read_file_same_result_as_quixote(tmp_path):
    from quixote.config import Config as QConfig

    path = tmp_path / "app.conf"
    path.write_text("ACCESS_LOG = '/tmp/x.log'\nALLOWED_METHODS = ['GET']\nMAIL_PORT = 2525\n")
    jack_config, quixote_config = Config(session_cookie_httponly=False), QConfig()
    jack_config.read_file(str(path))
    quixote_config.read_file(str(path))
    for name in QConfig.config_vars:
        assert getattr(jack_config, name) == getattr(quixote_config, name), name


def test_read_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        Config().read_file(str(tmp_path / "missing.conf"))
    bad = tmp_path / "bad.conf"
    bad.write_text("UPLOAD_DIR = '/tmp'\n")
    with pytest.raises(ValueError, match="'upload_dir' is not supported"):
        Config().read_file(str(bad))


def test_read_from_string():
    config = Config()
    config.read_from_string("COMPRESS_PAGES = True\nFORM_TOKENS = 1\n")
    assert config.compress_pages is True and config.form_tokens == 1
    with pytest.raises(SyntaxError):
        config.read_from_string("COMPRESS_PAGES = (", "my.conf")


def test_repr_shows_changed_options():
    assert repr(Config(form_tokens=True)) == "Config(form_tokens=True)"
