"""Turn the routing tree into specialised Python source (private to lanner.routing).

Why generate code: the router runs on every request, and a tree walk in Python pays for loops,
attribute lookups and a params dict per candidate. The generated finder is straight-line code
with the templates' literals, converters and resources bound as module globals.

Shape of the generated code (see ``CompiledRouter.finder_src``):

* The path is split once: ``path = uri.lstrip('/').split('/')``; ``n = len(path)``; segment
  ``d`` is ``s<d>``.
* At each node the candidates are tried in precedence order: literal children, then complex
  segments (insertion order), then the variable segment. A candidate that fails deeper down
  falls through to the next one (backtracking) simply by not returning.
* Captured values live in locals named ``p_<field>``; the params dict is built only in the
  ``return`` of the route that matched, so abandoned branches leave nothing behind.
* Literal children: up to ``INLINE_LITERALS`` are compared inline; more are looked up in a dict
  that maps the segment text to a generated function for that child. Cost per level is
  therefore O(1) in the number of sibling routes, which keeps ``find()`` flat from 10 to 1,000+
  routes.
* Complex segments (``{name}.{ext}``) are split by a generated function that scans the
  literals right to left with ``str.rfind``: linear time, never regex backtracking, and the
  same leftmost-greedy result a ``(.+)`` regex would give.

Complexity: O(depth) segment operations per request when no backtracking is needed; each node
is visited at most once per request.
"""

from __future__ import annotations

from collections.abc import Callable
import itertools
from typing import Any

from lanner.routing._template import COMPLEX, LITERAL, MULTI, SIMPLE, Field
from lanner.routing._tree import CompiledRouterNode

# PERF: an inline `==` chain beats dict.get + a function call for a handful of siblings; above
# this many the dict keeps the cost constant.
INLINE_LITERALS = 8

# Python rejects source nested more than 100 blocks deep; beyond this indentation the compiler
# moves the subtree into its own function.
_MAX_INDENT = 40


