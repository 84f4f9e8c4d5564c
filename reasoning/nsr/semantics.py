"""NSR semantics: the meaning of every symbol as a program, deduction over symbol trees, and learning meanings.

A :class:`Semantics` gives each symbol id an optional :class:`~reasoning.nsr.dsl.Function`: the program
that computes a node's value from its children's values (left to right), so its arity is the number
of children the symbol takes. :func:`deduce` runs these programs bottom-up over a
:class:`~reasoning.nsr.symbol_tree.SymbolTree`; :func:`collect_examples` turns abduced trees (every
node value set) into ``(children values) -> value`` examples per symbol; :func:`induce_semantics`
finds a program per symbol from them with :func:`~reasoning.nsr.program_search.induce`.

The library and ``call_k``. A program may call the programs of other symbols (``mul`` calling ``add``)
through ``call_k``. The interpreter lays out one library per evaluation and every ``call_k`` in it,
in library functions too, means entry ``k`` of that one library. So a :class:`Semantics` stores a
single shared ``library`` next to the per-symbol functions, with two invariants:

* every ``call_k`` of every symbol's function and of every library entry means ``library[k]``;
* entry ``k`` only calls entries ``< k`` (no cycles), which :class:`Semantics` checks.

Library entries are frozen *copies* of functions, not references to symbols: when a symbol's program
is re-induced, a program that called its old version keeps calling the copy, so indices never go
stale. :meth:`Semantics.from_functions` (used by :func:`induce_semantics`) rebuilds the library from
what the symbols' functions actually call, depth first, merging identical entries and renumbering
``call_k``, so entries nobody calls any more are dropped.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reasoning.nsr.dsl import (
    CALL,
    DEFAULT_ARG_NAMES,
    INT,
    MAX_ARITY,
    OP_MASK,
    OPERAND_SHIFT,
    SEQ,
    Function,
    PrimitiveSet,
    check_program,
    constant_function,
    format_program,
)
from reasoning.nsr.program_eval import EvalLimits, Machine, Value, evaluate, storage_size, token_count, value_type
from reasoning.nsr.program_search import SearchResult, induce
from reasoning.nsr.symbol_tree import SymbolTree

Example = tuple[tuple[Value, ...], Value]
"""One example of a symbol's meaning: (the values of a node's children, left to right; the node's value)."""

_FunctionKey = tuple[bytes, tuple[int, ...], int]


def as_value(value: Any) -> Value:
    """``value`` in canonical form: a natural number as ``int``, a sequence of token ids as ``tuple[int, ...]``.

    Raises:
        ValueError: anything else (see :func:`~reasoning.nsr.program_eval.value_type`).
    """
    if value_type(value) == INT:
        return int(value)
    return tuple(int(token) for token in np.asarray(value).tolist())


