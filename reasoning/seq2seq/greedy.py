"""Batched greedy decoding of any :class:`~reasoning.seq2seq.network.Seq2SeqNetwork`."""

from __future__ import annotations

import torch

from reasoning.seq2seq.network import Seq2SeqNetwork

COMPACT_SHARE = 0.25  # finished share of the decoding batch that triggers dropping the finished rows


@torch.no_grad()
def greedy_decode(network: Seq2SeqNetwork, source: torch.Tensor, source_padding: torch.Tensor, bos_id: int,
                  eos_id: int, pad_id: int, max_length: int) -> torch.Tensor:
    """Decode a batch by taking the most likely token at every step, until every row emitted ``<eos>``.

    Rows that have emitted ``<eos>`` leave the batch once they are a quarter of it, so a few long
    outputs do not make the whole batch pay for their length.

    Args:
        network: the encoder-decoder (put in eval mode by the caller).
        source: source ids, shape (B, S).
        source_padding: True at source padding, shape (B, S).
        bos_id, eos_id, pad_id: ids of ``<bos>``, ``<eos>`` and ``<pad>`` in the target vocabulary.
        max_length: the most output tokens per row (``<eos>`` included); rows still running then are cut.

    Returns:
        Output ids, shape (B, L) with L <= max_length: each row's tokens, its ``<eos>`` if it emitted
        one, then ``pad_id``.
    """
    batch = source.shape[0]
    outputs = torch.full((batch, max_length), pad_id, dtype=torch.long, device=source.device)
    active = torch.arange(batch, device=source.device)  # original row of each row in the decoding batch
    done = torch.zeros(batch, dtype=torch.bool, device=source.device)  # emitted <eos> (rows of the batch)
    state = network.start_decoding(source, source_padding)
    tokens = torch.full((batch,), bos_id, dtype=torch.long, device=source.device)
    length = 0
    while length < max_length:
        logits, state = network.decode_step(state, tokens)
        tokens = logits.argmax(dim=-1)
        outputs[active[~done], length] = tokens[~done]
        length += 1
        done |= tokens == eos_id
        n_done = int(done.sum())
        if n_done == len(done):
            break
        if COMPACT_SHARE * len(done) <= n_done:  # drop finished rows now and then, not at every <eos>
            keep = (~done).nonzero().squeeze(1)
            active, tokens, done = active[keep], tokens[keep], done[keep]
            state = network.select_rows(state, keep)
    return outputs[:, :length]
