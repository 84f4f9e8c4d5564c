"""``slotmind reason train pointer`` and ``slotmind reason bench pointer``: parsers (argparse only;
the handlers import torch and numba when they run)."""

from __future__ import annotations

import argparse

from envs.command_line import HelpFormatter, OneLineErrorParser, lazy_handler

TASK_CHOICES = ("sort", "hull", "delaunay", "tsp")
DECODING_CHOICES = ("greedy", "sample", "beam")
DEFAULT_CELLS = ("sort:10:ptrnet:1", "hull:10:ptrnet:2", "tsp:10:ptrnet:3", "tsp:20:attention:5")
TRAIN_DESCRIPTION = (
    "Train a pointer network on one task, then score it on a held-out seeded test set against the\n"
    "exact reference (and, for the TSP, nearest neighbour, farthest insertion and 2-opt).\n"
    "Writes runs/pointer-TASK-nN-MODEL-<time>/: model.pt (best validation), history.csv,\n"
    "metrics.json/.csv and examples.png (predictions beside the exact answers).")

BENCH_DESCRIPTION = (
    "Train and score several pointer-network cells and print one table: task, n, model, decoding,\n"
    "metric, gap to the exact reference, classical baselines on the same instances, times and the\n"
    "published number. Also times Held-Karp at n=20. Writes bench.json/.csv and one folder per cell\n"
    "under runs/pointer-bench-<time>/ and prints that path last.")


def _add_common(parser: argparse.ArgumentParser, decodings: str, handler: str) -> argparse.ArgumentParser:
    """Add the flags shared by train and bench (model size, optimiser, evaluation) and the handler
    (a function of :mod:`reasoning.pointer.bench_command`); returns ``parser``."""
    group = parser.add_argument_group("training")
    group.add_argument("--seed", type=int, default=0, help="seed of the model and of the training, validation "
                       "and test data streams (all generated on the fly, disjoint)")
    group.add_argument("--batch-size", type=int, default=128, help="instances per optimiser step")
    group.add_argument("--lr", type=float, default=None,
                       help="Adam learning rate (default: 1e-3 for ptrnet, 1e-4 for attention)")
    group.add_argument("--hidden", type=int, default=128, help="LSTM width (ptrnet) / embedding width (attention)")
    group.add_argument("--layers", type=int, default=3, help="attention-model encoder layers")
    group.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: only the time budget)")
    group.add_argument("--valid-size", type=int, default=512, help="held-out validation instances (best checkpoint)")
    group.add_argument("--eval-seconds", type=float, default=30.0,
                       help="seconds between validations (and greedy-rollout baseline checks)")
    group = parser.add_argument_group("evaluation")
    group.add_argument("--eval-size", type=int, default=500,
                       help="held-out test instances (TSP n <= 20: solved exactly by Held-Karp, ~0.3 s each at n=20)")
    group.add_argument("--decodings", default=decodings,
                       help=f"comma-separated decodings to score, from {', '.join(DECODING_CHOICES)}")
    group.add_argument("-k", "--k", type=int, default=16, help="samples of 'sample' (best of k) / width of 'beam'")
    group.add_argument("--threads", type=int, default=1, help="torch threads")
    group.add_argument("--run-dir", default=None, help="write here instead of a new runs/pointer-... folder")
    parser.set_defaults(handler=lazy_handler(f"reasoning.pointer.bench_command:{handler}"))
    return parser


def train_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason train pointer``."""
    parser = OneLineErrorParser(prog=prog, formatter_class=HelpFormatter, description=TRAIN_DESCRIPTION)
    parser.add_argument("--task", choices=TASK_CHOICES, default="tsp",
                        help="sort numbers, convex hull, Delaunay triangulation, or travelling salesman")
    parser.add_argument("--n", type=int, default=10, help="inputs per instance")
    parser.add_argument("--model", choices=("ptrnet", "attention"), default="ptrnet",
                        help="ptrnet: LSTM Ptr-Net, supervised on exact labels; attention: Kool et al.'s transformer, "
                             "REINFORCE with a greedy-rollout baseline on the TSP (supervised on other tasks)")
    parser.add_argument("--minutes", type=float, default=2.0, help="training time budget")
    return _add_common(parser, "greedy", "run_train")


def bench_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason bench pointer``."""
    parser = OneLineErrorParser(prog=prog, formatter_class=HelpFormatter, description=BENCH_DESCRIPTION)
    parser.add_argument("cells", nargs="*", default=list(DEFAULT_CELLS),
                        help="cells as TASK:N:MODEL:MINUTES[:KEY=VALUE,...] (tasks: sort, hull, delaunay, tsp; "
                             "models: ptrnet, attention; KEY: hidden, layers, lr, batch_size override the flags "
                             "below for that cell)")
    parser.add_argument("--held-karp-instances", type=int, default=5, help="instances of the Held-Karp n=20 timing")
    return _add_common(parser, "greedy,sample,beam", "run_bench")

