"""Code generation for libcst trees, a quarter cheaper than ``Module.code``.

libcst's ``CodegenState.record_syntactic_position`` is a generator-based context manager
that does nothing; it is entered for most nodes, and creating the generator costs about a
quarter of the whole code generation.  This state returns one shared no-op context
manager instead; the output is the same (checked over the test corpus and fixtures).
"""

from __future__ import annotations

from typing import Any, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState

__all__ = ["FastCodegenState", "code_of"]


class _NoOp:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


_NO_OP = _NoOp()


class FastCodegenState(CodegenState):
    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> _NoOp:
        return _NO_OP


def code_of(module: cst.Module) -> str:
    """``module.code``, faster."""
    state = FastCodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(state)
    return "".join(state.tokens)
