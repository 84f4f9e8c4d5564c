"""``slotmind reason train nps`` and ``slotmind reason bench nps``: parsers (argparse only; the
handlers in :mod:`reasoning.nps.command_handlers` import torch and numba when they run)."""

from __future__ import annotations

import argparse

from envs.command_line import HelpFormatter, OneLineErrorParser, lazy_handler

TASK_CHOICES = ("arithmetic", "ruleworld")
MODEL_CHOICES = ("nps-seq", "nps-par", "gnn", "mlp")
TRAIN_DESCRIPTION = (
    "Train one model of the neural-production-system family and score it on held-out data.\n"
    "arithmetic: sequences of (number, +/-/x) over [0, 1] as in the official NPS code; teacher-forced\n"
    "step MSE, rollout MSE and rule segregation. ruleworld: one-step dynamics of slotmind/RuleWorld-v0\n"
    "(ground truth: the numba production-rule engine), trained with --train-objects objects and tested\n"
    "on held-out episodes with each of --test-objects; 1-step and --rollout-step MSE, rule AMI.\n"
    "Writes runs/nps-TASK-MODEL-sSEED-<time>/: config.json, model.pt, metrics.json/.csv, history.csv.")
BENCH_DESCRIPTION = (
    "Train and score, in one run: NPS sequential on arithmetic over --seeds seeds (and the MLP),\n"
    "and NPS sequential, NPS parallel, GNN and MLP on RuleWorld (3 objects train, 3/6/9 test), then\n"
    "time the numba rule engine against a plain-Python matcher on the same states. Prints one table\n"
    "(with each issue-8 target and whether it was met), writes bench.json/.csv and one folder per\n"
    "trained model under runs/nps-bench-<time>/, and prints that path last.")


def _object_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not counts:
        raise argparse.ArgumentTypeError("give at least one object count")
    return counts


def _add_common(parser: argparse.ArgumentParser, handler: str) -> argparse.ArgumentParser:
    """Flags shared by train and bench (model size, optimiser, data) and the handler; returns ``parser``."""
    group = parser.add_argument_group("training")
    group.add_argument("--batch-size", type=int, default=256, help="examples per optimiser step")
    group.add_argument("--lr", type=float, default=0.0,
                       help="Adam learning rate, cosine-annealed to 0 (0: 2e-3 arithmetic, 1e-3 RuleWorld)")
    group.add_argument("--hidden", type=int, default=64, help="slot and MLP width (the RuleWorld MLP uses 4x)")
    group.add_argument("--n-rules", type=int, default=0,
                       help="learned rules (0: the number of true rules, 3 arithmetic / 5 RuleWorld; RuleWorld "
                            "NPS also has the null rule)")
    group.add_argument("--temperature", type=float, default=1.0, help="Gumbel-softmax temperature in training")
    group.add_argument("--rule-mi", type=float, default=0.1,
                       help="weight of the slot-rule mutual information in the RuleWorld NPS objective (against rule "
                            "collapse; 0: plain MSE)")
    group.add_argument("--minutes", type=float, default=0.0, help="cap on each model's training time (0: no cap)")
    group = parser.add_argument_group("arithmetic data")
    group.add_argument("--train-sequences", type=int, default=10000, help="training sequences (official: 10000)")
    group.add_argument("--test-sequences", type=int, default=2000, help="held-out sequences (official: 2000)")
    group.add_argument("--length", type=int, default=20, help="steps per sequence (official: 20)")
    group = parser.add_argument_group("RuleWorld data")
    group.add_argument("--train-episodes", type=int, default=1000, help="training episodes")
    group.add_argument("--episode-steps", type=int, default=20, help="rule steps per training episode")
    group.add_argument("--test-episodes", type=int, default=200, help="held-out episodes per object count")
    group.add_argument("--train-objects", type=int, default=3, help="objects per training scene")
    group.add_argument("--test-objects", type=_object_counts, default=(3, 6, 9),
                       help="comma-separated object counts of the held-out sets (each in 1..9)")
    group.add_argument("--rollout", type=int, default=10, help="steps of the rollout MSE (predictions fed back)")
    group.add_argument("--radius", type=float, default=0.1, help="sprite radius (contact: centres closer than 2x)")
    group = parser.add_argument_group("run")
    group.add_argument("--threads", type=int, default=1, help="torch threads")
    group.add_argument("--run-dir", default=None, help="write here instead of a new runs/nps-... folder")
    parser.set_defaults(handler=lazy_handler(f"reasoning.nps.command_handlers:{handler}"))
    return parser


def train_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason train nps``."""
    parser = OneLineErrorParser(prog=prog, formatter_class=HelpFormatter, description=TRAIN_DESCRIPTION)
    parser.add_argument("--task", choices=TASK_CHOICES, default="arithmetic", help="which task to train on")
    parser.add_argument("--model", choices=MODEL_CHOICES, default="nps-seq",
                        help="nps-seq: NPS, one rule application at a time; nps-par: every slot applies a rule; "
                             "gnn: message passing over all pairs (ruleworld only); mlp: one MLP over the whole state")
    parser.add_argument("--seed", type=int, default=0, help="seed of the model, the batches and the data")
    parser.add_argument("--steps", type=int, default=0, help="optimiser steps (0: 8000 arithmetic, 4000 RuleWorld)")
    return _add_common(parser, "run_train")


def bench_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason bench nps``."""
    parser = OneLineErrorParser(prog=prog, formatter_class=HelpFormatter, description=BENCH_DESCRIPTION)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of NPS on arithmetic (seeds 0..N-1)")
    parser.add_argument("--ruleworld-seeds", type=int, default=1, help="seeds of each RuleWorld model")
    parser.add_argument("--arithmetic-steps", type=int, default=8000, help="optimiser steps per arithmetic model")
    parser.add_argument("--ruleworld-steps", type=int, default=4000, help="optimiser steps per RuleWorld model")
    parser.add_argument("--ruleworld-models", default="nps-seq,nps-par,gnn,mlp",
                        help="comma-separated RuleWorld models, from nps-seq, nps-par, gnn, mlp")
    parser.add_argument("--engine-worlds", type=int, default=256, help="worlds in the engine speed comparison")
    parser.add_argument("--engine-objects", type=int, default=9, help="objects per world in the speed comparison")
    return _add_common(parser, "run_bench")
