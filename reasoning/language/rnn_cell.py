"""One recurrent step, GRU or LSTM, behind one interface (the state of an LSTM is (h, c))."""

from __future__ import annotations

import torch
from torch import nn

from reasoning.language.config import CELLS


class RecurrentCell(nn.Module):
    """``step(x, state) -> state`` and ``output(state) -> h`` for a GRU or an LSTM cell of width ``hidden``."""

    def __init__(self, kind: str, input_size: int, hidden: int) -> None:
        super().__init__()
        if kind not in CELLS:
            raise ValueError(f"cell {kind!r}: choose one of {', '.join(CELLS)}")
        self.kind = kind
        self.cell = nn.GRUCell(input_size, hidden) if kind == "gru" else nn.LSTMCell(input_size, hidden)

    def initial(self, h: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The state whose output is ``h`` (B, H) (an LSTM starts with a zero cell)."""
        return h if self.kind == "gru" else (h, torch.zeros_like(h))

    def step(self, x: torch.Tensor, state: torch.Tensor | tuple[torch.Tensor, torch.Tensor]
             ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Input (B, E) and state -> next state."""
        return self.cell(x, state)

    @staticmethod
    def output(state: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The hidden vector (B, H) of a state."""
        return state[0] if isinstance(state, tuple) else state
