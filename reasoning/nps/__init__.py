"""Neural production systems (Goyal et al., NeurIPS 2021) and their baselines.

A set of rules, each a learned embedding plus its own MLP, updates a set of slots: attention with a
straight-through Gumbel-softmax picks a (primary slot, rule) pair, then a contextual slot for that
rule, and the rule's MLP updates the primary slot from (primary, contextual); a null rule changes
nothing (:mod:`reasoning.nps.production_system`, sequential and parallel). Baselines: an MLP over
the concatenated state and a message-passing GNN over all pairs. Tasks: the paper's arithmetic toy
(:mod:`reasoning.nps.arithmetic_data`) and one-step dynamics of ``slotmind/RuleWorld-v0``, whose
ground truth is the numba production-rule engine (:mod:`reasoning.nps.transitions`).
"""
