"""The router's decision tree and the rules for inserting templates into it (private).

Invariants (checked when a template is inserted, so matching never has to resolve ambiguity):

* Each node's children contain any number of literal segments (distinct texts), any number of
  complex segments (distinct texts, and no two with the same literal skeleton), and at most one
  variable segment (simple or multi-segment).
* A multi-segment node (``{rest:path}``) is always a leaf.
* A node carries a resource iff some template ends at it; re-adding the same template text
  replaces that resource.
"""

from __future__ import annotations

from typing import Any

from lanner.routing._template import (
    COMPLEX,
    LITERAL,
    MULTI,
    SIMPLE,
    Segment,
    UnacceptableRouteError,
)


class CompiledRouterNode:
    """One segment of the routing tree.

    Attributes:
        raw_segment: The segment text from the template, e.g. ``'users'`` or ``'{id:int}'``.
        children: Child nodes, in insertion order.
        resource: The resource of the template that ends here, or ``None``.
        method_map: That route's method map, or ``None``.
        uri_template: That route's template, or ``None``.
        name: That route's ``name=`` (for reverse routing), or ``None``.
    """

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.raw_segment = segment.raw
        self.children: list[CompiledRouterNode] = []
        self.resource: object | None = None
        self.method_map: dict[str, Any] | None = None
        self.uri_template: str | None = None
        self.name: str | None = None

    @property
    def is_var(self) -> bool:
        """Whether the segment contains at least one field."""
        return self.segment.kind != LITERAL

    @property
    def is_complex(self) -> bool:
        """Whether the segment mixes fields with literal text or holds several fields."""
        return self.segment.kind == COMPLEX

    @property
    def var_name(self) -> str | None:
        """The field name of a segment that is exactly one field, else ``None``."""
        if self.segment.kind in (SIMPLE, MULTI):
            return self.segment.fields[0].name
        return None

    @property
    def num_fields(self) -> int:
        """How many fields the segment holds."""
        return len(self.segment.fields)

    @property
    def var_converter_map(self) -> list[tuple[str, str | None, str | None]]:
        """``(field name, converter name, argument string)`` for each field of the segment."""
        return [(f.name, f.converter_name, f.argstr) for f in self.segment.fields]

    def __repr__(self) -> str:
        return f'CompiledRouterNode({self.raw_segment!r}, uri_template={self.uri_template!r})'


def _conflict(
    template: str, new: Segment, existing: CompiledRouterNode, why: str
) -> UnacceptableRouteError:
    other = _any_template_below(existing)
    return UnacceptableRouteError(
        f'Cannot add the URI template {template!r}: its segment {new.raw!r} conflicts with '
        f'{existing.raw_segment!r} of the already added template {other!r} ({why}). Use the '
        'same field spelling in both templates, or make the segments differ by literal text.'
    )


def _any_template_below(node: CompiledRouterNode) -> str | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.uri_template is not None:
            return current.uri_template
        stack.extend(current.children)
    return None


def _check_sibling_conflicts(
    template: str, segment: Segment, siblings: list[CompiledRouterNode]
) -> None:
    if segment.kind in (SIMPLE, MULTI):
        for node in siblings:
            if node.segment.kind in (SIMPLE, MULTI):
                raise _conflict(
                    template,
                    segment,
                    node,
                    'only one variable segment is possible at the same position, otherwise '
                    'the router could not tell which field a value belongs to',
                )
    elif segment.kind == COMPLEX:
        for node in siblings:
            if node.segment.kind == COMPLEX and node.segment.shape == segment.shape:
                raise _conflict(
                    template,
                    segment,
                    node,
                    'both segments have the same literal text around their fields, so they '
                    'would match exactly the same paths',
                )


def insert(
    roots: list[CompiledRouterNode],
    template: str,
    segments: tuple[Segment, ...],
    resource: object,
    method_map: dict[str, Any],
    name: str | None,
) -> CompiledRouterNode | None:
    """Insert a parsed template; return the node whose route was replaced, if any.

    Every check runs before the tree is touched, so a rejected template leaves the router as
    it was.
    """
    # Pass 1: walk the existing path and validate the first new segment against its siblings.
    level = roots
    existing_path = 0
    for segment in segments:
        match = next((node for node in level if node.raw_segment == segment.raw), None)
        if match is None:
            _check_sibling_conflicts(template, segment, level)
            break
        existing_path += 1
        level = match.children

    # Pass 2: create what is missing and attach the route.
    level = roots
    node: CompiledRouterNode | None = None
    for index, segment in enumerate(segments):
        if index < existing_path:
            node = next(n for n in level if n.raw_segment == segment.raw)
        else:
            node = CompiledRouterNode(segment)
            level.append(node)
        level = node.children
    assert node is not None

    previous = None
    if node.uri_template is not None:
        previous = CompiledRouterNode(node.segment)
        previous.resource = node.resource
        previous.method_map = node.method_map
        previous.uri_template = node.uri_template
        previous.name = node.name
    node.resource = resource
    node.method_map = method_map
    node.uri_template = template
    node.name = name
    return previous


def walk(roots: list[CompiledRouterNode]) -> list[CompiledRouterNode]:
    """All nodes that carry a route, depth first in insertion order."""
    found: list[CompiledRouterNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node.uri_template is not None:
            found.append(node)
        stack.extend(reversed(node.children))
    return found