class _Compiler:
    def __init__(self, tag: str) -> None:
        self.namespace: dict[str, Any] = {}
        self.functions: list[list[str]] = []
        self.tables: list[str] = []
        self.names: list[str] = []
        self._ids = itertools.count()
        self._tag = tag

    def name(self, prefix: str) -> str:
        """A global name unique to this compilation (see ``compile_finder``)."""
        name = f'{prefix}{next(self._ids)}{self._tag}'
        self.names.append(name)
        return name

    def bind(self, prefix: str, obj: Any) -> str:
        name = self.name(prefix)
        self.namespace[name] = obj
        return name

    # ------------------------------------------------------------------ results

    def route_return(self, node: CompiledRouterNode, captured: list[str]) -> str:
        resource = self.bind('R', node.resource)
        method_map = self.bind('M', node.method_map)
        template = self.bind('T', node.uri_template)
        params = ', '.join(f'{name!r}: p_{name}' for name in captured)
        return f'return ({resource}, {method_map}, {{{params}}}, {template})'

    # ------------------------------------------------------------------ blocks

    def block(
        self, node: CompiledRouterNode, depth: int, captured: list[str], out: list[str], indent: int
    ) -> None:
        """Code run once ``node`` matched segment ``depth - 1``: return or try its children."""
        pad = '    ' * indent
        has_route = node.uri_template is not None
        if has_route:
            out.append(f'{pad}if n == {depth}:')
            out.append(f'{pad}    {self.route_return(node, captured)}')
        if not node.children:
            return
        if not has_route:
            out.append(f'{pad}if n > {depth}:')
            indent += 1
            pad += '    '
        out.append(f'{pad}s{depth} = path[{depth}]')
        self.children(node.children, depth, captured, out, indent)

    def child(
        self, node: CompiledRouterNode, depth: int, captured: list[str], out: list[str], indent: int
    ) -> None:
        """Inline ``node``'s block, or call it as a function once the source gets too deep."""
        if indent < _MAX_INDENT:
            self.block(node, depth, captured, out, indent)
            return
        pad = '    ' * indent
        function = self.function(node, depth, captured)
        args = ''.join(f', p_{name}' for name in captured)
        out.append(f'{pad}r = {function}(path, n{args})')
        out.append(f'{pad}if r is not None:')
        out.append(f'{pad}    return r')

    def function(self, node: CompiledRouterNode, depth: int, captured: list[str]) -> str:
        name = self.name('_node')
        params = ''.join(f', p_{field}' for field in captured)
        lines = [f'def {name}(path, n{params}):  # {node.raw_segment!r}']
        self.block(node, depth, captured, lines, 1)
        lines.append('    return None')
        self.functions.append(lines)
        return name

    def children(
        self,
        nodes: list[CompiledRouterNode],
        depth: int,
        captured: list[str],
        out: list[str],
        indent: int,
    ) -> None:
        """Try ``nodes`` (siblings matching segment ``depth``) in precedence order."""
        pad = '    ' * indent
        seg = f's{depth}'
        literals = [c for c in nodes if c.segment.kind == LITERAL]
        complexes = [c for c in nodes if c.segment.kind == COMPLEX]
        variables = [c for c in nodes if c.segment.kind in (SIMPLE, MULTI)]
        next_depth = depth + 1

        if len(literals) <= INLINE_LITERALS and indent < _MAX_INDENT:
            for i, node in enumerate(literals):
                keyword = 'if' if i == 0 else 'elif'
                out.append(f'{pad}{keyword} {seg} == {node.raw_segment!r}:')
                self.block(node, next_depth, captured, out, indent + 1)
        elif literals:
            entries = ', '.join(
                f'{node.raw_segment!r}: {self.function(node, next_depth, captured)}'
                for node in literals
            )
            table = self.name('L')
            self.tables.append(f'{table} = {{{entries}}}')
            args = ''.join(f', p_{name}' for name in captured)
            out.append(f'{pad}f = {table}.get({seg})')
            out.append(f'{pad}if f is not None:')
            out.append(f'{pad}    r = f(path, n{args})')
            out.append(f'{pad}    if r is not None:')
            out.append(f'{pad}        return r')

        for node in complexes:
            names = [field.name for field in node.segment.fields]
            splitter = self.complex_splitter(node)
            out.append(f'{pad}m = {splitter}({seg})  # {node.raw_segment!r}')
            out.append(f'{pad}if m is not None:')
            out.append(f'{pad}    {", ".join("p_" + n for n in names)}, = m')
            self.child(node, next_depth, captured + names, out, indent + 1)

        for node in variables:
            field = node.segment.fields[0]
            local = f'p_{field.name}'
            if node.segment.kind == MULTI:
                convert = self.bind('C', field.converter.convert)
                out.append(f'{pad}{local} = {convert}(path[{depth}:])  # {node.raw_segment!r}')
                out.append(f'{pad}if {local} is not None:')
                out.append(f'{pad}    {self.route_return(node, [*captured, field.name])}')
            elif field.converter is not None:
                convert = self.bind('C', field.converter.convert)
                out.append(f'{pad}{local} = {convert}({seg})  # {node.raw_segment!r}')
                out.append(f'{pad}if {local} is not None:')
                self.child(node, next_depth, [*captured, field.name], out, indent + 1)
            else:
                out.append(f'{pad}{local} = {seg}')
                self.child(node, next_depth, [*captured, field.name], out, indent)

    # ------------------------------------------------------------------ complex segments

    def complex_splitter(self, node: CompiledRouterNode) -> str:
        """Generate ``_split<k>(s) -> tuple | None`` for a complex segment.

        Literals L0..Lk surround fields F1..Fk, each field at least one character. Scanning from
        the right, each Li (i = k-1 .. 1) is placed as far right as possible while leaving at
        least one character for the field after it; that yields the leftmost-greedy split a
        ``^L0(.+)L1(.+)...Lk$`` regex would produce, in linear time.
        """
        literals = node.segment.literals
        fields: tuple[Field, ...] = node.segment.fields
        k = len(fields)
        head, tail = literals[0], literals[-1]
        name = self.name('_split')
        lines = [f'def {name}(s):  # {node.raw_segment!r}']
        if head:
            lines.append(f'    if not s.startswith({head!r}):')
            lines.append('        return None')
        if tail:
            lines.append(f'    if not s.endswith({tail!r}):')
            lines.append('        return None')
        lines.append(f'    e{k} = len(s) - {len(tail)}')
        lines.append(f'    if e{k} <= {len(head)}:')
        lines.append('        return None')
        for i in range(k - 1, 0, -1):
            lines.append(f'    e{i} = s.rfind({literals[i]!r}, 0, e{i + 1} - 1)')
            lines.append(f'    if e{i} <= {len(head)}:')
            lines.append('        return None')
        starts = [str(len(head))] + [f'e{i} + {len(literals[i])}' for i in range(1, k)]
        for i, field in enumerate(fields, start=1):
            lines.append(f'    v{i} = s[{starts[i - 1]}:e{i}]')
            if field.converter is not None:
                convert = self.bind('C', field.converter.convert)
                lines.append(f'    v{i} = {convert}(v{i})  # {field.name!r}')
                lines.append(f'    if v{i} is None:')
                lines.append('        return None')
        values = ''.join(f'v{i}, ' for i in range(1, k + 1))
        lines.append(f'    return ({values})')
        self.functions.append(lines)
        return name


def compile_finder(
    roots: list[CompiledRouterNode],
    literal_routes: dict[str, tuple[object, dict[str, Any], str]],
    namespace: dict[str, Any],
    tag: str,
) -> tuple[Callable[..., Any], str, list[str]]:
    """Generate the finder for the tree rooted at ``roots`` and execute it in ``namespace``.

    Every global the generated code uses carries ``tag`` in its name, so a new compilation can
    be added to a namespace that an older finder is still running in without disturbing it.

    Args:
        roots: The tree.
        literal_routes: ``{template: (resource, method_map, template)}`` for fully literal
            templates, consulted first (a fully literal match always wins).
        namespace: Globals for the generated code; filled in place.
        tag: Suffix that makes this compilation's global names unique.

    Returns:
        The ``find(uri, req=None)`` function, its source, and the global names it added.
    """
    compiler = _Compiler(tag)
    literal_table = compiler.bind('S', literal_routes)
    body: list[str] = []
    if roots:
        body.append('    s0 = path[0]')
        compiler.children(roots, 0, [], body, 1)
    lines = [
        *itertools.chain.from_iterable([*fn, ''] for fn in compiler.functions),
        *compiler.tables,
        '',
        'def find(uri, req=None):',
        # PERF: literal routes (often most of an API) cost one dict lookup and no split.
        '    # A fully literal template equal to the path always wins: one dict lookup.',
        f'    hit = {literal_table}.get(uri)',
        '    if hit is not None:',
        '        return (hit[0], hit[1], {}, hit[2])',
        "    path = uri.lstrip('/').split('/')",
        '    n = len(path)',
        *body,
        '    return None',
        '',
    ]
    source = '\n'.join(lines)
    code = compile(source, '<lanner.routing finder>', 'exec')
    namespace.update(compiler.namespace)
    exec(code, namespace)
    finder: Callable[..., Any] = namespace.pop('find')
    return finder, source, compiler.names
