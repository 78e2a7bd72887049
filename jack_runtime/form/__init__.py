"""Quixote's form library (``quixote.form``) on Jack.

Application developers will typically create a Form instance for each form in their
application; each form object contains a number of widget objects.  Custom widgets can be
created by inheriting and/or composing the standard widget classes.  Forms read the request
through ``jack_runtime.context.get_request()`` and keep form tokens in the session.
"""

from .form import Form, FormTokenWidget  # noqa: F401
from .widget import (  # noqa: F401
    ButtonWidget,
    CheckboxWidget,
    CompositeWidget,
    FileWidget,
    FloatWidget,
    HiddenWidget,
    IntWidget,
    MultipleSelectWidget,
    NumberWidget,
    OptionSelectWidget,
    PasswordWidget,
    RadiobuttonsWidget,
    ResetWidget,
    SelectWidget,
    SingleSelectWidget,
    StringWidget,
    SubmitWidget,
    TextWidget,
    Widget,
    WidgetDict,
    WidgetList,
    WidgetValueError,
    subname,
)
