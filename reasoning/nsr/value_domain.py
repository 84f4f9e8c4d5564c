"""What the root of an NSR tree computes, and how that value is written as output tokens.

Two domains: a *number* (HINT: the target is the digits of a natural number) and a *token
sequence* (SCAN, PCFG: the target tokens themselves, as ids of an output vocabulary). The domain is
read off the training targets, so the model is not told which task it is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reasoning.nsr.dsl import ARITHMETIC, SEQUENCES, PrimitiveSet
from reasoning.nsr.program_eval import Value


@dataclass(frozen=True)
class ValueDomain:
    """Numbers (``output_tokens`` empty) or sequences over ``output_tokens`` (token id = position)."""

    output_tokens: tuple[str, ...] = ()

    @property
    def is_number(self) -> bool:
        return not self.output_tokens

    @property
    def primitives(self) -> PrimitiveSet:
        """The DSL primitives program induction may use in this domain."""
        return ARITHMETIC if self.is_number else SEQUENCES

    @classmethod
    def of_targets(cls, targets: Sequence[Sequence[str]]) -> ValueDomain:
        """Numbers when every target is the digits of a natural number, else sequences over the targets' tokens."""
        if targets and all(target and "".join(target).isdigit() for target in targets):
            return cls()
        return cls(tuple(sorted({token for target in targets for token in target})))

    def value_of(self, target: Sequence[str]) -> Value | None:
        """The root value that writes ``target`` (m,); None when it cannot be written in this domain."""
        if self.is_number:
            text = "".join(target)
            return int(text) if text.isdigit() else None
        index = {token: i for i, token in enumerate(self.output_tokens)}
        if any(token not in index for token in target):
            return None
        return tuple(index[token] for token in target)

    def tokens_of(self, value: Value | None) -> tuple[str, ...]:
        """The output tokens (m,) that ``value`` stands for; empty for None (no answer)."""
        if value is None:
            return ()
        if self.is_number:
            return tuple(str(value))
        return tuple(self.output_tokens[token] for token in value)
