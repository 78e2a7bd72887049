"""A Form subclass that provides close to the same API as the old form
class (useful for transitioning existing forms).

Ported from Quixote 3.8 (``quixote/form/compatibility.py``, MIT licence, copyright the
Quixote authors), unchanged apart from imports: as in Quixote, the ``action`` attribute
set by ``Form.__init__`` shadows the ``action()`` method, so ``handle()`` fails on a
successful submission unless a subclass sets things up otherwise.
"""

from __future__ import annotations

from typing import Any

from ..context import get_path, get_request, redirect
from . import (  # noqa: F401
    Form as _Form,
    Widget,
    StringWidget,
    FileWidget,
    PasswordWidget,
    TextWidget,
    CheckboxWidget,
    RadiobuttonsWidget,
    SingleSelectWidget,
    SelectWidget,
    OptionSelectWidget,
    MultipleSelectWidget,
    SubmitWidget,
    HiddenWidget,
    FloatWidget,
    IntWidget,
)
from ..html import url_quote

_widget_names = {
    "string": StringWidget,
    "file": FileWidget,
    "password": PasswordWidget,
    "text": TextWidget,
    "checkbox": CheckboxWidget,
    "single_select": SingleSelectWidget,
    "radiobuttons": RadiobuttonsWidget,
    "multiple_select": MultipleSelectWidget,
    "submit_button": SubmitWidget,
    "hidden": HiddenWidget,
    "float": FloatWidget,
    "int": IntWidget,
    "option_select": OptionSelectWidget,
}


class Form(_Form):
    def __init__(self, action_url: Any = None, *args: Any, **kwargs: Any) -> None:
        _Form.__init__(self, action=action_url, *args, **kwargs)
        self.cancel_url = None
        self.action_url = self.action

    def add_widget(
        self,
        widget_class: Any,
        name: str,
        value: Any = None,
        title: Any = None,
        hint: Any = None,
        required: bool = False,
        **kwargs: Any,
    ) -> None:
        try:
            widget_class = _widget_names[widget_class]
        except KeyError:
            pass
        self.add(
            widget_class,
            name,
            value=value,
            title=title,
            hint=hint,
            required=required,
            **kwargs,
        )

    def add_submit_button(self, name: str, value: Any) -> None:
        self.add_submit(name, value)

    def add_cancel_button(self, caption: Any, url: str) -> None:
        self.add_submit("cancel", caption)
        self.cancel_url = url

    def get_action_url(self) -> str:
        action_url = url_quote(get_path())
        query = get_request().get_query()
        if query:
            action_url += "?" + query
        return action_url

    def render(self, action_url: Any = None) -> Any:
        if action_url:
            self.action_url = action_url
        return _Form.render(self)

    def process(self) -> dict:
        values = {}
        for name, widget in self._names.items():
            values[name] = widget.parse()
        return values

    def action(self, submit: Any, values: dict) -> Any:
        raise NotImplementedError("sub-classes must implement 'action()'")

    def handle(self) -> Any:
        """handle() -> string

        Master method for handling forms.  It should be called after
        initializing a form.  Controls form action based on a request.  You
        probably should override 'process' and 'action' instead of
        overriding this method.
        """
        if not self.is_submitted():
            return self.render(self.action_url)
        submit = self.get_submit()
        if submit == "cancel":
            return redirect(self.cancel_url)
        values = self.process()
        if submit == True:  # noqa: E712
            # The form was submitted by an unregistered submit button, assume
            # that the submission was required to update the layout of the form.
            self.clear_errors()
            return self.render(self.action_url)

        if self.has_errors():
            return self.render(self.action_url)
        else:
            return self.action(submit, values)
