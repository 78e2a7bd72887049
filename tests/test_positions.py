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


def _every_node(node, out):
    out.append(node)
    for child in node.children:
        _every_node(child, out)
    return out


def _corpus_texts():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "jackmigrate").glob("*.py"))[:6] + sorted((root / "fixtures").rglob("*.py"))[:6]:
        yield path.read_text(encoding="utf-8")


def test_positions_in_stops_generating_once_the_nodes_ended_and_agrees_with_a_full_generation():
    # Every node of real modules, whitespace and comments included (a target of
    # whitespace alone starts at the token after it: the generation cannot stop early).
    for text in _corpus_texts():
        module = cst.parse_module(text)
        layout = layout_of(module, text)
        assert layout is not None
        nodes = _every_node(module, [])[1:]
        for step in (3, 31):
            chosen = nodes[::step]
            assert positions_in(module, text, chosen, layout) == code_with_positions(module, chosen)[1]
        for stmt in module.body:  # one statement's nodes at a time
            inner = _every_node(stmt, [])
            assert positions_in(module, text, inner[-3:], layout) == code_with_positions(module, inner[-3:])[1]


def test_a_node_object_that_occurs_twice_is_placed_where_it_first_occurs():
    name = cst.Name("shared")
    module = cst.Module(body=[
        cst.SimpleStatementLine([cst.Expr(name)]),
        cst.SimpleStatementLine([cst.Expr(cst.Name("other"))]),
        cst.SimpleStatementLine([cst.Expr(name)]),
    ])
    text = module.code
    expected = {id(name): (1, 0, 1, 6)}
    assert code_with_positions(module, [name])[1] == expected
    assert positions_in(module, text, [name], layout_of(module, text)) == expected


def test_a_comment_target_is_placed_at_the_token_after_it_even_when_it_ends_last():
    text = "x = (1  # c\n     + 2)\n"
    module = cst.parse_module(text)
    comment = module.body[0].body[0].value.operator.whitespace_before.first_line.comment
    expected = code_with_positions(module, [comment])[1]
    assert expected == {id(comment): (2, 5, 2, 5)}  # (where `+` starts)
    layout = layout_of(module, text)
    assert positions_in(module, text, [comment], layout) == expected
    assert positions_in(module, text, [comment], layout, {id(comment): module.body[0]}) == expected
