"""NSR learning by deduction-abduction: perception, parser and semantics improved from abduced trees.

For a training pair (input tokens, target) the learner *deduces* (perceive each token as a symbol,
parse the symbols, evaluate each node's program bottom-up) over a few candidate parses: the
parser's greedy one and samples from it, and for short inputs every projective tree. When no
candidate yields the target it *abduces* (:func:`~reasoning.nsr.abduction.abduce`) the cheapest
nearby tree that does, over the candidates, and keeps that explanation of the example. Perception
and parser are trained on the kept trees' symbols and arcs; programs are re-induced from the kept
trees' node values after every batch.

A node's meaning is looked up by its symbol *and its number of children* (a "semantic key"), so the
model is not told any symbol's arity: "left" with one child (``walk left``) and without (``walk
around left``) may mean different things, and which trees make sense is learned. Three rules keep
the search honest while meanings are being found:

* a meaning whose examples contradict each other (no program of the size budget fits them all) is
  *retracted*: its program and every kept tree that used it are dropped, and further semantic
  changes on it cost more (``conflict_penalty`` each time), so the examples look for other trees;
* a leaf whose meaning is unknown below a node whose meaning is unknown (``opposite`` and ``left``
  in the first ``walk opposite left``) gets a guessed constant: the piece of the targets shared by
  every training input holding its symbol (none when no piece is), at the cost of a semantic change;
* after the short inputs are explained, each meaning is tried away (:meth:`Learner.simplify`): when
  every input that used it is explained again by the other meanings plus new ones, and the programs
  are then smaller in all (fewer nodes, and fewer constants *borrowed* from other symbols'
  meanings), the simpler account is kept (``walk around left`` read as ``around(walk, left)``
  rather than as ``left(around(walk))`` with a ``left`` baked into ``around``);
* the parser reads a symbol it has never seen inside a longer input as the most common symbol it has
  seen whose meanings take the same numbers of children (its learned syntactic category), so a
  primitive seen only alone (``jump`` in SCAN's add-jump split) is parsed like the others.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import torch

from reasoning.nsr.abduction import abduce
from reasoning.nsr.deep_stack import call_with_stack
from reasoning.nsr.dsl import (
    CONST,
    MAX_ARITY,
    OP_MASK,
    OPERAND_SHIFT,
    Function,
    PrimitiveSet,
    constant_function,
    encode_node,
)
from reasoning.nsr.lexical import pool_lexical, pooled_primitives, with_lexical_meanings
from reasoning.nsr.parser import TransitionParser
from reasoning.nsr.perception import TokenPerception, fit_perception
from reasoning.nsr.program_eval import EvalLimits, Value
from reasoning.nsr.semantics import Semantics, SymbolReport, count_examples, induce_semantics, post_order
from reasoning.nsr.symbol_tree import SymbolTree
from reasoning.nsr.tree_enumeration import arity_trees, projective_trees
from reasoning.nsr.tree_grafting import grow_tree
from reasoning.nsr.value_domain import ValueDomain

T = TypeVar("T")
KEY_STRIDE = MAX_ARITY + 1
# Log-probability given to a semantic key whose arity does not match the node (finite, so that
# abduction's cost arithmetic stays finite, and large, so that such a change is never preferred).
_IMPOSSIBLE = -30.0
# Guessed constants are pieces of targets of at most this many tokens.
_MAX_GUESS_TOKENS = 2
# Parser samples tried when the greedy parse of a long input has no defined value.
_FALLBACK_SAMPLES = 32
# Nodes of an arity tree that may take a number of children their symbol has no meaning for.
_FREE_NODES = 2
# A key whose search keeps failing waits at most 2 ** this many inductions before the next search.
_MAX_BACKOFF_LEVEL = 6

Item = tuple[int, tuple[str, ...], Sequence[int], Value]  # (example index, tokens, token ids, target)


@dataclass(frozen=True)
class LearnerConfig:
    """The knobs of deduction-abduction learning.

    Attributes:
        parse_samples: parses sampled from the parser per example, besides the greedy one.
        enumerate_up_to: inputs of at most this many tokens try every projective tree (at most 6).
        arity_trees_up_to: longer inputs up to this many tokens also try the trees in which every
            symbol but ``_FREE_NODES`` has a number of children it has a meaning for (at most
            ``arity_tree_limit`` of them, :func:`~reasoning.nsr.tree_enumeration.arity_trees`); 0 never.
        arity_tree_limit: the most such trees tried per input.
        abduce_up_to: inputs longer than this are explained by deduction only (their trees train the
            parser; their semantic changes would mostly be the parser's mistakes).
        max_changes: the most symbol/meaning changes abduction may make in one tree.
        max_expansions: abduction's search budget per candidate parse.
        parser_weight: how much the parser's log-probability of a tree counts against abduction cost.
        guess_cost: the cost of one guessed leaf constant (a piece found in the targets of every
            input holding its symbol).
        revise_cost: the extra cost of a semantic change on a key that has a program (revising a
            meaning), over one on a key without (a new meaning).
        new_arity_cost: the extra cost of a new meaning with children for a symbol that has a meaning
            with another number of children (a symbol's syntactic category is learned, not told,
            but a second one must be worth it: ``reverse`` over a chain of letters, not one meaning
            per length).
        conflict_penalty: added to the cost of semantic changes on a key each time it is retracted.
        max_program_size: program induction's size budget (nodes).
        induce_seconds: program induction's time budget per semantic key and search.
        induce_round_seconds: the time budget of one round of program induction, all keys
            together (0: none); keys left unsearched wait like keys whose search failed.
        induce_min_examples: a key with children is searched once it has this many distinct
            examples (a search from one or two examples of a rarely seen symbol is slow and
            mostly finds a wrong program).
        keep_majority: when > 0, examples are voted (per children values, the value most nodes give)
            and a program fitting this share of the nodes using its key is kept, the trees it
            contradicts dropped, when no program fits every example (noisy abductions outvoted); 0:
            any contradiction retracts.
        single_helpers: program induction also tries libraries of one other meaning each
            (:func:`~reasoning.nsr.semantics.induce_semantics`).
        train_steps: optimiser steps of perception and parser after each batch.
        lr: learning rate of perception and parser.
        simplify_up_to: after the curriculum stages up to this input length, try dropping each
            meaning for a simpler account (:meth:`Learner.simplify`); 0 never.
        borrow_cost: what a borrowed constant adds to :meth:`Learner.description_length`.
        predict_max_steps, predict_max_depth, predict_max_len: evaluation bounds (node visits,
            nested calls, tokens of a value) when predicting; training uses
            :class:`~reasoning.nsr.program_eval.EvalLimits` defaults (values of up to 512 tokens;
            a PCFG SET productivity target has 736).
        symbol_changes: whether abduction may change what perception saw (off: each token keeps the
            symbol perception gives it, which for token input is its own).
        letters_head_letters: with lexical symbols, only trees in which every child of a lexical
            symbol is lexical explain an example or read an input (:meth:`Learner.breaks_lexical_reading`).
        beam_width: when neither the greedy parse nor the parser's samples of an input longer than
            ``enumerate_up_to`` have a value, a beam search of this width for a parse in which every
            subtree has one and no node has more children than its symbol's programs take
            (:meth:`TransitionParser.beam_parse`); 0: none.
        beam_widenings: how many times that search is retried, each time 4 times wider, while it
            finds no parse (a parser unsure of long inputs may rank the right step far down).
        parser_counts_dependents: the parser also sees how many dependents the top 2 stack items have
            (``TransitionParser(count_dependents=True)``).
        parser_grafts: each parser training step also learns from this many longer trees grown by
            grafting subtrees of the sampled explained trees into their argument slots
            (:func:`~reasoning.nsr.tree_grafting.grow_tree`, :meth:`Learner.graft_slots`); 0 none.
        graft_max_tokens: the longest tree grafting may grow.
        spell_in_order: with lexical symbols, only trees whose all-lexical subtrees write their tokens
            in input order explain an example (:meth:`Learner.breaks_lexical_reading`).
    """

    parse_samples: int = 6
    enumerate_up_to: int = 5
    arity_trees_up_to: int = 0
    arity_tree_limit: int = 300
    abduce_up_to: int = 5
    max_changes: int = 2
    max_expansions: int = 300
    parser_weight: float = 0.1
    guess_cost: float = 8.0
    revise_cost: float = 8.0
    new_arity_cost: float = 0.0
    conflict_penalty: float = 16.0
    max_program_size: int = 8
    induce_seconds: float = 0.5
    induce_round_seconds: float = 0.0
    induce_min_examples: int = 1
    keep_majority: float = 0.0
    single_helpers: bool = False
    train_steps: int = 10
    lr: float = 1e-2
    simplify_up_to: int = 3
    borrow_cost: float = 8.0
    predict_max_steps: int = 200_000
    predict_max_depth: int = 1_000
    predict_max_len: int = 4_096
    symbol_changes: bool = False
    spell_in_order: bool = True
    letters_head_letters: bool = True
    beam_width: int = 8
    beam_widenings: int = 2
    parser_counts_dependents: bool = False
    parser_grafts: int = 0
    graft_max_tokens: int = 80


def _arities_of(keys: Iterable[int]) -> dict[int, frozenset[int]]:
    """``symbol -> the numbers of children it has a meaning for``, from semantic ``keys``."""
    arities: dict[int, frozenset[int]] = {}
    for key in keys:
        symbol, n_children = divmod(key, KEY_STRIDE)
        arities[symbol] = arities.get(symbol, frozenset()) | {n_children}
    return arities


def semantic_key(symbol: int, n_children: int) -> int:
    """The index of a (symbol, number of children) pair among a semantics' functions."""
    return symbol * KEY_STRIDE + n_children


class Learner:
    """Perception, parser and semantics of one NSR, and the deduction-abduction loop that trains them.

    Args:
        n_tokens: input token ids are in ``[0, n_tokens)``.
        n_symbols: abstract symbols perception chooses from.
        domain: numbers or token sequences (what the root computes).
        config: learning knobs.
        seed: seed of initialisation and sampling.
    """

    def __init__(self, n_tokens: int, n_symbols: int, domain: ValueDomain, config: LearnerConfig, seed: int) -> None:
        if n_symbols < 1 or n_tokens < 1:
            raise ValueError(f"an NSR needs n_tokens >= 1 and n_symbols >= 1, got {n_tokens} and {n_symbols}")
        torch.manual_seed(seed)
        self.n_symbols = n_symbols
        self.domain = domain
        self.config = config
        self.perception = TokenPerception(n_tokens, n_symbols)
        self._break_symmetry(seed)
        self.parser = TransitionParser(n_symbols, count_dependents=config.parser_counts_dependents)
        self.semantics = Semantics.from_functions({}, n_symbols=n_symbols * KEY_STRIDE)
        self.lexical: dict[int, int] = {}  # lexical symbol -> its own output token (reasoning.nsr.lexical)
        self.pooled = Semantics.from_functions({}, n_symbols=KEY_STRIDE)  # n_children -> shared lexical meaning
        self.penalties = np.zeros(n_symbols * KEY_STRIDE)
        self.explained: dict[int, tuple[SymbolTree, tuple[int, ...], Value]] = {}
        self.retractions = 0
        self.parse_classes: dict[int, int] = {}  # symbol -> the symbol the parser reads it as
        self.analogies: dict[int, Function] = {}  # key without a program -> a meaning borrowed by analogy
        self.analogy_lenders: dict[int, int] = {}  # borrowing symbol -> the symbol it borrowed from
        self._induced_from: dict[int, set] = {}  # semantic key -> the examples of its last induction
        self._inductions = 0  # calls of induce()
        self._backoff: dict[int, tuple[int, int]] = {}  # key -> (induction it may be searched again at, failures)
        self._values: dict[tuple[int, tuple], Value | None] = {}  # (key, children values) -> value
        self._limits = EvalLimits()  # evaluation bounds of deduction; wider while predicting
        self._guesses: dict[int, tuple[Value, float]] = {}  # symbol -> (leaf constant, its cost)
        self._optimizer = torch.optim.Adam(self.parser.parameters(), lr=config.lr)
        self._generator = torch.Generator().manual_seed(seed)
        self._rng = random.Random(seed)

    def _break_symmetry(self, seed: int) -> None:
        # With all-zero logits every token would start as symbol 0 and nothing could tell them apart;
        # a random start gives each token its own symbol (while there are enough), which abduction may
        # then merge or move.
        order = torch.randperm(self.n_symbols, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            table = self.perception.logits.weight
            for token in range(table.shape[0]):
                table[token, order[token % self.n_symbols]] = 6.0

    def set_lexical(self, lexical: dict[int, int]) -> None:
        """Make ``symbol -> own output token id`` lexical symbols: their meanings are induced pooled."""
        outside = sorted(symbol for symbol in lexical if not 0 <= symbol < self.n_symbols)
        if outside:
            raise ValueError(f"lexical symbols {outside} are outside [0, {self.n_symbols}); give symbol ids of this "
                             f"learner (perceive the lexical tokens to find theirs)")
        self.lexical = dict(lexical)
        self._update_parse_classes()

    # ------------------------------------------------------------------ deduction

    def set_semantics(self, semantics: Semantics) -> None:
        """Use ``semantics`` from now on (clears the memo of node values and updates the parse classes)."""
        self.semantics = semantics
        self._values.clear()
        self._update_parse_classes()

    def _value(self, key: int, args: tuple) -> Value | None:
        memo = (key, args)
        if memo not in self._values:
            self._values[memo] = self.semantics.apply(key, args, self._limits)
        return self._values[memo]

    def deduce(self, keyed: SymbolTree) -> tuple[Value | None, ...]:
        """The value of every node (n,) of a keyed tree, bottom-up, None where undefined (memoized)."""
        values: list[Value | None] = [None] * len(keyed)
        for node in post_order(keyed):
            args = tuple(values[child] for child in keyed.children(node))
            values[node] = None if any(arg is None for arg in args) else self._value(keyed.symbols[node], args)
        return tuple(values)

    def perceive(self, token_ids: Sequence[int]) -> tuple[tuple[int, ...], np.ndarray]:
        """The most likely symbol of each token (n,) and the log-probabilities (n, n_symbols)."""
        with torch.no_grad():
            log_probs = self.perception.log_probs(torch.tensor(list(token_ids), dtype=torch.long))
        return tuple(log_probs.argmax(dim=-1).tolist()), log_probs.numpy()

    def keyed(self, tree: SymbolTree) -> SymbolTree | None:
        """``tree`` with each symbol replaced by its semantic key; None when a node has too many children."""
        counts = [len(tree.children(i)) for i in range(len(tree))]
        if max(counts) > MAX_ARITY:
            return None
        return tree.with_symbols([semantic_key(s, c) for s, c in zip(tree.symbols, counts, strict=True)],
                                 values=tree.values)

    def _keyed_log_probs(self, tree: SymbolTree, log_probs: np.ndarray) -> np.ndarray:
        """(n, n_keys) log-probabilities of each node's key for abduction; only its own key's without symbol_changes."""
        if not self.config.symbol_changes:
            keyed = np.full((len(tree), self.n_symbols * KEY_STRIDE), -math.inf)
            keyed[np.arange(len(tree)), list(tree.symbols)] = 0.0
            return keyed
        keyed = np.full((len(tree), self.n_symbols * KEY_STRIDE), _IMPOSSIBLE)
        for i in range(len(tree)):
            keyed[i, len(tree.children(i))::KEY_STRIDE] = log_probs[i]
        return keyed

    # ------------------------------------------------------------------ syntax

    def _update_parse_classes(self) -> None:
        in_context = Counter(symbol for tree, _, _ in self.explained.values() if len(tree) > 1
                             for symbol in tree.symbols)
        arities = _arities_of(key for key, function in enumerate(self.semantics.functions) if function is not None)
        classes: dict[int, int] = {}
        for symbol, category in arities.items():
            if symbol in in_context:
                continue
            alike = [other for other in in_context if arities.get(other) == category]
            if alike:
                classes[symbol] = max(alike, key=lambda other: (in_context[other], -other))
        # Lexical symbols share their meanings, so they are one syntactic category: the parser reads
        # every letter as the first one (520 letters, each seen in few places, would each be learned apart).
        if self.lexical:
            first = min(self.lexical)
            classes.update({symbol: first for symbol in self.lexical})
        self.parse_classes = classes

    def parse_symbols(self, symbols: Sequence[int]) -> tuple[int, ...]:
        """The symbols (n,) the parser reads for ``symbols`` (n,): each unseen-in-context one as its class."""
        return tuple(self.parse_classes.get(symbol, symbol) for symbol in symbols)

    def parse_batch(self, perceived: Sequence[Sequence[int]], generator: torch.Generator | None = None
                    ) -> list[tuple[int, ...]]:
        """Greedy (or sampled, with ``generator``) heads (n_b,) of B perceived symbol sequences."""
        return self.parser.parse_batch([self.parse_symbols(symbols) for symbols in perceived], generator=generator)

    def _tree_log_probs(self, symbols: tuple[int, ...], candidates: Sequence[tuple[int, ...]]) -> list[float]:
        read = self.parse_symbols(symbols)
        with torch.no_grad():
            return self.parser.tree_log_probs([(read, heads) for heads in candidates]).tolist()

    # ------------------------------------------------------------------ prediction

    def read(self, tokens: tuple[str, ...], token_ids: Sequence[int]) -> SymbolTree | None:
        """The tree the model reads an input as, with every node's value; None when no tree has a value.

        The greedy parse when its root value is defined; otherwise the likeliest tree whose value is
        (among every projective tree for short inputs, else among parser samples; then the same with
        the meanings borrowed by analogy; then, for long inputs, a beam search keeping only parses
        whose subtrees have values): a tree whose programs cannot be applied to its children is no
        reading of the input. Programs run with the prediction bounds, as in
        :meth:`predict`.
        """
        symbols = self.perceive(token_ids)[0]
        greedy = self.parse_batch([symbols])[0]
        return self._with_wide_limits(lambda: self._reading(tokens, symbols, greedy))

    def _reading(self, tokens: tuple[str, ...], symbols: tuple[int, ...], greedy: tuple[int, ...]
                 ) -> SymbolTree | None:
        keyed = self.keyed(SymbolTree(tokens, symbols, greedy))
        if keyed is not None and self._is_reading(keyed, values := self.deduce(keyed)):
            return SymbolTree(tokens, symbols, greedy, values)
        if len(symbols) <= self.config.enumerate_up_to:
            candidates = list(projective_trees(len(symbols), MAX_ARITY))
        else:
            generator = torch.Generator().manual_seed(len(symbols))  # the same answer every time
            candidates = sorted(set(self.parse_batch([symbols] * _FALLBACK_SAMPLES, generator=generator)))
        defined = self._defined_trees(tokens, symbols, candidates)
        if not defined and self.analogies:  # meanings borrowed by analogy, before a wider search
            with self._borrowed_meanings():
                borrowed = self._reading(tokens, symbols, self.parse_batch([symbols])[0])
            if borrowed is not None:
                return borrowed
        if not defined and len(symbols) > self.config.enumerate_up_to and self.config.beam_width:
            defined = self._defined_trees(tokens, symbols, self._beam_trees(symbols))
        if not defined:
            return None
        scores = self._tree_log_probs(symbols, [tree.heads for tree in defined])
        return defined[int(np.argmax(scores))]

    def _beam_trees(self, symbols: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Heads (n,) of the likeliest parses of ``symbols`` (n,) in which every subtree has a value (beam search).

        A hypothesis is dropped as soon as a node has more children than any program of its symbol
        takes, or (with ``letters_head_letters``) a lexical node has a child that is not; the search
        is retried ``beam_widenings`` times, 4 times wider each, while it finds none.
        """
        most_children = self._most_children()

        def complete(values: tuple[Value | None, ...], heads: tuple[int, ...], node: int
                     ) -> tuple[Value | None, ...] | None:
            children = [child for child, head in enumerate(heads) if head == node]
            head = heads[node]
            if len(children) > MAX_ARITY or (
                    head >= 0 and heads.count(head) > most_children.get(symbols[head], -1)):
                return None
            if any(self._letter_over_nonletter(symbols[node], symbols[child]) for child in children):
                return None
            value = self._value(semantic_key(symbols[node], len(children)), tuple(values[c] for c in children))
            return None if value is None else (*values[:node], value, *values[node + 1:])

        start: tuple[Value | None, ...] = (None,) * len(symbols)
        read, width = self.parse_symbols(symbols), self.config.beam_width
        for _ in range(self.config.beam_widenings + 1):
            found = self.parser.beam_parse(read, width, start, complete)
            if found:
                break
            width *= 4
        return [heads for heads, _ in found]

    def _most_children(self) -> dict[int, int]:
        """``symbol -> the most children any of its programs (learned or borrowed) takes``."""
        keys = [key for key, function in enumerate(self.semantics.functions) if function is not None]
        return {symbol: max(arities) for symbol, arities in _arities_of([*keys, *self.analogies]).items()}

    @contextmanager
    def _borrowed_meanings(self) -> Iterator[None]:
        """The analogies in force as meanings, each borrower parsed as its lender (used alike, read alike)."""
        learned, memo, classes, analogies = self.semantics, self._values, self.parse_classes, self.analogies
        functions = list(learned.functions)
        for key, function in analogies.items():
            functions[key] = function
        self.semantics, self._values, self.analogies = Semantics(tuple(functions), learned.library), {}, {}
        self.parse_classes = classes | {borrower: classes.get(lender, lender)
                                        for borrower, lender in self.analogy_lenders.items()}
        try:
            yield
        finally:
            self.semantics, self._values, self.parse_classes, self.analogies = learned, memo, classes, analogies

    def _defined_trees(self, tokens: tuple[str, ...], symbols: tuple[int, ...],
                       candidates: Sequence[tuple[int, ...]]) -> list[SymbolTree]:
        defined = []
        for heads in candidates:
            keyed = self.keyed(SymbolTree(tokens, symbols, heads))
            if keyed is not None and self._is_reading(keyed, values := self.deduce(keyed)):
                defined.append(SymbolTree(tokens, symbols, heads, values))
        return defined

    def _is_reading(self, keyed: SymbolTree, values: Sequence[Value | None]) -> bool:
        return values[keyed.root] is not None and not self.breaks_lexical_reading(keyed, values)

    def find_analogies(self) -> dict[int, Function]:
        """Meanings for keys without a program, borrowed from a symbol used the same way; sets ``analogies``.

        A symbol whose meaning alone is one token (``left/0() = const_I_TURN_LEFT``) and whose meaning
        with k children uses no other token (``left/1(x) = concat(const_I_TURN_LEFT, x)``) lends that
        form to every symbol that alone means another token, has no meaning with k children, and
        occurs in the kept trees only where the lender also occurs (the same parent meanings and child
        positions): ``right`` in ``walk opposite right`` and ``walk around right`` is used like
        ``left``, so ``right/1(x) = concat(const_I_TURN_RIGHT, x)``. Used only when no tree of an
        input has a value with the learned meanings, and then the parser reads the borrower as the
        lender (``analogy_lenders``): ``walk right`` is parsed like ``walk left``.
        """
        own: dict[int, int] = {}  # symbol -> the token its meaning alone writes
        for key, function in enumerate(self.semantics.functions):
            codes = None if function is None or function.arg_types else function.program
            if codes is not None and len(codes) == 1 and (codes[0] & OP_MASK) == CONST:
                own[key // KEY_STRIDE] = int(codes[0] >> OPERAND_SHIFT)
        places: dict[int, set[tuple[int, int]]] = {}  # symbol -> (parent key, child position) it fills
        for tree, _, _ in self.explained.values():
            keyed = self.keyed(tree)
            for node, head in enumerate(tree.heads):
                if keyed is not None and head >= 0:
                    places.setdefault(tree.symbols[node], set()).add(
                        (keyed.symbols[head], keyed.children(head).index(node)))
        analogies: dict[int, Function] = {}
        lenders: dict[int, int] = {}
        for key, function in enumerate(self.semantics.functions):
            lender, arity = divmod(key, KEY_STRIDE)
            if function is None or not arity or lender not in own:
                continue
            constants = [int(code >> OPERAND_SHIFT) for code in function.program if (code & OP_MASK) == CONST]
            if any(token != own[lender] for token in constants):
                continue
            for borrower, token in sorted(own.items()):
                target = borrower * KEY_STRIDE + arity
                if (borrower == lender or self.semantics.functions[target] is not None or target in analogies
                        or not places.get(borrower) or not places[borrower] <= places.get(lender, set())):
                    continue
                program = np.array([encode_node(CONST, token) if (code & OP_MASK) == CONST else code
                                    for code in function.program], dtype=np.int64)
                analogies[target] = Function(f"analogy{target}", program, function.arg_types, function.return_type)
                lenders.setdefault(borrower, lender)
        self.analogies, self.analogy_lenders = analogies, lenders
        return analogies

    def predict(self, sources: Sequence[tuple[str, ...]], token_ids: Sequence[Sequence[int]]) -> list[Value | None]:
        """The root value of the tree :meth:`read` gives each of B inputs (parsed in one batch); None when undefined.

        Programs run with the wider bounds ``predict_max_steps``, ``predict_max_depth`` and ``predict_max_len`` (on a
        thread with a stack that deep): test values may be far larger than the training values.
        """
        return self._with_wide_limits(lambda: self._predict(sources, token_ids))

    def greedy_values(self, token_ids: Sequence[Sequence[int]]) -> list[Value | None]:
        """The root value of each of B inputs' greedy parse (parsed in one batch); None when undefined.

        Unlike :meth:`predict` it tries no other tree and keeps the training bounds: a cheap check of
        many candidate inputs (abduction over perception evaluates thousands of readings).
        """
        values: list[Value | None] = []
        for symbols, heads in self._greedy_parses(token_ids):
            keyed = self.keyed(SymbolTree(("?",) * len(symbols), symbols, heads))
            values.append(None if keyed is None else self.deduce(keyed)[keyed.root])
        return values

    def _greedy_parses(self, token_ids: Sequence[Sequence[int]]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """The perceived symbols (n_b,) and greedy heads (n_b,) of B inputs, parsed in one batch."""
        perceived = [self.perceive(ids)[0] for ids in token_ids]
        return list(zip(perceived, self.parse_batch(perceived), strict=True))

    def _with_wide_limits(self, run: Callable[[], T]) -> T:
        """``run()`` with the prediction bounds in force (on a deep stack when they are deeper than training's)."""
        wide = EvalLimits(max_steps=self.config.predict_max_steps, max_depth=self.config.predict_max_depth,
                          max_len=self.config.predict_max_len)
        if wide == self._limits:
            return run()
        training_limits, training_values = self._limits, self._values
        self._limits, self._values = wide, {}
        try:
            return call_with_stack(run, wide.max_depth)
        finally:
            self._limits, self._values = training_limits, training_values

    def _predict(self, sources: Sequence[tuple[str, ...]], token_ids: Sequence[Sequence[int]]) -> list[Value | None]:
        values: list[Value | None] = []
        for tokens, (symbols, heads) in zip(sources, self._greedy_parses(token_ids), strict=True):
            tree = self._reading(tokens, symbols, heads)
            values.append(None if tree is None or tree.values is None else tree.values[tree.root])
        return values

    # ------------------------------------------------------------------ abduction

    def prepare_guesses(self, items: Sequence[Item]) -> None:
        """Set each symbol's guessed leaf constant from the targets of ``items`` (0 for numbers).

        The guess of a symbol is the non-empty piece (at most ``_MAX_GUESS_TOKENS`` tokens) found in
        the targets of every input that holds the symbol (the shorter, then smaller piece first); a
        symbol without such a piece (SCAN's ``opposite``: ``I_TURN_LEFT`` only where ``left`` is
        there too) gets no guess, so a made-up value cannot stand in for a meaning with children.
        Pieces written only with the tokens of an input's lexical symbols are not another symbol's:
        a symbol left with no piece at all (PCFG SET's ``,``) is guessed to write nothing. Each guess
        costs ``LearnerConfig.guess_cost``.
        """
        self._guesses = {}
        if self.domain.is_number:  # a number has no pieces: the guess is 0, the number of nothing
            symbols = {symbol for _, _, token_ids, _ in items for symbol in self.perceive(token_ids)[0]}
            self._guesses = {symbol: (0, self.config.guess_cost) for symbol in symbols}
            return
        support: dict[int, Counter] = {}
        holders: Counter = Counter()
        for _, _, token_ids, target in items:
            pieces = {tuple(target[start:start + width]) for width in range(1, _MAX_GUESS_TOKENS + 1)
                      for start in range(len(target) - width + 1)}
            symbols = set(self.perceive(token_ids)[0])
            copied = {self.lexical[symbol] for symbol in symbols if symbol in self.lexical}
            for symbol in symbols:
                # A piece the input's lexical tokens write is theirs, not another symbol's meaning.
                own = pieces if symbol in self.lexical else {piece for piece in pieces if not set(piece) <= copied}
                support.setdefault(symbol, Counter()).update(own)
                holders[symbol] += 1
        for symbol, counts in support.items():
            if not counts:  # every piece of its targets is written by lexical tokens: it adds nothing
                self._guesses[symbol] = ((), self.config.guess_cost)
                continue
            shared = [piece for piece, count in counts.items() if count == holders[symbol]]
            if shared:
                self._guesses[symbol] = (min(shared, key=lambda piece: (len(piece), piece)), self.config.guess_cost)

    def _with_guesses(self, guessed: dict[int, tuple[Value, float]]) -> Semantics:
        functions = list(self.semantics.functions)
        for key, (value, _) in guessed.items():
            constant = constant_function(value, f"guess{key}")
            # A guessed lexical span node has children: its constant takes (and ignores) their values.
            functions[key] = replace(constant, arg_types=(constant.return_type,) * (key % KEY_STRIDE))
        return Semantics(tuple(functions), self.semantics.library)

    def _known(self, key: int) -> bool:
        return self.semantics.functions[key] is not None

    def _lexical_spans(self, keyed: SymbolTree, unknown_only: bool) -> dict[int, Value]:
        """``node -> its subtree's tokens in input order`` for the nodes whose subtrees are all lexical.

        With ``unknown_only`` only nodes whose keys have no meaning yet count as lexical here.
        """
        spans: dict[int, Value] = {}
        for node in post_order(keyed):
            symbol = keyed.symbols[node] // KEY_STRIDE
            children = keyed.children(node)
            if (symbol in self.lexical and not (unknown_only and self._known(keyed.symbols[node]))
                    and all(child in spans for child in children)):
                pieces = [(child, spans[child]) for child in children]
                pieces.append((node, (self.lexical[symbol],)))
                spans[node] = tuple(token for _, piece in sorted(pieces) for token in piece)
        return spans

    def _spelled_spans(self, keyed: SymbolTree) -> dict[int, Value]:
        """``node -> its subtree's tokens in input order`` for nodes of lexical spans (with unknown meanings).

        A node is spelled when its symbol is lexical, its key has no meaning yet, and all its
        children are spelled: before the shared lexical meanings are known, such a subtree is guessed
        to write its own tokens as they stand (``Z7 T20`` below ``repeat`` writes ``Z7 T20``).
        """
        return self._lexical_spans(keyed, unknown_only=True)

    def breaks_lexical_reading(self, keyed: SymbolTree, values: Sequence[Value | None]) -> bool:
        """Whether a tree breaks the reading of lexical symbols; such trees explain nothing.

        With ``letters_head_letters``, a lexical symbol's children are lexical: a run of letters is a
        string, not a function's argument (``C D`` cannot take ``remove_first A B ,`` as a child
        that writes nothing). With ``spell_in_order``, a subtree made only of lexical symbols has
        its tokens in input order as its value: ``shift`` cannot pass for ``reverse`` on
        ``reverse A B C`` by reading the letters as ``A C B``.
        """
        if not self.lexical:
            return False
        if any(head >= 0 and self._letter_over_nonletter(keyed.symbols[head] // KEY_STRIDE,
                                                          keyed.symbols[node] // KEY_STRIDE)
               for node, head in enumerate(keyed.heads)):
            return True
        if not self.config.spell_in_order:
            return False
        spans = self._lexical_spans(keyed, unknown_only=False)
        return any(values[node] is not None and values[node] != span for node, span in spans.items())

    def _letter_over_nonletter(self, parent: int, child: int) -> bool:
        """Whether symbol ``parent`` heading symbol ``child`` breaks ``letters_head_letters``."""
        return self.config.letters_head_letters and parent in self.lexical and child not in self.lexical

    def _guessed_leaves(self, keyed: SymbolTree) -> dict[int, tuple[Value, float]] | None:
        """``key -> (guessed constant, cost)`` for the unknown leaves abduction cannot reach; None when hopeless.

        Abduction can set one unknown node's value when the path from the root to it is known; a
        tree with two unknown inner nodes is not revisable, and unknown leaves need guesses unless
        one of them is the only unknown node. Guesses are only made for leaves below an unknown node,
        and for lexical spans (:meth:`_spelled_spans`, ``guess_cost`` each, wherever they are).
        """
        spelled = self._spelled_spans(keyed)
        unknown = [node for node in range(len(keyed)) if not self._known(keyed.symbols[node]) and node not in spelled]
        inner = [node for node in unknown if keyed.children(node)]
        if len(inner) > 1:
            return None
        leaves = [node for node in unknown if not keyed.children(node)]
        if not spelled and not inner and len(leaves) <= 1:
            return {}
        guesses: dict[int, tuple[Value, float]] = {}
        for node, value in spelled.items():
            key = keyed.symbols[node]
            cost = 0.0 if keyed.heads[node] in spelled else self.config.guess_cost  # one guess per span
            if key in guesses and guesses[key][0] != value:
                return None  # one letter twice in different spans: no single guessed meaning
            guesses[key] = (value, cost + guesses.get(key, (value, 0.0))[1])
        if not inner and len(leaves) <= 1:
            return guesses
        for node in leaves:
            parent = keyed.heads[node]
            if parent >= 0 and self._known(keyed.symbols[parent]):
                return None  # a known meaning would compute from a made-up value
            guess = self._guesses.get(keyed.symbols[node] // KEY_STRIDE)
            if guess is None:
                return None
            guesses[keyed.symbols[node]] = guess
        return guesses

    def explain(self, tokens: tuple[str, ...], token_ids: Sequence[int], target: Value,
                may_abduce: bool = True, may_guess: bool = True) -> SymbolTree | None:
        """The best tree (unkeyed symbols, all values set) whose root yields ``target``; None if none.

        A tree that deduces the target as it is beats any revision (the likeliest under the parser
        among several); otherwise the cheapest abduced revision, when ``may_abduce`` and the input is
        at most ``abduce_up_to`` tokens long, with guessed leaf constants only when ``may_guess``.
        """
        symbols, log_probs = self.perceive(token_ids)
        sampled = {self.parse_batch([symbols])[0]}
        if self.config.parse_samples:
            sampled.update(self.parse_batch([symbols] * self.config.parse_samples, generator=self._generator))
        found = self._deduced(tokens, symbols, sorted(sampled), target)
        if found is not None:
            return found
        candidates: Sequence[tuple[int, ...]] = sorted(sampled)
        enumerated: Sequence[tuple[int, ...]] | None = None
        if len(symbols) <= self.config.enumerate_up_to:
            enumerated = projective_trees(len(symbols), MAX_ARITY)
        elif len(symbols) <= self.config.arity_trees_up_to:
            enumerated = sorted(sampled | set(self._arity_trees(symbols)))
        if enumerated is not None:
            candidates = enumerated
            found = self._deduced(tokens, symbols, candidates, target)
            if found is not None:
                return found
        if not may_abduce or len(symbols) > self.config.abduce_up_to:
            return None
        return self._abduced(tokens, symbols, log_probs, candidates, target, may_guess)

    def _arity_trees(self, symbols: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Trees (heads (n,)) keeping the known arities of ``symbols`` but at ``_FREE_NODES`` nodes."""
        allowed = [frozenset(k for k in range(KEY_STRIDE) if self._known(semantic_key(symbol, k)))
                   for symbol in symbols]
        limit = self.config.arity_tree_limit
        exact = arity_trees(allowed, 0, MAX_ARITY, limit)  # every arity known: the common case, and cheap
        if len(exact) >= limit:
            return exact
        return list(dict.fromkeys(exact + arity_trees(allowed, _FREE_NODES, MAX_ARITY, limit)))[:limit]

    def _deduced(self, tokens: tuple[str, ...], symbols: tuple[int, ...], candidates: Sequence[tuple[int, ...]],
                 target: Value) -> SymbolTree | None:
        matches = []
        for heads in candidates:
            keyed = self.keyed(SymbolTree(tokens, symbols, heads))
            if (keyed is not None and (values := self.deduce(keyed))[keyed.root] == target
                    and not self.breaks_lexical_reading(keyed, values)):
                matches.append((heads, values))
        if not matches:
            return None
        scores = self._tree_log_probs(symbols, [heads for heads, _ in matches]) if len(matches) > 1 else [0.0]
        heads, values = matches[int(np.argmax(scores))]
        return SymbolTree(tokens, symbols, heads, values)

    def _abduced(self, tokens: tuple[str, ...], symbols: tuple[int, ...], log_probs: np.ndarray,
                 candidates: Sequence[tuple[int, ...]], target: Value, may_guess: bool) -> SymbolTree | None:
        revisable = []
        for heads in candidates:
            keyed = self.keyed(SymbolTree(tokens, symbols, heads))
            guesses = None if keyed is None else self._guessed_leaves(keyed)
            if keyed is not None and guesses is not None and (may_guess or not guesses):
                revisable.append((heads, keyed, guesses))
        if not revisable:
            return None
        parse_log_probs = self._tree_log_probs(symbols, [heads for heads, _, _ in revisable])
        known = np.array([function is not None for function in self.semantics.functions])
        penalties = (self.penalties + self.config.revise_cost * known
                     + self.config.new_arity_cost * self._new_arities(known))
        best: tuple[float, SymbolTree] | None = None
        semantics_of: dict[tuple, Semantics] = {}
        for (_, keyed, guesses), parse_log_prob in zip(revisable, parse_log_probs, strict=True):
            memo = tuple(sorted(guesses.items()))
            if memo not in semantics_of:
                semantics_of[memo] = self._with_guesses(guesses) if guesses else self.semantics
            result = abduce(keyed, semantics_of[memo], target, symbol_log_probs=self._keyed_log_probs(keyed, log_probs),
                            max_changes=self.config.max_changes, max_expansions=self.config.max_expansions,
                            semantic_penalties=penalties)
            if not result.found or self.breaks_lexical_reading(result.tree, result.tree.values):
                continue
            guess_cost = sum(cost for _, cost in guesses.values())
            score = result.cost + guess_cost - self.config.parser_weight * parse_log_prob
            if math.isfinite(score) and (best is None or score < best[0]):
                unkeyed = tuple(key // KEY_STRIDE for key in result.tree.symbols)
                best = (score, result.tree.with_symbols(unkeyed, values=result.tree.values))
        return None if best is None else best[1]

    def _new_arities(self, known: np.ndarray) -> np.ndarray:
        """(n_keys,) whether a key with children has no meaning while its symbol has one with other children."""
        by_symbol = known.reshape(self.n_symbols, KEY_STRIDE)
        has_children_meaning = by_symbol[:, 1:].any(axis=1, keepdims=True)
        new = ~by_symbol & has_children_meaning
        new[:, 0] = False
        return new.reshape(-1)

    # ------------------------------------------------------------------ learning

    def learn_batch(self, batch: Sequence[Item], may_abduce: bool = True, may_guess: bool = True) -> int:
        """Explain each (example index, tokens, token ids, target) and train perception and parser.

        ``may_abduce`` and ``may_guess`` are passed to :meth:`explain`.

        Returns:
            how many of the batch were explained (their latest explanation replaces the previous one).
        """
        explained = 0
        for index, tokens, token_ids, target in batch:
            tree = self.explain(tokens, token_ids, target, may_abduce, may_guess)
            if tree is not None:
                self.explained[index] = (tree, tuple(token_ids), target)
                explained += 1
        self.train_modules()
        return explained

    def _sample_explained(self, count: int) -> list[tuple[SymbolTree, tuple[int, ...], Value]]:
        pool = list(self.explained.values())
        return pool if len(pool) <= count else self._rng.sample(pool, count)

    def train_modules(self, steps: int | None = None) -> None:
        """Train perception and parser on samples of the kept trees (``steps`` or ``train_steps`` steps)."""
        steps = self.config.train_steps if steps is None else steps
        sample = self._sample_explained(256)
        if not sample:
            return
        token_ids = [t for _, ids, _ in sample for t in ids]
        labels = [s for tree, _, _ in sample for s in tree.symbols]
        fit_perception(self.perception, np.array(token_ids), np.array(labels), steps=steps,
                       lr=self.config.lr, batch_size=64, seed=self._rng.randrange(2**31))
        for _ in range(steps):
            trees = [tree for tree, _, _ in self._sample_explained(64) if len(tree) > 1]
            if not trees:
                return
            self._optimizer.zero_grad()
            examples = [(self.parse_symbols(tree.symbols), tree.heads) for tree in trees]
            loss = self.parser.loss(examples + self._grown_trees(examples))
            loss.backward()
            self._optimizer.step()

    def graft_slots(self, symbols: Sequence[int], heads: Sequence[int]) -> list[int]:
        """The nodes of a tree (symbols (n,), heads (n,)) whose subtrees fill an argument slot.

        A slot is the root or a child of a non-lexical node, and computes something from the input:
        it is lexical or has children (a separator such as PCFG's comma is neither). Any slot's
        subtree may stand in another's place (:mod:`reasoning.nsr.tree_grafting`).
        """
        has_children = {head for head in heads if head >= 0}
        return [node for node, head in enumerate(heads)
                if (head == -1 or symbols[head] not in self.lexical)
                and (symbols[node] in self.lexical or node in has_children)]

    def _grown_trees(self, examples: Sequence[tuple[tuple[int, ...], tuple[int, ...]]]
                     ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Up to ``parser_grafts`` trees grown from ``examples`` (symbols (n,), heads (n,)) by 1-3 grafts each."""
        if self.config.parser_grafts <= 0:
            return []
        slots = [self.graft_slots(symbols, heads) for symbols, heads in examples]
        grown = (grow_tree(examples, slots, self._rng.randint(1, 3), self.config.graft_max_tokens, self._rng)
                 for _ in range(self.config.parser_grafts))
        return [tree for tree in grown if tree is not None]

    def description_length(self) -> float:
        """The size of the semantics: its program nodes, plus ``borrow_cost`` per borrowed constant.

        A constant in a program is *borrowed* when it writes the output token that another symbol
        means on its own (``const_I_TURN_LEFT`` inside ``opposite`` while ``left`` alone means
        I_TURN_LEFT): each output token is owned by the symbol that means it, and a meaning that
        needs it should take it from that symbol's node as a child.
        """
        functions = [f for f in self.semantics.functions if f is not None]
        size = float(sum(len(f.program) for f in (*functions, *self.semantics.library)))
        owners: dict[int, set[int]] = {}
        for key, function in enumerate(self.semantics.functions):
            codes = None if function is None or function.arg_types else function.program
            if codes is not None and len(codes) == 1 and (codes[0] & OP_MASK) == CONST:
                owners.setdefault(int(codes[0] >> OPERAND_SHIFT), set()).add(key // KEY_STRIDE)
        for key, function in enumerate(self.semantics.functions):
            if function is None:
                continue
            for code in function.program:
                token_owners = owners.get(int(code >> OPERAND_SHIFT), set()) if (code & OP_MASK) == CONST else set()
                if token_owners and key // KEY_STRIDE not in token_owners:
                    size += self.config.borrow_cost
        return size

    def simplify(self, keys: Sequence[int] | None = None) -> list[int]:
        """Drop each meaning in turn that a simpler account of its inputs can replace (module docstring).

        For each key with a program (the largest programs first, or ``keys`` in order): retract it,
        re-explain the kept inputs that used it (no guesses) and re-induce; keep the change when
        all of them are explained again and :meth:`description_length` fell, else undo it.

        Returns:
            the keys dropped.
        """
        if keys is None:
            in_use = [key for key, f in enumerate(self.semantics.functions) if f is not None]
            keys = sorted(in_use, key=lambda key: -len(self.semantics.functions[key].program))  # type: ignore[union-attr]
        dropped = []
        for key in keys:
            if self.semantics.functions[key] is None:
                continue
            users = {index: entry for index, entry in self.explained.items()
                     if key in (self.keyed(entry[0]) or entry[0]).symbols}
            before = (self.semantics, dict(self.explained), self.penalties.copy(), dict(self._induced_from),
                      self.description_length())
            functions = list(self.semantics.functions)
            functions[key] = None
            self.set_semantics(Semantics(tuple(functions), self.semantics.library))
            self.penalties[key] = math.inf
            for index in users:
                del self.explained[index]
            for index, (tree, token_ids, target) in users.items():
                again = self.explain(tree.tokens, token_ids, target, may_guess=False)
                if again is not None:
                    self.explained[index] = (again, token_ids, target)
            self.induce()
            if all(index in self.explained for index in users) and self.description_length() < before[4]:
                self.penalties[key] = 2 * self.config.conflict_penalty
                dropped.append(key)
                continue
            semantics, self.explained, self.penalties, self._induced_from, _ = before
            self.set_semantics(semantics)
        return dropped

    @staticmethod
    def _fits_all(semantics: Semantics, key: int, examples: Sequence[tuple[tuple[Value, ...], Value]]) -> bool:
        outputs = semantics.apply_many(key, [args for args, _ in examples])
        return all(out == value for out, (_, value) in zip(outputs, examples, strict=True))

    @staticmethod
    def _voted(support: Counter) -> list[tuple[tuple[Value, ...], Value]]:
        """One example per distinct children values: the value most nodes give them (first met on ties)."""
        best: dict[tuple[Value, ...], tuple[Value, int]] = {}
        for (args, value), count in support.items():
            if args not in best or count > best[args][1]:
                best[args] = (value, count)
        return [(args, value) for args, (value, _) in best.items()]

    def _fits_enough(self, semantics: Semantics, key: int, support: Counter) -> bool:
        """Whether the key's program in ``semantics`` fits ``keep_majority`` of the nodes giving its examples."""
        examples = list(support)
        outputs = semantics.apply_many(key, [args for args, _ in examples])
        fits = [out == value for out, (_, value) in zip(outputs, examples, strict=True)]
        fitted = sum(support[example] for example, fit in zip(examples, fits, strict=True) if fit)
        return fitted >= self.config.keep_majority * sum(support.values())

    def _too_few(self, key: int, examples: Sequence) -> bool:
        """Whether a key with children has fewer examples than ``induce_min_examples`` (not searched yet)."""
        return key % KEY_STRIDE > 0 and len(examples) < self.config.induce_min_examples

    def _back_off(self, report: dict[int, SymbolReport], searched: Iterable[int],
                  state_of: Callable[[int], int] | None = None) -> None:
        """Wait 2, 4, ... 64 inductions before searching again a key whose search ran out of time unfitted.

        Noisy abductions can give a key examples no program fits; searching it again every round
        would spend the search budget each time (minutes per round with many helper libraries).
        """
        for key in searched:
            state = key if state_of is None else state_of(key)
            if report[key].hit_budget and report[key].n_consistent < report[key].n_examples:
                failures = self._backoff.get(state, (0, 0))[1] + 1
                self._backoff[state] = (self._inductions + 2 ** min(failures, _MAX_BACKOFF_LEVEL), failures)
            else:
                self._backoff.pop(state, None)

    def induce(self) -> dict[int, SymbolReport]:
        """Re-induce the programs of the semantic keys whose examples changed and no longer all fit.

        Examples come from the node values of the explained trees. A key whose examples no program
        fits is retracted (module docstring); kept trees that no longer deduce their target are dropped.
        With ``keep_majority``, a search sees for each children values only the value most nodes give
        them, and a program that fits that share of the nodes giving its key's examples is not
        retracted when no program fits them all: only the trees it contradicts are dropped. A key
        whose search ran out of time without a fit waits before its next search (:meth:`_back_off`).
        The keys of lexical symbols are induced pooled per number of children (:mod:`reasoning.nsr.lexical`).
        """
        keyed = {index: self.keyed(tree) for index, (tree, _, _) in self.explained.items()}
        support, pooled = pool_lexical(count_examples([tree for tree in keyed.values() if tree is not None]),
                                       self.lexical, KEY_STRIDE)
        self._inductions += 1
        pooled_before, waiting = self.pooled, set()
        primitives = self.search_primitives()
        if self.lexical:
            self.pooled, _, pooled_waiting, pooled_contradicted = self._induce_table(
                pooled, self.pooled, lambda arity: -1 - arity, pooled_primitives(primitives), False)
            for arity in pooled_contradicted:
                self.penalties[[semantic_key(symbol, arity) for symbol in self.lexical]] += self.config.conflict_penalty
            waiting = {semantic_key(symbol, arity) for arity in pooled_waiting for symbol in self.lexical}
        # Lexical meanings are no library of the other searches (hundreds of copies of one program).
        previous = with_lexical_meanings(self.semantics, None, self.lexical, KEY_STRIDE) if self.lexical \
            else self.semantics
        semantics, report, own_waiting, contradicted = self._induce_table(
            support, previous, lambda key: key, primitives, True)
        waiting |= own_waiting
        for key in contradicted:
            self.penalties[key] += self.config.conflict_penalty
        if semantics is not previous or self.pooled is not pooled_before:
            if self.lexical:
                semantics = with_lexical_meanings(semantics, self.pooled, self.lexical, KEY_STRIDE)
            self.set_semantics(semantics)
        # Trees using a key that waits for enough examples, or for a round with budget left, are kept meanwhile.
        for index, tree in keyed.items():
            target = self.explained[index][2]
            if tree is None or (self.deduce(tree)[tree.root] != target and waiting.isdisjoint(tree.symbols)):
                del self.explained[index]
        self._update_parse_classes()
        return report

    def search_primitives(self) -> PrimitiveSet:
        """The domain's primitives, without constants of lexical tokens (their own symbols write them)."""
        primitives = self.domain.primitives
        if not self.lexical:
            return primitives
        written = set(self.lexical.values())
        return replace(primitives, tokens=tuple(t for t in range(len(self.domain.output_tokens)) if t not in written))

    def _induce_table(self, support: dict[int, Counter], previous: Semantics, state_of: Callable[[int], int],
                      primitives: PrimitiveSet, library_rounds: bool
                      ) -> tuple[Semantics, dict[int, SymbolReport], set[int], set[int]]:
        """One table of keys re-induced from its examples (:meth:`induce`).

        Args:
            support: ``key -> Counter((children values, value))`` of the keys of ``previous``.
            previous: the table's current programs.
            state_of: the id of a key in the learner's search records (the tables share them).
            primitives: what the searches may use.
            library_rounds: whether searches may call the table's other programs.

        Returns:
            (the new table, its search reports, the keys whose trees are kept meanwhile (left
            unsearched by the round's budget, or waiting for enough examples), the keys retracted).
        """
        examples = {key: self._voted(counts) if self.config.keep_majority else list(counts)
                    for key, counts in support.items()}
        changed = {key: found for key, found in examples.items()
                   if self._induced_from.get(state_of(key)) != set(found) and not self._fits_all(previous, key, found)
                   and self._backoff.get(state_of(key), (0, 0))[0] <= self._inductions
                   and not self._too_few(key, found)}
        semantics, report, deferred, contradicted = previous, {}, set(), set()
        if changed:
            semantics, report, deferred, contradicted = self._search_changed(changed, support, previous, state_of,
                                                                             primitives, library_rounds)
        too_few = {key for key, found in examples.items()
                   if self._too_few(key, found) and semantics.functions[key] is None}
        return semantics, report, deferred | too_few, contradicted

    def _search_changed(self, changed: dict[int, list], support: dict[int, Counter], previous: Semantics,
                        state_of: Callable[[int], int], primitives: PrimitiveSet, library_rounds: bool
                        ) -> tuple[Semantics, dict[int, SymbolReport], set[int], set[int]]:
        """The searches of :meth:`_induce_table` on the keys whose examples ``changed``; the same returns."""
        semantics, report = induce_semantics(
            changed, primitives, self.config.max_program_size, self.config.induce_seconds,
            previous=previous, n_symbols=previous.n_symbols, single_helpers=self.config.single_helpers,
            total_budget_s=self.config.induce_round_seconds or None, library_rounds=library_rounds)
        # Keys the round's budget left unsearched keep their program and are searched next round.
        deferred = {key for key in changed if report[key].deferred}
        searched = {key: found for key, found in changed.items() if key not in deferred}
        self._induced_from.update({state_of(key): set(found) for key, found in searched.items()})
        self._back_off(report, searched, state_of)
        contradicted = {key for key in searched
                        if report[key].n_consistent < report[key].n_examples or report[key].n_dropped}
        if self.config.keep_majority:  # outvoted examples do not retract a well-supported program
            contradicted = {key for key in contradicted if semantics.functions[key] is None
                            or not self._fits_enough(semantics, key, support[key])}
        if contradicted:
            functions = list(semantics.functions)
            for key in contradicted:
                functions[key] = None
                self._induced_from.pop(state_of(key), None)
            semantics = Semantics(tuple(functions), semantics.library)
            self.retractions += len(contradicted)
        return semantics, report, deferred, contradicted