def _kind(value: Value | None) -> int | None:
    """The type (``INT``/``SEQ``) of a canonical value, None for None or anything non-canonical."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return INT
    if isinstance(value, tuple):
        return SEQ
    return None


def _key(function: Function) -> _FunctionKey:
    """What makes two functions interchangeable: program, argument types and result type (not the name)."""
    return np.ascontiguousarray(function.program, dtype=np.int64).tobytes(), function.arg_types, function.return_type


def _called(function: Function) -> list[int]:
    """The library indices ``function`` calls, sorted, each once."""
    codes = np.asarray(function.program, dtype=np.int64)
    return sorted(set((codes[(codes & OP_MASK) == CALL] >> OPERAND_SHIFT).tolist()))


def _renumber_calls(function: Function, mapping: Mapping[int, int]) -> Function:
    """``function`` with every ``call_k`` replaced by ``call_{mapping[k]}``."""
    codes = np.array(function.program, dtype=np.int64)
    operand_mask = (1 << OPERAND_SHIFT) - 1
    for i, code in enumerate(codes.tolist()):
        if code & OP_MASK == CALL:
            codes[i] = (code & operand_mask) | mapping[code >> OPERAND_SHIFT] << OPERAND_SHIFT
    codes.flags.writeable = False
    return replace(function, program=codes)


class _LibraryBuilder:
    """A shared library under construction: imports functions together with the entries they call."""

    def __init__(self) -> None:
        self.functions: list[Function] = []
        self._index: dict[_FunctionKey, int] = {}

    def relink(self, function: Function, source: Sequence[Function]) -> Function:
        """``function``, whose ``call_k`` mean ``source[k]``, rewritten to call this library (importing callees)."""
        return _renumber_calls(function, {k: self.include(source[k], source) for k in _called(function)})

    def include(self, function: Function, source: Sequence[Function]) -> int:
        """The index of ``function`` (calls into ``source``) in this library, appending it after its callees."""
        relinked = self.relink(function, source)
        key = _key(relinked)
        if key not in self._index:
            self._index[key] = len(self.functions)
            self.functions.append(relinked)
        return self._index[key]


def _check_function(function: Function, library: Sequence[Function], what: str) -> None:
    """ValueError unless ``function`` type-checks against ``library`` with its declared types."""
    try:
        return_type = check_program(function.program, function.arg_types, library)
    except ValueError as error:
        raise ValueError(
            f"{what} does not fit the library of {len(library)} entries ({error}); build the Semantics with "
            f"Semantics.from_functions, which links call_k to the library the functions were written against"
        ) from error
    if return_type != function.return_type:
        raise ValueError(
            f"{what} declares return type {function.return_type} but its program returns {return_type}; "
            f"create functions with reasoning.nsr.dsl.define"
        )


def _run_rows(
    function: Function, library: Sequence[Function], rows: Sequence[Sequence[Value | None]], limits: EvalLimits
) -> list[Value | None]:
    """``function`` applied to each argument row; None for a failed evaluation or a row of the wrong arity/types.

    Args:
        function: a checked function whose ``call_k`` mean ``library[k]``.
        library: the library.
        rows: (n_rows, arity) canonical values (see :func:`as_value`).
        limits: bounds of each evaluation.

    Returns:
        (n_rows,) results: ints, token tuples or None.
    """
    results: list[Value | None] = [None] * len(rows)
    valid = [
        (i, row) for i, row in enumerate(rows)
        if len(row) == len(function.arg_types)
        and all(_kind(value) == kind for value, kind in zip(row, function.arg_types, strict=True))
        and all(len(value) <= limits.max_len for value in row if isinstance(value, tuple))
    ]  # fmt: skip
    if not valid:
        return results
    stored = storage_size(value for _, row in valid for value in row)
    codes = np.asarray(function.program, dtype=np.int64)
    # One machine for all rows: the inputs stay stored below the scratch space the evaluations reuse.
    machine = Machine(library, token_count(codes), codes.size, limits, stored)
    machine.set_program(codes)
    arg_row = np.zeros(MAX_ARITY, np.int64)
    for i, row in valid:
        for j, (value, kind) in enumerate(zip(row, function.arg_types, strict=True)):
            arg_row[j] = machine.store(value, kind)
        result = evaluate(
            machine.codes,
            machine.ends,
            machine.lib_starts,
            machine.arena,
            machine.state,
            machine.program_start,
            arg_row,
        )
        results[i] = machine.load(result, function.return_type)
    return results


@dataclass(frozen=True, eq=False)
class Semantics:
    """The meaning of every symbol: an optional program per symbol id, and the library their ``call_k`` index.

    Build one with :meth:`from_functions` (or :func:`induce_semantics`); the constructor expects the
    invariants of the module docstring and checks them. Two semantics are equal when their programs,
    types and libraries are (function names are ignored).

    Attributes:
        functions: (n_symbols,) the function of each symbol id, None while the symbol has no meaning;
            a function's arity is the number of children the symbol's nodes take.
        library: the shared library: ``call_k`` in any function or entry means ``library[k]``, and
            entry ``k`` only calls entries before it.
    """

    functions: tuple[Function | None, ...]
    library: tuple[Function, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "functions", tuple(self.functions))
        object.__setattr__(self, "library", tuple(self.library))
        for k, entry in enumerate(self.library):
            _check_function(entry, self.library[:k], f"library entry {k} ({entry.name})")
        for symbol, function in enumerate(self.functions):
            if function is not None:
                _check_function(function, self.library, f"the function of symbol {symbol} ({function.name})")

    def _identity(self) -> tuple[tuple[_FunctionKey | None, ...], tuple[_FunctionKey, ...]]:
        return (
            tuple(None if function is None else _key(function) for function in self.functions),
            tuple(_key(entry) for entry in self.library),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Semantics) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    @classmethod
    def from_functions(
        cls,
        functions: Mapping[int, Function | None] | Sequence[Function | None],
        n_symbols: int | None = None,
        library: Sequence[Function] = (),
    ) -> Semantics:
        """Semantics from functions written against ``library`` (e.g. with :func:`~reasoning.nsr.dsl.define`).

        Args:
            functions: the function of each symbol id, as a sequence (n_symbols,) or a mapping
                ``symbol -> function``; missing symbols and None have no meaning.
            n_symbols: the number of symbol ids; the sequence's length or the largest key + 1 when None.
            library: what ``call_k`` means in ``functions`` (and in the entries themselves): ``library[k]``.

        Returns:
            the semantics, with a library holding only the entries the functions call (renumbered).

        Raises:
            ValueError: a symbol id outside ``[0, n_symbols)``, or a function or entry that does not
                type-check against ``library`` (an entry may only call entries before it).
        """
        by_symbol = dict(functions) if isinstance(functions, Mapping) else dict(enumerate(functions))
        size = max(by_symbol, default=-1) + 1 if n_symbols is None else n_symbols
        outside = sorted(symbol for symbol in by_symbol if not 0 <= symbol < size)
        if outside:
            raise ValueError(f"symbols {outside} are outside [0, {size}); pass n_symbols larger than every symbol id")
        library = tuple(library)
        for k, entry in enumerate(library):
            _check_function(entry, library[:k], f"library entry {k} ({entry.name})")
        builder = _LibraryBuilder()
        linked: list[Function | None] = [None] * size
        for symbol, function in sorted(by_symbol.items()):
            if function is not None:
                _check_function(function, library, f"the function of symbol {symbol} ({function.name})")
                linked[symbol] = builder.relink(function, library)
        return cls(tuple(linked), tuple(builder.functions))

    @property
    def n_symbols(self) -> int:
        """The number of symbol ids."""
        return len(self.functions)

    def function(self, symbol: int) -> Function | None:
        """The function of ``symbol``, None when it has no meaning yet; ValueError for an unknown id."""
        if not 0 <= symbol < self.n_symbols:
            raise ValueError(
                f"symbol {symbol} is outside [0, {self.n_symbols}); the semantics has "
                f"{self.n_symbols} symbols (give induce_semantics n_symbols)"
            )
        return self.functions[symbol]

    def arity(self, symbol: int) -> int | None:
        """The number of children ``symbol`` takes, None when it has no function."""
        function = self.function(symbol)
        return None if function is None else len(function.arg_types)

    def apply_many(
        self, symbol: int, arg_rows: Sequence[Sequence[Value | None]], limits: EvalLimits | None = None
    ) -> list[Value | None]:
        """The value of a node of ``symbol`` for each row of children values.

        Args:
            symbol: a symbol id.
            arg_rows: (n_rows, n_children) canonical values (ints, token tuples; see :func:`as_value`).
            limits: evaluation bounds; :class:`~reasoning.nsr.program_eval.EvalLimits` defaults when None.

        Returns:
            (n_rows,) values; None where the symbol has no function, the row has the wrong number or
            types of values (None included), or the evaluation fails.
        """
        function = self.function(symbol)
        if function is None:
            return [None] * len(arg_rows)
        return _run_rows(function, self.library, arg_rows, limits or EvalLimits())

    def apply(self, symbol: int, args: Sequence[Value | None], limits: EvalLimits | None = None) -> Value | None:
        """The value of a node of ``symbol`` whose children have values ``args`` (n_children,); see ``apply_many``."""
        return self.apply_many(symbol, [args], limits)[0]


def post_order(tree: SymbolTree) -> list[int]:
    """The nodes of ``tree`` with every node after its children, shape (n,)."""
    order: list[int] = []
    pending = [(tree.root, False)]
    while pending:
        node, expanded = pending.pop()
        if expanded:
            order.append(node)
        else:
            pending.append((node, True))
            pending.extend((child, False) for child in reversed(tree.children(node)))
    return order


def deduce(tree: SymbolTree, semantics: Semantics, limits: EvalLimits | None = None) -> tuple[Value | None, ...]:
    """The value of every node, bottom-up: the symbol's program applied to its children's values, in order.

    ``tree.values`` is ignored. A node's value is None when its symbol has no program, the program's
    arity differs from the node's number of children, a child's value is None, or the evaluation fails.

    Args:
        tree: a tree with n nodes whose symbols are in ``[0, semantics.n_symbols)``.
        semantics: the meaning of every symbol.
        limits: evaluation bounds; defaults when None.

    Returns:
        (n,) values: ints, token tuples or None.

    Raises:
        ValueError: a symbol outside ``[0, semantics.n_symbols)``.
    """
    values: list[Value | None] = [None] * len(tree)
    for node in post_order(tree):
        args = tuple(values[child] for child in tree.children(node))
        symbol = tree.symbols[node]
        semantics.function(symbol)  # raises on an unknown symbol id even below a missing value
        values[node] = None if any(arg is None for arg in args) else semantics.apply(symbol, args, limits)
    return tuple(values)


def collect_examples(trees: Sequence[SymbolTree]) -> dict[int, list[Example]]:
    """The examples of every symbol in abduced trees: one per node, (children values) -> node value.

    Args:
        trees: trees whose ``values`` are all set (e.g. ``AbductionResult.tree`` of a found abduction).

    Returns:
        ``symbol -> examples`` with symbols in increasing order, each symbol's examples in the order
        first met, duplicates dropped. Conflicting examples (same arguments, different values) are
        all kept: :func:`induce_semantics` then reports the symbol as inconsistent.

    Raises:
        ValueError: a tree with a missing value, or a value that is neither a natural number nor a
            sequence of token ids.
    """
    return {symbol: list(counts) for symbol, counts in count_examples(trees).items()}


def count_examples(trees: Sequence[SymbolTree]) -> dict[int, Counter[Example]]:
    """As :func:`collect_examples`, with how many nodes of ``trees`` give each example (its support)."""
    found: dict[int, Counter[Example]] = {}
    for t, tree in enumerate(trees):
        missing = list(range(len(tree))) if tree.values is None else [i for i, v in enumerate(tree.values) if v is None]
        if missing:
            raise ValueError(
                f"tree {t} has no value at nodes {missing}; collect examples only from abduced trees "
                f"with every value set (AbductionResult.found)"
            )
        values = [as_value(value) for value in tree.values or ()]
        for node, symbol in enumerate(tree.symbols):
            example = (tuple(values[child] for child in tree.children(node)), values[node])
            found.setdefault(symbol, Counter())[example] += 1
    return {symbol: found[symbol] for symbol in sorted(found)}


@dataclass(frozen=True)
class SymbolReport:
    """How :func:`induce_semantics` treated one symbol.

    Attributes:
        symbol: the symbol id.
        program: the chosen program as ``s3(x, y) = ...`` (symbols as ``s<id>``, tokens as ids), None without one.
        n_consistent: how many of the kept examples the program matches.
        n_examples: how many examples were kept (those of the symbol's most common signature).
        n_dropped: examples dropped for another arity or other types.
        hit_budget: the last search for this symbol stopped on its time or size budget (False when none ran).
        seconds: wall time spent on the symbol (checks and searches).
        source: ``"kept"`` (the previous program), ``"search"``, ``"library search"`` (found with other
            symbols' programs callable), ``"constant"`` (a value too large for the search) or ``"none"``.
        deferred: the symbol needed a search but ``total_budget_s`` was spent before any started; its
            program is the previous one and its examples were not looked at (search it next time).
    """

    symbol: int
    program: str | None
    n_consistent: int
    n_examples: int
    n_dropped: int
    hit_budget: bool
    seconds: float
    source: str
    deferred: bool = False

    def __str__(self) -> str:
        budget = ", deferred: round budget spent" if self.deferred else ", hit budget" if self.hit_budget else ""
        dropped = f", {self.n_dropped} dropped" if self.n_dropped else ""
        return (
            f"{self.program or f's{self.symbol} = ?'}  [{self.n_consistent}/{self.n_examples} consistent"
            f"{dropped}{budget}, {self.source}, {self.seconds:.2f} s]"
        )


@dataclass
class _Choice:
    """The best function found so far for one symbol during :func:`induce_semantics`."""

    function: Function | None  # calls into the shared library being built
    n_consistent: int
    source: str
    hit_budget: bool = False
    seconds: float = 0.0


def _main_signature(examples: Sequence[Example]) -> tuple[list[Example], int]:
    """(the examples of the most common (argument types, result type), how many others were dropped).

    Ties go to fewer arguments, then to the smaller types; signatures with more than ``MAX_ARITY``
    arguments never win (no program takes them).
    """
    canonical = [(tuple(as_value(arg) for arg in args), as_value(value)) for args, value in examples]

    def signature(example: Example) -> tuple[tuple[int, ...], int]:
        return tuple(value_type(arg) for arg in example[0]), value_type(example[1])

    counts = Counter(signature(example) for example in canonical if len(example[0]) <= MAX_ARITY)
    if not counts:
        return [], len(canonical)
    best = min(counts, key=lambda s: (-counts[s], len(s[0]), s))
    kept = [example for example in canonical if len(example[0]) <= MAX_ARITY and signature(example) == best]
    return kept, len(canonical) - len(kept)


def _count_consistent(
    function: Function, library: Sequence[Function], examples: Sequence[Example], limits: EvalLimits
) -> int:
    """How many ``examples`` ``function`` (calling into ``library``) reproduces."""
    outputs = _run_rows(function, library, [args for args, _ in examples], limits)
    return sum(output == value for output, (_, value) in zip(outputs, examples, strict=True))


def induce_semantics(
    examples_by_symbol: Mapping[int, Sequence[Example]],
    primitives: PrimitiveSet,
    max_size: int,
    time_budget_s: float,
    previous: Semantics | None = None,
    *,
    n_symbols: int | None = None,
    limits: EvalLimits | None = None,
    single_helpers: bool = False,
    total_budget_s: float | None = None,
    library_rounds: bool = True,
) -> tuple[Semantics, dict[int, SymbolReport]]:
    """A program for every symbol from its examples, calling other symbols' programs where that is needed.

    Per symbol: the examples of its most common signature (arity and types) are kept, the others
    dropped and counted. The previous program is kept, without search, when it matches every kept
    example (a symbol without examples keeps its previous program). Otherwise, in increasing symbol
    order, :func:`~reasoning.nsr.program_search.induce` searches without a library (programs reading
    every argument first, then, when that search was exhausted without a fit, any program); then, as long as
    some symbol became consistent, every still-inconsistent symbol is searched again with a library
    of the consistent programs of the *other* symbols that take arguments (constants are cheap for
    the search to build and would add a leaf choice to every hole), when that set changed since its
    last search. A symbol without arguments whose examples all have one value that the search cannot
    build within ``max_size`` gets that value as a constant. A symbol ends with the program matching
    the most examples (earlier on ties: previous, then plain search, then library searches), even if
    it is not consistent.

    Deterministic, except where a search is cut by ``time_budget_s``.

    Args:
        examples_by_symbol: ``symbol -> [(children values (k,), node value)]``, e.g. from :func:`collect_examples`.
        primitives: the primitives the programs may use.
        max_size: the largest program (nodes) a search tries.
        time_budget_s: the wall-clock budget of each search (one symbol may be searched several times).
        previous: the semantics of the previous round, whose programs are kept where still consistent.
        n_symbols: the number of symbol ids; the largest symbol id + 1 (at least ``previous.n_symbols``) when None.
        limits: evaluation bounds of the searches (their defaults when None); checks of previous
            programs use :class:`~reasoning.nsr.program_eval.EvalLimits` defaults in that case.
        single_helpers: search with each helper alone before searching with all of them (a library
            of one is a much smaller space: ``mul`` is found beside ``add`` in seconds, beside
            ``add``, ``sub`` and ``div`` not within a minute). These searches share twice
            ``time_budget_s`` (at least a twentieth of it each).
        total_budget_s: the wall-clock budget of the whole call (None: unbounded); once spent, no
            further search starts; symbols left unsearched report ``deferred`` (and ``hit_budget``).

    Returns:
        (the semantics, ``symbol -> SymbolReport`` for every symbol id).

    Raises:
        ValueError: a symbol id outside ``[0, n_symbols)``, invalid values, or primitives that cannot
            build a symbol's result type.
    """
    size = max(max(examples_by_symbol, default=-1) + 1, previous.n_symbols if previous else 0)
    size = size if n_symbols is None else n_symbols
    outside = sorted(symbol for symbol in examples_by_symbol if not 0 <= symbol < size)
    if outside:
        raise ValueError(f"examples of symbols {outside} are outside [0, {size}); pass a larger n_symbols")
    check_limits = limits or EvalLimits()
    shared = _LibraryBuilder()
    examples: dict[int, list[Example]] = {}
    dropped: dict[int, int] = {}
    choices: dict[int, _Choice] = {}
    for symbol in range(size):
        started = time.perf_counter()
        examples[symbol], dropped[symbol] = _main_signature(examples_by_symbol.get(symbol, ()))
        old = previous.functions[symbol] if previous is not None and symbol < previous.n_symbols else None
        choice = _Choice(None, 0, "none")
        if old is not None and previous is not None:
            matched = _count_consistent(old, previous.library, examples[symbol], check_limits)
            choice = _Choice(shared.relink(old, previous.library), matched, "kept")
        choice.seconds = time.perf_counter() - started
        choices[symbol] = choice

    def consistent(symbol: int) -> bool:
        choice = choices[symbol]
        return choice.function is not None and choice.n_consistent == len(examples[symbol])

    def helpers_of(symbol: int) -> list[Function]:
        """The consistent functions of the other symbols that take arguments, in symbol order."""
        return [
            choice.function for other, choice in choices.items()
            if other != symbol and consistent(other) and choice.function is not None and choice.function.arg_types
        ]  # fmt: skip

    deadline = math.inf if total_budget_s is None else time.perf_counter() + total_budget_s
    searched: set[int] = set()

    def search(symbol: int, helpers: Sequence[Function], budget_s: float = time_budget_s) -> bool:
        """Search ``symbol`` with ``helpers`` (which call into ``shared``) callable; whether it is now consistent."""
        if time.perf_counter() >= deadline:
            choices[symbol].hit_budget = not consistent(symbol)
            return consistent(symbol)
        searched.add(symbol)
        search_library = _LibraryBuilder()
        for helper in helpers:
            search_library.include(helper, shared.functions)
        result: SearchResult = induce(
            examples[symbol], primitives, max_size, budget_s, library=search_library.functions, limits=limits,
            every_argument=True,
        )
        if result.n_consistent < len(examples[symbol]) and not result.hit_budget:
            # A program ignoring an argument, only if none reading them all fits (a search cut by its
            # budget would only be cut again on the larger space).
            lazy = induce(examples[symbol], primitives, max_size, budget_s, library=search_library.functions,
                          limits=limits)
            if lazy.n_consistent > result.n_consistent or result.program is None:
                lazy = replace(lazy, seconds=lazy.seconds + result.seconds)
                result = lazy
        choice = choices[symbol]
        choice.seconds += result.seconds
        choice.hit_budget = result.hit_budget
        values = {value for args, value in examples[symbol] if not args}
        if result.n_consistent < len(examples[symbol]) and len(values) == 1 and not examples[symbol][0][0]:
            # A constant too large for the search (9 = nine incs of zero) is written down directly.
            choice.function = constant_function(values.pop(), f"s{symbol}")
            choice.n_consistent, choice.source = len(examples[symbol]), "constant"
            return True
        if result.program is not None and (choice.function is None or result.n_consistent > choice.n_consistent):
            choice.function = shared.relink(result.as_function(f"s{symbol}"), search_library.functions)
            choice.n_consistent = result.n_consistent
            choice.source = "library search" if helpers else "search"
        return consistent(symbol)

    pending = [symbol for symbol in range(size) if examples[symbol] and not consistent(symbol)]
    tried: dict[int, list[_FunctionKey]] = {}
    for symbol in pending:
        search(symbol, ())
        tried[symbol] = []
    # Library rounds: repeated while a round makes a symbol consistent (pow needs mul, which needs add).
    progress = library_rounds
    while progress:
        progress = False
        for symbol in pending:
            helpers = helpers_of(symbol)
            keys = [_key(helper) for helper in helpers]
            if not consistent(symbol) and keys != tried[symbol]:
                tried[symbol] = keys
                # The helpers alone share two budgets (a twentieth each at least): dozens of consistent
                # meanings would otherwise cost dozens of full budgets for a symbol no program fits.
                alone_s = max(2 * time_budget_s / len(helpers), time_budget_s / 20)
                if single_helpers and len(helpers) > 1 and any(search(symbol, [helper], alone_s)
                                                               for helper in helpers):
                    progress = True
                    continue
                progress |= search(symbol, helpers)

    semantics = Semantics.from_functions([choices[s].function for s in range(size)], size, shared.functions)
    report = {
        symbol: SymbolReport(
            symbol=symbol,
            program=format_function(semantics, symbol) if choice.function is not None else None,
            n_consistent=choice.n_consistent,
            n_examples=len(examples[symbol]),
            n_dropped=dropped[symbol],
            hit_budget=choice.hit_budget,
            seconds=choice.seconds,
            source=choice.source,
            deferred=symbol in pending and symbol not in searched,
        )
        for symbol, choice in choices.items()
    }
    return semantics, report


def _names(names: Sequence[str] | None, count: int, prefix: str, what: str) -> list[str]:
    """``names`` as a list of ``count`` names, ``<prefix><id>`` when None."""
    if names is None:
        return [f"{prefix}{i}" for i in range(count)]
    if len(names) < count:
        raise ValueError(f"{what} has {len(names)} names but {count} are needed; give one name per id")
    return list(names)


def _library_labels(semantics: Semantics, symbol_names: Sequence[str]) -> list[str]:
    """The name of each library entry: the first symbol whose function it is, else ``lib<k>``."""
    owners: dict[_FunctionKey, str] = {}
    for symbol, function in enumerate(semantics.functions):
        if function is not None:
            owners.setdefault(_key(function), symbol_names[symbol])
    return [owners.get(_key(entry), f"lib{k}") for k, entry in enumerate(semantics.library)]


def _definition(name: str, function: Function, library_labels: Sequence[str], token_names: Sequence[str] | None) -> str:
    """``name(x, y) = body``."""
    params = ", ".join(DEFAULT_ARG_NAMES[: len(function.arg_types)])
    body = format_program(function.program, DEFAULT_ARG_NAMES, token_names, library_labels)
    return f"{name}({params}) = {body}"


def format_function(
    semantics: Semantics,
    symbol: int,
    symbol_names: Sequence[str] | None = None,
    token_names: Sequence[str] | None = None,
) -> str:
    """One symbol's meaning as ``twice(x) = concat(x, x)``; ``name = ?`` when it has none.

    Args:
        semantics: the semantics.
        symbol: the symbol id.
        symbol_names: (n_symbols,) names for symbols and ``call_<name>``; ``s<id>`` when None.
        token_names: names of token ids for ``const_<name>``; ids when None.
    """
    names = _names(symbol_names, semantics.n_symbols, "s", "symbol_names")
    function = semantics.function(symbol)
    if function is None:
        return f"{names[symbol]} = ?"
    return _definition(names[symbol], function, _library_labels(semantics, names), token_names)


def format_semantics(
    semantics: Semantics, symbol_names: Sequence[str] | None = None, token_names: Sequence[str] | None = None
) -> str:
    """Every symbol's meaning, one line each (:func:`format_function`), then library entries no symbol owns.

    Args:
        semantics: the semantics.
        symbol_names: (n_symbols,) symbol names; ``s<id>`` when None.
        token_names: names of token ids; ids when None.

    Returns:
        the lines joined by newlines, e.g. ``twice(x) = concat(x, x)``.
    """
    names = _names(symbol_names, semantics.n_symbols, "s", "symbol_names")
    labels = _library_labels(semantics, names)
    lines = [format_function(semantics, symbol, names, token_names) for symbol in range(semantics.n_symbols)]
    lines.extend(
        _definition(label, entry, labels, token_names)
        for k, (label, entry) in enumerate(zip(labels, semantics.library, strict=True))
        if label == f"lib{k}"
    )
    return "\n".join(lines)
