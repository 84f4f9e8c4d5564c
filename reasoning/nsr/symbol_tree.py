"""The Grounded Symbol System (GSS) of one input, as used by the Neural-Symbolic Recursive Machine.

NSR (Li et al., ICLR 2024) explains an input by a tree: every input segment (token) is perceived as a
symbol, a dependency tree over the segments says which symbol takes which others as arguments, and
every node computes a value from its children's values. :class:`SymbolTree` holds these per-token
annotations and is immutable; abduction proposes edited trees through the ``with_*`` methods.

The helpers on plain head arrays (:func:`check_heads`, :func:`subtree_indices`,
:func:`non_projective_node`) are shared with the arc-standard transition system.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

SymbolNames = Sequence[str] | Mapping[int, str]

MAX_LABEL_CHARS = 28  # longer values are cut in drawings so the boxes stay readable


def _depths(heads: Sequence[int]) -> list[int]:
    """Depth of every token (the root has depth 0) for in-range heads, shape (n,).

    Raises:
        ValueError: the heads form a cycle.
    """
    depth = [-1] * len(heads)
    for start in range(len(heads)):
        path: list[int] = []
        on_path: set[int] = set()
        node = start
        while node != -1 and depth[node] < 0:
            if node in on_path:
                cycle = path[path.index(node):]
                raise ValueError(f"heads form a cycle through tokens {cycle}; a tree must be acyclic")
            path.append(node)
            on_path.add(node)
            node = heads[node]
        base = -1 if node == -1 else depth[node]
        for offset, visited in enumerate(reversed(path), start=1):
            depth[visited] = base + offset
    return depth


def check_heads(heads: Sequence[int]) -> tuple[int, ...]:
    """Validate a head array and return it as a tuple of ints.

    Args:
        heads: the head of every token, shape (n,): a token index, or -1 for the root.

    Returns:
        The heads as ``tuple[int, ...]``, shape (n,).

    Raises:
        ValueError: no tokens, a head outside [-1, n), a token heading itself, not exactly one root,
            or a cycle.
    """
    heads = tuple(int(head) for head in heads)
    n = len(heads)
    if n == 0:
        raise ValueError("a tree needs at least one token, got an empty head array")
    for index, head in enumerate(heads):
        if not -1 <= head < n:
            raise ValueError(f"head of token {index} is {head}, outside [-1, {n}) for {n} tokens")
        if head == index:
            raise ValueError(f"token {index} is its own head; a tree must be acyclic")
    roots = [index for index, head in enumerate(heads) if head == -1]
    if len(roots) != 1:
        raise ValueError(f"a tree needs exactly one root (head -1), got {len(roots)}: tokens {roots}")
    _depths(heads)
    return heads


def _children_lists(heads: Sequence[int]) -> list[list[int]]:
    """The dependents of every token in increasing index order, shape (n, *)."""
    children: list[list[int]] = [[] for _ in heads]
    for index, head in enumerate(heads):
        if head >= 0:
            children[head].append(index)
    return children


def subtree_indices(heads: Sequence[int], index: int) -> tuple[int, ...]:
    """The sorted indices of ``index`` and all its descendants in the (valid) tree ``heads`` (n,)."""
    children = _children_lists(heads)
    found, pending = [], [index]
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(children[node])
    return tuple(sorted(found))


def non_projective_node(heads: Sequence[int]) -> int | None:
    """The first token whose subtree is not a contiguous span of the input, or None if the tree is projective.

    A tree is projective exactly when every subtree covers a contiguous span; arc-standard parsing
    can only build projective trees.

    Args:
        heads: a valid head array, shape (n,).
    """
    for index in range(len(heads)):
        span = subtree_indices(heads, index)
        if span[-1] - span[0] + 1 != len(span):
            return index
    return None


def _format_value(value: Any) -> str:
    """A value as text: token sequences space-separated, anything else through ``str``."""
    if isinstance(value, (tuple, list)):
        return " ".join(str(item) for item in value) if value else "()"
    return str(value)


@dataclass(frozen=True)
class SymbolTree:
    """One input's Grounded Symbol System: perceived symbols, a dependency tree and node values.

    Sequences given to the constructor are stored as tuples (tokens as ``str``, symbols and heads as ``int``).

    Attributes:
        tokens: the input segments, shape (n,), e.g. ``("jump", "twice")``.
        symbols: the symbol id each segment is perceived as, shape (n,).
        heads: the index of every token's head, shape (n,); -1 for the single root.
        values: the value each node computes, shape (n,) (ints, token tuples, ...); None when not known.
    """

    tokens: tuple[str, ...]
    symbols: tuple[int, ...]
    heads: tuple[int, ...]
    values: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(str(token) for token in self.tokens))
        object.__setattr__(self, "symbols", tuple(int(symbol) for symbol in self.symbols))
        if self.values is not None:
            object.__setattr__(self, "values", tuple(self.values))
        n = len(self.tokens)
        for name in ("symbols", "heads", "values"):
            annotation = getattr(self, name)
            if annotation is not None and len(annotation) != n:
                raise ValueError(f"SymbolTree.{name} has {len(annotation)} entries but there are {n} tokens; "
                                 f"give one entry per token")
        object.__setattr__(self, "heads", check_heads(self.heads))

    def __len__(self) -> int:
        """The number of tokens n."""
        return len(self.tokens)

    @property
    def root(self) -> int:
        """The index of the root token (the one with head -1)."""
        return self.heads.index(-1)

    def children(self, index: int) -> tuple[int, ...]:
        """The dependents of token ``index``, left to right, shape (k,)."""
        return tuple(child for child, head in enumerate(self.heads) if head == index)

    def subtree(self, index: int) -> tuple[int, ...]:
        """The sorted indices of token ``index`` and all its descendants, shape (k,)."""
        return subtree_indices(self.heads, index)

    def is_projective(self) -> bool:
        """True when every subtree covers a contiguous span of the input (no crossing arcs)."""
        return non_projective_node(self.heads) is None

    def with_values(self, values: Sequence[Any] | None) -> SymbolTree:
        """The same tree with node values ``values`` (n,) (None to drop them)."""
        return replace(self, values=values)

    def with_symbols(self, symbols: Sequence[int], values: Sequence[Any] | None = None) -> SymbolTree:
        """A tree with symbols ``symbols`` (n,) and the same heads.

        The old values described the old symbols, so the new tree has ``values`` (n,), None unless given.
        """
        return replace(self, symbols=symbols, values=values)

    def with_heads(self, heads: Sequence[int], values: Sequence[Any] | None = None) -> SymbolTree:
        """A tree with heads ``heads`` (n,) and the same symbols; values as in :meth:`with_symbols`.

        Raises:
            ValueError: ``heads`` is not a valid tree.
        """
        return replace(self, heads=heads, values=values)

    def _label(self, index: int, symbol_names: SymbolNames | None, separator: str,
               max_value_chars: int | None = None) -> str:
        """``token [symbol]`` plus ``= value`` when values are known, parts joined by ``separator``;
        values longer than ``max_value_chars`` are cut and end in ``...``."""
        symbol = self.symbols[index]
        label = f"{self.tokens[index]}{separator}[{symbol_names[symbol] if symbol_names is not None else symbol}]"
        if self.values is None:
            return label
        value = _format_value(self.values[index])
        if max_value_chars is not None and len(value) > max_value_chars:
            value = value[: max_value_chars - 3] + "..."
        return f"{label}{separator}= {value}"

    def to_text(self, symbol_names: SymbolNames | None = None) -> str:
        """An indented rendering, one node per line in pre-order (children left to right).

        Each line is ``token [symbol] = value`` indented two spaces per depth level; ``= value`` is left
        out when the tree has no values, and ``symbol_names`` (indexed by symbol id) replaces the ids.

        Returns:
            The lines joined by newlines (no trailing newline).
        """
        children = _children_lists(self.heads)
        lines: list[str] = []
        pending = [(self.root, 0)]
        while pending:
            index, depth = pending.pop()
            lines.append("  " * depth + self._label(index, symbol_names, " "))
            pending.extend((child, depth + 1) for child in reversed(children[index]))
        return "\n".join(lines)

    def draw(self, path: str | Path, symbol_names: SymbolNames | None = None, title: str | None = None) -> Path:
        """Draw the tree to a PNG at ``path``, written atomically (no partial file on failure).

        Tokens keep their input order left to right and sit one row per depth level, root on top;
        arrows go from each head down to its dependents. Each box reads token, [symbol], = value.

        Returns:
            ``path`` as a :class:`~pathlib.Path`.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from envs.run_files import atomic_path

        depths = _depths(self.heads)
        levels = max(depths) + 1
        figure = Figure(figsize=(max(3.0, 1.4 * len(self)), max(2.0, 1.2 * levels + (0.5 if title else 0.2))))
        FigureCanvasAgg(figure)
        axis = figure.add_subplot()
        box_style = {"boxstyle": "round,pad=0.3", "facecolor": "#e8f0fa", "edgecolor": "#3a6ea5"}
        boxes = [
            axis.text(index, -depths[index], self._label(index, symbol_names, "\n", MAX_LABEL_CHARS), ha="center",
                      va="center", fontsize=9, zorder=2, bbox=box_style)
            for index in range(len(self))
        ]
        for child, head in enumerate(self.heads):
            if head >= 0:
                # Anchored to the boxes themselves, so arrows run from the bottom of the head's box to
                # the top of the child's whatever the label sizes.
                axis.annotate("", xy=(0.5, 1.0), xycoords=boxes[child], xytext=(0.5, 0.0), textcoords=boxes[head],
                              arrowprops={"arrowstyle": "-|>", "color": "0.35", "shrinkA": 4, "shrinkB": 4,
                                          "mutation_scale": 12},
                              zorder=1)
        axis.set_xlim(-0.7, len(self) - 0.3)
        axis.set_ylim(-(levels - 1) - 0.6, 0.6)
        axis.axis("off")
        if title:
            axis.set_title(title, fontsize=10)
        with atomic_path(path) as temporary:
            figure.savefig(temporary, format="png", dpi=100)
        return Path(path)
