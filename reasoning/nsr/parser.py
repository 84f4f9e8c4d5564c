"""A small neural transition-based dependency parser over perceived symbols: the syntax module of NSR.

In the Neural-Symbolic Recursive Machine the tree of a Grounded Symbol System comes from a
dependency parser that reads the symbols perception assigned to the input segments.
:class:`TransitionParser` is a Chen & Manning (2014)-style scorer for the arc-standard system of
:mod:`reasoning.nsr.transitions`: a configuration is described by the symbols at fixed positions
(the top 3 stack items, the front 3 buffer items, the leftmost, rightmost and second-rightmost
dependent of the top 2 stack items: the last tells a head with one dependent from one with several;
optionally how many dependents those two items have), each embedded, concatenated and fed to an MLP
that scores the 3 actions.

Illegal actions are masked before the softmax both in training and in decoding, so the action
probabilities of every configuration sum to one over the legal actions and the parser defines a
distribution over action sequences, i.e. over projective trees.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from torch import nn

from reasoning.nsr.symbol_tree import check_heads, non_projective_node
from reasoning.nsr.transitions import (
    LEFT_ARC,
    N_ACTIONS,
    SHIFT,
    Configuration,
    apply,
    initial,
    is_final,
    legal_actions,
    oracle_path,
    run_actions,
)

STACK_FEATURES = 3  # symbols of the top items of the stack
BUFFER_FEATURES = 3  # symbols of the front items of the buffer
CHILD_FEATURES_OF = 2  # the top items of the stack whose dependents are features
DEPENDENT_FEATURES = 3  # leftmost, rightmost and second-rightmost dependent
N_FEATURES = STACK_FEATURES + BUFFER_FEATURES + DEPENDENT_FEATURES * CHILD_FEATURES_OF
MAX_COUNTED = 4  # with count_dependents, a stack item's number of dependents, read as at most this

Step = tuple[Configuration, tuple[int, ...]]  # a configuration and the symbols of its tokens
State = TypeVar("State")


class TransitionParser(nn.Module):
    """Scores arc-standard actions from the symbols around the stack and buffer.

    Args:
        n_symbols: the number of symbol ids; inputs are ints in [0, n_symbols), and id ``n_symbols``
            stands for a missing position.
        dim: the embedding size of each feature.
        hidden: the width of the MLP's hidden layer.
        count_dependents: also describe a configuration by the number of dependents of the top 2
            stack items (valency, read as at most ``MAX_COUNTED``): 2 more features.
    """

    def __init__(self, n_symbols: int, dim: int = 32, hidden: int = 128, count_dependents: bool = False) -> None:
        super().__init__()
        if n_symbols < 1:
            raise ValueError(f"the parser needs at least one symbol, got n_symbols={n_symbols}")
        self.n_symbols = n_symbols
        self.padding = n_symbols
        self.count_dependents = count_dependents
        self.n_features = N_FEATURES + (CHILD_FEATURES_OF if count_dependents else 0)
        n_ids = n_symbols + 1 + (MAX_COUNTED + 1 if count_dependents else 0)  # symbols, padding, counts
        self.embedding = nn.Embedding(n_ids, dim)
        self.mlp = nn.Sequential(nn.Linear(self.n_features * dim, hidden), nn.ReLU(), nn.Linear(hidden, N_ACTIONS))

    def _check_symbols(self, symbols: Sequence[int]) -> tuple[int, ...]:
        """``symbols`` as a tuple of ints, each checked to lie in [0, n_symbols)."""
        symbols = tuple(int(symbol) for symbol in symbols)
        for index, symbol in enumerate(symbols):
            if not 0 <= symbol < self.n_symbols:
                raise ValueError(f"symbol {symbol} at position {index} is outside [0, {self.n_symbols})")
        return symbols

    def _feature_ids(self, config: Configuration, symbols: tuple[int, ...]) -> list[int]:
        """The ``n_features`` ids describing ``config`` (the padding id where a position is empty)."""
        stack, buffer = config.stack, config.buffer
        positions: list[int | None] = [stack[-k] if k <= len(stack) else None for k in range(1, STACK_FEATURES + 1)]
        positions += [buffer[k] if k < len(buffer) else None for k in range(BUFFER_FEATURES)]
        counts: list[int] = []
        for k in range(1, CHILD_FEATURES_OF + 1):
            item = stack[-k] if k <= len(stack) else None
            dependents = [] if item is None else [token for token, head in enumerate(config.heads) if head == item]
            positions += [dependents[0] if dependents else None, dependents[-1] if dependents else None,
                          dependents[-2] if len(dependents) > 1 else None]
            if self.count_dependents:
                counts.append(self.padding if item is None else self.padding + 1 + min(len(dependents), MAX_COUNTED))
        return [self.padding if token is None else symbols[token] for token in positions] + counts

    def features(self, config: Configuration, symbols: Sequence[int]) -> torch.Tensor:
        """The feature ids of one configuration, LongTensor (n_features,).

        Order: stack top 3 (top first), buffer front 3, then the leftmost, rightmost and
        second-rightmost dependent of the stack top and of the second item; ``n_symbols`` marks an
        empty position. With ``count_dependents``, then the number of dependents of the stack top
        and of the second item, as ``n_symbols + 1 + min(count, MAX_COUNTED)``.

        Args:
            config: a configuration over the n tokens of ``symbols``.
            symbols: the symbol of every token, shape (n,).
        """
        ids = self._feature_ids(config, self._check_symbols(symbols))
        return torch.tensor(ids, dtype=torch.long, device=self.embedding.weight.device)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Action logits (B, 3), unmasked, for feature ids (B, n_features)."""
        return self.mlp(self.embedding(features).flatten(start_dim=1))

    def _masked_logits(self, steps: Sequence[Step]) -> torch.Tensor:
        """Logits (B, 3) of the B configurations in ``steps``, -inf at the illegal actions."""
        device = self.embedding.weight.device
        features = torch.tensor([self._feature_ids(config, symbols) for config, symbols in steps],
                                dtype=torch.long, device=device)
        legal = torch.tensor([legal_actions(config) for config, _ in steps], dtype=torch.bool, device=device)
        return self(features).masked_fill(~legal, float("-inf"))

    def _step_log_probs(self, steps: Sequence[Step], actions: Sequence[int]) -> torch.Tensor:
        """Log-probabilities (B,) of taking ``actions`` (B,) in the configurations of ``steps`` (B,)."""
        log_probs = self._masked_logits(steps).log_softmax(dim=-1)
        taken = torch.tensor(list(actions), dtype=torch.long, device=log_probs.device)
        return log_probs.gather(1, taken[:, None])[:, 0]

    def _check_example(self, number: int, symbols: Sequence[int], heads: Sequence[int]
                       ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Example ``number``'s symbols (n,) and heads (n,) as tuples, checked to be in range and a tree."""
        symbols, heads = self._check_symbols(symbols), check_heads(heads)
        if len(heads) != len(symbols):
            raise ValueError(f"example {number} has {len(symbols)} symbols but {len(heads)} heads")
        return symbols, heads

    def _oracle_steps(self, examples: Sequence[tuple[Sequence[int], Sequence[int]]]
                      ) -> tuple[list[Step], list[int], list[int]]:
        """The oracle derivations of projective ``examples`` (symbols (n,), heads (n,)) laid end to end.

        Returns:
            The steps (T,), the oracle action at each (T,), and the example each step belongs to (T,).
        """
        steps: list[Step] = []
        actions: list[int] = []
        owners: list[int] = []
        for number, example in enumerate(examples):
            symbols, heads = self._check_example(number, *example)
            for config, action in oracle_path(heads):
                steps.append((config, symbols))
                actions.append(int(action))
                owners.append(number)
        return steps, actions, owners

    def loss(self, examples: Sequence[tuple[Sequence[int], Sequence[int]]]) -> torch.Tensor:
        """Teacher-forced cross-entropy of the oracle actions, averaged over every configuration of every example.

        Args:
            examples: B pairs (symbols (n_b,), heads (n_b,)); every tree must be projective.

        Returns:
            A scalar tensor with gradients.

        Raises:
            ValueError: an empty batch, a symbol out of range, or a tree that is invalid or non-projective.
        """
        if not examples:
            raise ValueError("loss needs at least one example")
        steps, actions, _ = self._oracle_steps(examples)
        return -self._step_log_probs(steps, actions).mean()

    def action_log_probs(self, symbols: Sequence[int], actions: Sequence[int]) -> torch.Tensor:
        """The log-probability of each action of a complete derivation, shape (2n - 1,), with gradients.

        Args:
            symbols: the symbol of every token, shape (n,).
            actions: a complete legal action sequence, shape (2n - 1,).

        Raises:
            ValueError: a symbol out of range, or the actions are illegal or incomplete.
        """
        symbols = self._check_symbols(symbols)
        configs = run_actions(len(symbols), actions)[:-1]
        return self._step_log_probs([(config, symbols) for config in configs], actions)

    def tree_log_probs(self, examples: Sequence[tuple[Sequence[int], Sequence[int]]]) -> torch.Tensor:
        """The log-probability of each tree's oracle derivation, shape (B,), with gradients; batched.

        A tree the arc-standard system cannot build (non-projective) gets -inf.

        Args:
            examples: B pairs (symbols (n_b,), heads (n_b,)).

        Raises:
            ValueError: a symbol out of range, or heads that are not a tree over the symbols.
        """
        checked = [self._check_example(number, *example) for number, example in enumerate(examples)]
        projective = [(number, example) for number, example in enumerate(checked)
                      if non_projective_node(example[1]) is None]
        device = self.embedding.weight.device
        totals = torch.full((len(examples),), float("-inf"), device=device)
        if not projective:
            return totals
        steps, actions, owners = self._oracle_steps([example for _, example in projective])
        numbers = torch.tensor([number for number, _ in projective], dtype=torch.long, device=device)
        sums = torch.zeros(len(projective), device=device).index_add(
            0, torch.tensor(owners, dtype=torch.long, device=device), self._step_log_probs(steps, actions))
        return totals.index_put((numbers,), sums)

    def tree_log_prob(self, symbols: Sequence[int], heads: Sequence[int]) -> torch.Tensor:
        """The log-probability (scalar tensor) of the oracle derivation of ``heads`` (n,) over ``symbols`` (n,).

        The sum of :meth:`action_log_probs` over the oracle's actions; -inf for a non-projective tree.
        """
        return self.tree_log_probs([(symbols, heads)])[0]

    @torch.no_grad()
    def parse_batch(self, batch: Sequence[Sequence[int]], generator: torch.Generator | None = None
                    ) -> list[tuple[int, ...]]:
        """Parses of many inputs, one network call per transition step for all unfinished inputs.

        Args:
            batch: B symbol sequences, each (n_b,) with n_b >= 1.
            generator: when given, every action is sampled from the parser's distribution with it
                (exploration during learning); greedy (most likely action) when None.

        Returns:
            B head tuples (n_b,), -1 for the root; always valid projective trees.
        """
        inputs = [self._check_symbols(symbols) for symbols in batch]
        configs = [initial(len(symbols)) for symbols in inputs]
        running = [number for number, config in enumerate(configs) if not is_final(config)]
        while running:
            logits = self._masked_logits([(configs[number], inputs[number]) for number in running])
            choices = (logits.argmax(dim=-1) if generator is None else
                       torch.multinomial(logits.softmax(dim=-1), 1, generator=generator)[:, 0])
            for number, action in zip(running, choices.tolist(), strict=True):
                configs[number] = apply(configs[number], action)
            running = [number for number in running if not is_final(configs[number])]
        return [config.heads for config in configs]

    @torch.no_grad()
    def beam_parse(self, symbols: Sequence[int], width: int, start: State,
                   complete: Callable[[State, tuple[int, ...], int], State | None]
                   ) -> list[tuple[tuple[int, ...], State]]:
        """The likeliest parses by beam search among those whose every node passes ``complete``.

        A node has all its dependents once an arc makes it a dependent (arc-standard attaches a
        node's dependents before the node itself), and the root at the end: then
        ``complete(state, heads, node)`` gives the hypothesis' next state, or None to drop it (a
        caller computes each node's value there and drops trees whose subtrees have none).

        Args:
            symbols: the symbol of every token, shape (n,).
            width: hypotheses kept after each of the 2n - 1 steps (>= 1).
            start: the state of the initial configuration.
            complete: the check and state update described above.

        Returns:
            up to ``width`` pairs (heads (n,), final state) of distinct trees, the likeliest derivation
            first; none when every hypothesis was dropped.
        """
        if width < 1:
            raise ValueError(f"the beam width must be >= 1, got {width}")
        read = self._check_symbols(symbols)
        beam: list[tuple[float, Configuration, State]] = [(0.0, initial(len(read)), start)]
        for _ in range(2 * len(read) - 1):
            rows = self._masked_logits([(config, read) for _, config, _ in beam]).log_softmax(dim=-1).tolist()
            expanded = []
            for (score, config, state), row in zip(beam, rows, strict=True):
                for action, log_prob in enumerate(row):
                    if log_prob == -math.inf:
                        continue
                    after = apply(config, action)
                    done = None if action == SHIFT else config.stack[-2] if action == LEFT_ARC else config.stack[-1]
                    next_state: State | None = state
                    if done is not None:
                        next_state = complete(state, after.heads, done)
                    if next_state is not None and is_final(after):
                        next_state = complete(next_state, after.heads, after.stack[0])
                    if next_state is not None:
                        expanded.append((score + log_prob, after, next_state))
            beam = heapq.nlargest(width, expanded, key=lambda hypothesis: hypothesis[0])
            if not beam:
                return []
        distinct: dict[tuple[int, ...], State] = {}  # a tree may be reached by several derivations
        for _, config, state in beam:
            distinct.setdefault(config.heads, state)
        return list(distinct.items())

    def parse(self, symbols: Sequence[int]) -> tuple[int, ...]:
        """The greedy parse of one input: heads (n,), -1 for the root, for ``symbols`` (n,)."""
        return self.parse_batch([symbols])[0]
