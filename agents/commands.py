"""Subcommands contributed by ``agents``: ``slotmind pretrain`` and ``slotmind pretrain bench``."""

from __future__ import annotations

import argparse

from envs.command_line import HelpFormatter


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``pretrain`` (parsers only; torch is imported when a command runs)."""
    from agents.encoders.pretrain_config import MODEL_LOSSES, PretrainConfig

    defaults = PretrainConfig()
    parser = subparsers.add_parser(
        "pretrain", help="train a slot encoder (Slot Attention, optionally with cycle consistency)",
        description="Train a Slot Attention autoencoder on frames of an ObjectWorld task and score object "
                    "discovery (FG-ARI, mBO) on held-out and out-of-distribution frames.\n\n"
                    "Models: sa = plain Slot Attention; sa-sfs = + slot->feature->slot cycle loss; "
                    "sa-cycle = + both cycle losses (Didolkar et al. 2024).\n"
                    "Note: a large slot->feature->slot weight collapses training (slots that ignore the image); "
                    "keep --sfs-weight small (default 0.01) and switch it on after reconstruction has started "
                    "(--cycle-start).\n\n`slotmind pretrain bench --help` compares the models over seeds.",
        formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=_pretrain)
    parser.add_argument("--env", default=defaults.env_id, help="ObjectWorld id whose frames to train on")
    parser.add_argument("--model", choices=list(MODEL_LOSSES), default=defaults.model, help="which losses to use")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=None,
                        help=f"wall-clock training budget (default {defaults.minutes:g} when --steps is not given)")
    budget.add_argument("--steps", type=int, default=None, help="number of optimiser steps instead of --minutes")
    parser.add_argument("--slots", type=int, default=defaults.num_slots, help="number of slots K")
    parser.add_argument("--iterations", type=int, default=defaults.iterations, help="Slot Attention iterations T")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of weights, data and batches")
    parser.add_argument("--learned-queries", action="store_true",
                        help="BO-QSA: learned slot queries with a straight-through last iteration")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="frames per step")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam learning rate (after warm-up)")
    parser.add_argument("--sfs-weight", type=float, default=defaults.sfs_weight,
                        help="weight of the slot->feature->slot loss (sa-sfs, sa-cycle)")
    parser.add_argument("--fsf-weight", type=float, default=defaults.fsf_weight,
                        help="weight of the feature->slot->feature loss (sa-cycle)")
    parser.add_argument("--cycle-temperature", type=float, default=defaults.cycle_temperature,
                        help="temperature of the slot/feature affinities (cosine similarities)")
    parser.add_argument("--cycle-start", type=int, default=defaults.cycle_start,
                        help="step at which the cycle losses switch on (then ramp over --cycle-ramp steps)")
    parser.add_argument("--cycle-ramp", type=int, default=defaults.cycle_ramp, help="ramp length in steps")
    parser.add_argument("--tta-steps", type=int, default=defaults.tta_steps,
                        help="test-time adaptation steps per batch in the final evaluation (0: off)")
    parser.add_argument("--train-frames", type=int, default=defaults.train_frames, help="training frames to collect")
    parser.add_argument("--eval-frames", type=int, default=defaults.eval_frames,
                        help="held-out frames (same distribution) for the final scores")
    parser.add_argument("--ood-frames", type=int, default=defaults.ood_frames,
                        help="frames of each out-of-distribution split (more objects, unseen colours)")
    parser.add_argument("--eval-every", type=float, default=defaults.eval_every_s,
                        help="seconds between evaluations (each also rewrites the checkpoint)")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads")
    parser.add_argument("--run-dir", default=None, help="output folder (default: runs/pretrain-<model>-<time>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar (for logs and the bench)")

    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION")
    bench = actions.add_parser(
        "bench", help="SA vs SA + slot->feature->slot vs SA + both cycle losses, over seeds",
        description="Train every model for every seed with the same wall-clock budget (runs go in parallel "
                    "with one torch thread each), then print FG-ARI and mBO (mean ± std over seeds) on held-out "
                    "and out-of-distribution frames, with and without test-time adaptation, the training "
                    "images/s, and the encoding speed of 64x64 frames in batches of 64.",
        formatter_class=HelpFormatter,
    )
    bench.add_argument("--models", default=",".join(MODEL_LOSSES), help="comma-separated models to compare")
    bench.add_argument("--seeds", type=int, default=3, help="seeds per model (0..N-1)")
    bench.add_argument("--minutes", type=float, default=8.0, help="wall-clock training budget of every run")
    bench.add_argument("--jobs", type=int, default=2, help="runs trained at the same time (one thread each)")
    bench.add_argument("--env", default=defaults.env_id, help="ObjectWorld id whose frames to train on")
    bench.add_argument("--extra", default="", help="extra flags passed to every `slotmind pretrain` run, quoted")
    bench.add_argument("--run-dir", default=None, help="output folder (default: runs/pretrain-bench-<time>)")
    bench.set_defaults(handler=_bench)


def _pretrain(args: argparse.Namespace) -> int:
    from agents.encoders.pretrain_cli import run_pretrain

    return run_pretrain(args)


def _bench(args: argparse.Namespace) -> int:
    from agents.encoders.pretrain_bench import run_bench

    return run_bench(args)
