"""Emergent-language referential games (EGG conventions).

A Sender (GRU/LSTM) turns an object into a variable-length discrete message (symbol 0 ends it); a
Receiver reads it and either picks the target among candidates (discrimination) or outputs every
attribute (reconstruction). A :class:`~reasoning.language.game.Game` composes sender, receiver and
loss; it is trained with straight-through Gumbel-softmax or REINFORCE. Metrics (topographic
similarity, positional and bag-of-symbols disentanglement, message entropy) are pure functions in
:mod:`reasoning.language.metrics`; :mod:`reasoning.language.relative` holds relative
representations (Moschella et al., ICLR 2023) for zero-shot stitching of agents across seeds.
"""
