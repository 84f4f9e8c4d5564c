"""Token <-> id maps with the special tokens every sequence model here shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS: tuple[str, ...] = (PAD, BOS, EOS, UNK)


class Vocabulary:
    """A fixed token list: ids 0-3 are ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``, then the tokens seen.

    >>> vocab = Vocabulary.build([("jump", "twice"), ("walk",)])
    >>> vocab.encode(("walk", "run"), eos=True)
    [6, 3, 2]
    >>> vocab.decode([6, 2, 4])
    ('walk',)
    """

    pad_id, bos_id, eos_id, unk_id = range(len(SPECIALS))

    def __init__(self, tokens: Iterable[str]) -> None:
        """Args: tokens: the non-special tokens in id order (ids start at 4); duplicates are an error."""
        self.tokens: tuple[str, ...] = (*SPECIALS, *tokens)
        self._ids = {token: index for index, token in enumerate(self.tokens)}
        if len(self._ids) != len(self.tokens):
            raise ValueError("vocabulary tokens must be unique and must not repeat the special tokens")

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]]) -> Vocabulary:
        """The vocabulary of every token in ``sequences``, in order of first appearance."""
        seen: dict[str, None] = {}
        for sequence in sequences:
            for token in sequence:
                if token not in SPECIALS:
                    seen.setdefault(token, None)
        return cls(seen)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.tokens == other.tokens

    def __hash__(self) -> int:
        return hash(self.tokens)

    def encode(self, tokens: Sequence[str], bos: bool = False, eos: bool = False) -> list[int]:
        """Ids of ``tokens`` (shape (n,) -> (n + bos + eos,)); unknown tokens map to ``<unk>``."""
        ids = [self._ids.get(token, self.unk_id) for token in tokens]
        return [self.bos_id] * bos + ids + [self.eos_id] * eos

    def decode(self, ids: Iterable[int]) -> tuple[str, ...]:
        """Tokens of ``ids`` up to the first ``<eos>`` (excluded); ``<pad>`` and ``<bos>`` are dropped."""
        tokens = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if index not in (self.pad_id, self.bos_id):
                tokens.append(self.tokens[index])
        return tuple(tokens)

    def to_json(self) -> list[str]:
        """The non-special tokens, in id order (what :meth:`from_json` reads back)."""
        return list(self.tokens[len(SPECIALS) :])

    @classmethod
    def from_json(cls, data: Any) -> Vocabulary:
        """Rebuild a vocabulary saved by :meth:`to_json`.

        Raises:
            ValueError: ``data`` is not a list of strings.
        """
        if not isinstance(data, list) or not all(isinstance(token, str) for token in data):
            raise ValueError("a saved vocabulary must be a list of token strings")
        return cls(data)
