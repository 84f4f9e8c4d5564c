"""Zero-shot stitching: the sender of one seed paired with the receiver of another, with no further
training (Moschella et al., ICLR 2023, section 5). With relative representations both agents speak
through cosine similarities to the same anchor objects, so the pair can still understand each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reasoning.language.game import Game, GameBatch
from reasoning.language.training import accuracy


@dataclass
class StitchingResult:
    """``matrix[i, j]``: accuracy of seed i's sender with seed j's receiver (S, S); same-seed pairs on
    the diagonal, stitched pairs off it; ``chance`` the accuracy of guessing."""

    matrix: np.ndarray
    chance: float

    @property
    def same_seed(self) -> np.ndarray:
        """(S,) accuracies of the models as trained."""
        return np.diag(self.matrix)

    @property
    def stitched(self) -> np.ndarray:
        """(S * (S - 1),) accuracies of the cross-seed pairs."""
        return self.matrix[~np.eye(len(self.matrix), dtype=bool)]

    @property
    def ratio(self) -> float:
        """Mean stitched accuracy over mean same-seed accuracy."""
        return float(self.stitched.mean() / max(self.same_seed.mean(), 1e-9))


def stitch(sender_game: Game, receiver_game: Game) -> Game:
    """A game made of ``sender_game``'s sender and ``receiver_game``'s receiver (modules shared, not copied)."""
    return Game(sender_game.sender, receiver_game.receiver, sender_game.method, sender_game.temperature,
                sender_game.entropy_coeff, sender_game.baseline.decay)


def stitching_matrix(games: Sequence[Game], batch: GameBatch, n_candidates: int) -> StitchingResult:
    """Every (sender seed, receiver seed) pair of ``games`` (trained from different seeds) evaluated
    greedily on ``batch``; ``n_candidates`` = distractors + 1 sets chance."""
    if len(games) < 2:
        raise ValueError("stitching needs games trained from at least two seeds")
    matrix = np.array([[accuracy(stitch(sender, receiver), batch) for receiver in games] for sender in games])
    return StitchingResult(matrix, 1.0 / n_candidates)
