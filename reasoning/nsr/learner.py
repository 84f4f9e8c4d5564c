"""NSR learning by deduction-abduction: perception, parser and semantics improved from abduced trees.

For a training pair (input tokens, target) the learner *deduces* (perceive each token as a symbol,
parse the symbols, evaluate each node's program bottom-up); when the root's value is wrong it
*abduces* the most likely nearby tree that yields the target (:func:`~reasoning.nsr.abduction.abduce`)
over several candidate parses (the greedy one and samples from the parser), and keeps the best
explanation of that example. Perception and parser are trained on the kept trees' symbols and arcs;
programs are re-induced from the kept trees' node values now and then.

A node's meaning is looked up by its symbol *and its number of children* (a "semantic key"), so the
model is not told any symbol's arity: "left" with one child (``walk left``) and without (``walk
around left``) may mean different things, and which trees make sense is learned.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from reasoning.nsr.abduction import abduce
from reasoning.nsr.dsl import MAX_ARITY
from reasoning.nsr.parser import TransitionParser
from reasoning.nsr.perception import TokenPerception, fit_perception
from reasoning.nsr.program_eval import Value
from reasoning.nsr.semantics import Semantics, SymbolReport, collect_examples, deduce, induce_semantics
from reasoning.nsr.symbol_tree import SymbolTree
from reasoning.nsr.value_domain import ValueDomain

KEY_STRIDE = MAX_ARITY + 1
# Log-probability given to a semantic key whose arity does not match the node (finite, so that
# abduction's cost arithmetic stays finite, and large, so that such a change is never preferred).
_IMPOSSIBLE = -30.0


@dataclass(frozen=True)
class LearnerConfig:
    """The knobs of deduction-abduction learning.

    Attributes:
        parse_samples: parses sampled from the parser per example, besides the greedy one.
        max_changes: the most symbol/meaning changes abduction may make in one tree.
        max_expansions: abduction's search budget per candidate parse.
        parser_weight: how much the parser's log-probability of a tree counts against abduction cost.
        max_program_size: program induction's size budget (nodes).
        induce_seconds: program induction's time budget per semantic key and search.
        train_steps: optimiser steps of perception and parser after each batch.
        lr: learning rate of perception and parser.
        keep_fraction: a program matching at least this share of its key's examples is kept without a search.
    """

    parse_samples: int = 6
    max_changes: int = 2
    max_expansions: int = 300
    parser_weight: float = 0.1
    max_program_size: int = 8
    induce_seconds: float = 0.5
    train_steps: int = 10
    lr: float = 1e-2
    keep_fraction: float = 0.8


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
        self.parser = TransitionParser(n_symbols)
        self.semantics = Semantics.from_functions({}, n_symbols=n_symbols * KEY_STRIDE)
        self.explained: dict[int, tuple[SymbolTree, tuple[int, ...]]] = {}
        self._induced_from: dict[int, set] = {}  # semantic key -> the examples of its last induction
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
        keyed = np.full((len(tree), self.n_symbols * KEY_STRIDE), _IMPOSSIBLE)
        for i in range(len(tree)):
            keyed[i, len(tree.children(i))::KEY_STRIDE] = log_probs[i]
        return keyed

    def predict(self, sources: Sequence[tuple[str, ...]], token_ids: Sequence[Sequence[int]]) -> list[Value | None]:
        """The deduced root value of each of B inputs (greedy perception and parse); None when undefined."""
        perceived = [self.perceive(ids)[0] for ids in token_ids]
        values: list[Value | None] = []
        for tokens, symbols, heads in zip(sources, perceived, self.parser.parse_batch(perceived), strict=True):
            keyed = self.keyed(SymbolTree(tokens, symbols, heads))
            values.append(None if keyed is None else deduce(keyed, self.semantics)[keyed.root])
        return values

    def explain(self, tokens: tuple[str, ...], token_ids: Sequence[int], target: Value) -> SymbolTree | None:
        """The best abduced tree (unkeyed symbols, all values set) whose root yields ``target``; None if none."""
        symbols, log_probs = self.perceive(token_ids)
        candidates = {self.parser.parse(symbols)}
        if self.config.parse_samples:
            candidates.update(self.parser.parse_batch([symbols] * self.config.parse_samples,
                                                      generator=self._generator))
        candidates_sorted = sorted(candidates)
        with torch.no_grad():
            parse_log_probs = self.parser.tree_log_probs([(symbols, heads) for heads in candidates_sorted]).tolist()
        best: tuple[float, SymbolTree] | None = None
        for heads, parse_log_prob in zip(candidates_sorted, parse_log_probs, strict=True):
            tree = self.keyed(SymbolTree(tokens, symbols, heads))
            if tree is None:
                continue
            result = abduce(tree, self.semantics, target, symbol_log_probs=self._keyed_log_probs(tree, log_probs),
                            max_changes=self.config.max_changes, max_expansions=self.config.max_expansions)
            if not result.found:
                continue
            score = result.cost - self.config.parser_weight * parse_log_prob
            if best is None or score < best[0]:
                unkeyed = tuple(key // KEY_STRIDE for key in result.tree.symbols)
                best = (score, result.tree.with_symbols(unkeyed, values=result.tree.values))
        return None if best is None else best[1]

    def learn_batch(self, batch: Sequence[tuple[int, tuple[str, ...], Sequence[int], Value]]) -> int:
        """Explain each (example index, tokens, token ids, target) and train perception and parser.

        Returns:
            how many of the batch were explained (their latest explanation replaces the previous one).
        """
        explained = 0
        for index, tokens, token_ids, target in batch:
            tree = self.explain(tokens, token_ids, target)
            if tree is not None:
                self.explained[index] = (tree, tuple(token_ids))
                explained += 1
        self._train_modules()
        return explained

    def _sample_explained(self, count: int) -> list[tuple[SymbolTree, tuple[int, ...]]]:
        pool = list(self.explained.values())
        return pool if len(pool) <= count else self._rng.sample(pool, count)

    def _train_modules(self) -> None:
        sample = self._sample_explained(256)
        if not sample:
            return
        token_ids = [t for _, ids in sample for t in ids]
        labels = [s for tree, _ in sample for s in tree.symbols]
        fit_perception(self.perception, np.array(token_ids), np.array(labels), steps=self.config.train_steps,
                       lr=self.config.lr, batch_size=64, seed=self._rng.randrange(2**31))
        for _ in range(self.config.train_steps):
            self._optimizer.zero_grad()
            loss = self.parser.loss([(tree.symbols, tree.heads) for tree, _ in self._sample_explained(64)])
            loss.backward()
            self._optimizer.step()

    def _mostly_explained(self, key: int, examples: Sequence[tuple[tuple[Value, ...], Value]]) -> bool:
        # Some kept trees are wrong explanations; a program that fits nearly all examples is kept as is.
        outputs = self.semantics.apply_many(key, [args for args, _ in examples])
        agree = sum(out == value for out, (_, value) in zip(outputs, examples, strict=True))
        return agree >= self.config.keep_fraction * len(examples)

    def induce(self) -> dict[int, SymbolReport]:
        """Re-induce the programs of the semantic keys whose examples changed since their last induction.

        Examples come from the node values of the explained trees; a key whose examples are unchanged
        keeps its program without a new search (searches are the expensive part of a round).
        """
        keyed = [self.keyed(tree) for tree, _ in self.explained.values()]
        examples = collect_examples([tree for tree in keyed if tree is not None])
        changed = {key: found for key, found in examples.items()
                   if self._induced_from.get(key) != set(found) and not self._mostly_explained(key, found)}
        if not changed:
            return {}
        self.semantics, report = induce_semantics(
            changed, self.domain.primitives, self.config.max_program_size, self.config.induce_seconds,
            previous=self.semantics, n_symbols=self.n_symbols * KEY_STRIDE)
        self._induced_from.update({key: set(found) for key, found in changed.items()})
        return report
