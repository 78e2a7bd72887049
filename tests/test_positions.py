"""positions_in: spans from generating only the statements that hold the nodes."""
import libcst as cst

from jackmigrate.codegen import layout_of
from jackmigrate.positions import code_with_positions, positions_in

TEXT = "import os\n\n\ndef f():\n    return os.sep\n\n# c\nx = f()\n"


def _nodes(module):
    f = module.body[1]
    ret = f.body.body[0].body[0]
    call = module.body[2].body[0].value
    return ret.value, call


def test_a_hint_spares_the_search_and_a_wrong_hint_costs_only_time():
    module = cst.parse_module(TEXT)
    layout = layout_of(module, TEXT)
    attr, call = _nodes(module)
    expected = code_with_positions(module, [attr, call])[1]
    assert expected[id(attr)] == (5, 11, 5, 17) and expected[id(call)] == (8, 4, 8, 7)
    assert positions_in(module, TEXT, [attr, call], layout) == expected
    right = {id(attr): module.body[1], id(call): module.body[2]}
    assert positions_in(module, TEXT, [attr, call], layout, right) == expected
    wrong = {id(attr): module.body[2], id(call): module.body[0]}
    assert positions_in(module, TEXT, [attr, call], layout, wrong) == expected
    foreign = {id(attr): cst.parse_statement("y = 1\n")}  # not a statement of this module
    assert positions_in(module, TEXT, [attr, call], layout, foreign) == expected
