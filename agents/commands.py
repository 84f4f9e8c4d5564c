"""Subcommands contributed by ``agents``: ``pretrain`` (and ``pretrain bench``), ``train``, ``eval``, ``compare``,
``watch`` and ``sweep``."""

from __future__ import annotations

import argparse

from envs.command_line import HelpFormatter, lazy_handler, positive_int, seed_int
from envs.devices import DEVICE_CHOICES, DEVICE_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``pretrain`` (parsers only; torch is imported when a command runs)."""
    from agents.encoders.pretrain_config import MODEL_LOSSES, PRECISIONS, PretrainConfig

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
    parser.set_defaults(handler=lazy_handler("agents.encoders.pretrain_cli:run_pretrain"))
    parser.add_argument("--env", default=defaults.env_id, help="ObjectWorld id whose frames to train on")
    parser.add_argument("--model", choices=list(MODEL_LOSSES), default=defaults.model, help="which losses to use")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=None,
                        help=f"wall-clock training budget (default {defaults.minutes:g} when --steps is not given)")
    budget.add_argument("--steps", type=int, default=None, help="number of optimiser steps instead of --minutes")
    parser.add_argument("--slots", type=int, default=defaults.num_slots, help="number of slots K")
    parser.add_argument("--iterations", type=int, default=defaults.iterations, help="Slot Attention iterations T")
    parser.add_argument("--seed", type=seed_int, default=defaults.seed, help="seed of weights, data and batches")
    parser.add_argument("--learned-queries", action="store_true",
                        help="BO-QSA: learned slot queries with a straight-through last iteration")
    parser.add_argument("--background", action="store_true",
                        help="decode the slots over a learned background layer (the empty background is one segment)")
    parser.add_argument("--foreground-weight", type=float, default=defaults.foreground_weight,
                        help="with --background: weight of the share of pixels the slots claim (ramped in with the "
                             "cycle losses)")
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
    parser.add_argument("--threads", type=positive_int, default=defaults.threads, help="torch CPU threads")
    parser.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                        help="training arithmetic: bfloat16 autocast is faster on CPUs with bf16 instructions")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=defaults.device, help=DEVICE_HELP)
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
    bench.add_argument("--seeds", type=positive_int, default=3, help="seeds per model (0..N-1)")
    bench.add_argument("--minutes", type=float, default=8.0, help="wall-clock training budget of every run")
    bench.add_argument("--jobs", type=positive_int, default=2, help="runs trained at the same time (one thread each)")
    bench.add_argument("--env", default=defaults.env_id, help="ObjectWorld id whose frames to train on")
    bench.add_argument("--extra", default="", help="extra flags passed to every `slotmind pretrain` run, quoted")
    bench.add_argument("--run-dir", default=None, help="output folder (default: runs/pretrain-bench-<time>)")
    bench.set_defaults(handler=lazy_handler("agents.encoders.pretrain_bench:run_bench"))
    register_training(subparsers)
    register_analysis(subparsers)
    register_sweep(subparsers)


def register_training(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``train`` and ``eval``."""
    from agents.training.train_config import ALGOS, ENCODERS, TrainConfig
    from envs.registry import VARIANTS

    defaults = TrainConfig()
    train = subparsers.add_parser(
        "train", help="train an RL agent (SB3) with a slot, CNN or ground-truth-object encoder",
        description="Train an agent on an ObjectWorld or MiniGrid id and write one run folder (config.yaml, "
                    "TensorBoard events, monitor CSV, checkpoints, model.zip, eval.json). With no arguments it "
                    "trains PPO with the slot-cycle encoder on ObjectGoal (pretraining the encoder first), "
                    "about 10 minutes on 2 cores. `--resume RUN_DIR` continues a killed run.",
        formatter_class=HelpFormatter,
    )
    train.add_argument("--env", default=defaults.env_id, help="env id (`slotmind envs list`)")
    train.add_argument("--algo", choices=ALGOS, default=defaults.algo, help="SB3 algorithm")
    train.add_argument("--encoder", choices=ENCODERS, default=defaults.encoder,
                       help="cnn: end-to-end NatureCNN; slots/slots-cycle: pretrained Slot Attention (plain / "
                            "cycle-consistency) pooled by a CLS transformer; objects: ground-truth objects (oracle)")
    train.add_argument("-n", "--timesteps", type=positive_int, default=None,
                       help="total env steps (default: n_timesteps of agents/hyperparams/<algo>.yml for the env)")
    train.add_argument("--seed", type=seed_int, default=defaults.seed, help="seed of the policy and envs")
    train.add_argument("--n-envs", type=positive_int, default=None,
                       help="parallel envs in one batched VecEnv (default: n_envs of the hyperparameter file)")
    train.add_argument("--eval-freq", type=int, default=defaults.eval_freq,
                       help="env steps between evaluations (0: off)")
    train.add_argument("--eval-episodes", type=positive_int, default=defaults.eval_episodes,
                       help="episodes per evaluation")
    train.add_argument("--eval-splits", nargs="+", default=defaults.eval_splits, choices=list(VARIANTS),
                       help="splits of the final evaluation (the training distribution is always one; the others "
                            "are recorded as `slotmind eval` records them)")
    train.add_argument("--save-freq", type=int, default=defaults.save_freq, help="env steps between checkpoints")
    train.add_argument("--pretrained", default=None,
                       help="slot encoder (a `slotmind pretrain` run folder or encoder.pt); pretrained first if absent")
    train.add_argument("--finetune", action="store_true", help="train the slot encoder with the policy (slow path)")
    train.add_argument("--hyperparams", nargs="*", metavar="KEY=VALUE",
                       help="override the env's entry in agents/hyperparams/<algo>.yml, e.g. n_steps=256 "
                            "learning_rate=1e-3 'policy_kwargs={net_arch: [64]}'")
    train.add_argument("--threads", type=positive_int, default=defaults.threads, help="torch CPU threads")
    train.add_argument("--device", choices=DEVICE_CHOICES, default=defaults.device, help=DEVICE_HELP)
    train.add_argument("--run-dir", default=None,
                       help="output folder (default: runs/train-<env>-<encoder>-s<seed>-<time>)")
    train.add_argument("--resume", metavar="RUN_DIR", default=None, help="continue this run from its last checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--fps-check", type=int, metavar="STEPS", default=None,
                       help="instead of a run: train STEPS steps on the real VecEnv and on a constant VecEnv of the "
                            "same spaces and print both fps and their ratio (is the env the bottleneck?)")
    train.set_defaults(handler=lazy_handler("agents.training.train_cli:run_train"))

    evaluate = subparsers.add_parser(
        "eval", help="evaluate a trained run, or the random / scripted reference policy, on named splits",
        description="Play --episodes episodes per split with the run's final (or last checkpointed) policy and "
                    "print success rate and mean return with 95%% confidence intervals; results are appended "
                    "to the run's eval.json. Beside the run, the table shows the random policy (the floor) and "
                    "the scripted planner (the ceiling; ObjectWorld ids) on the same episodes.\n\n"
                    "Without RUN_DIR, --policy random|scripted --env ID evaluates a reference policy alone.",
        formatter_class=HelpFormatter,
    )
    evaluate.add_argument("run_dir", metavar="RUN_DIR", nargs="?", default=None,
                          help="a folder written by `slotmind train` (or leave it out and give --policy)")
    evaluate.add_argument("--policy", choices=("random", "scripted"), default=None,
                          help="evaluate a reference policy instead of a run: random actions, or the planner "
                               "that reads the ground-truth objects")
    evaluate.add_argument("--env", default="slotmind/ObjectGoal-v0", help="env id of --policy (not of a run)")
    evaluate.add_argument("--seed", type=seed_int, default=0,
                          help="evaluation seed of --policy (a run uses its own seed, so the episodes match)")
    evaluate.add_argument("--split", nargs="+", default=["train"], choices=list(VARIANTS),
                          help="splits: the training distribution and out-of-distribution variants")
    evaluate.add_argument("--episodes", type=positive_int, default=200, help="episodes per split")
    evaluate.add_argument("--stochastic", action="store_true",
                          help="sample actions from the policy instead of taking the most likely one (recorded in "
                               "eval.json; `slotmind compare` uses deterministic results only)")
    evaluate.add_argument("--no-references", action="store_true",
                          help="leave the random and scripted rows out of a run's table")
    evaluate.add_argument("--quiet", action="store_true", help="no progress output")
    evaluate.set_defaults(handler=lazy_handler("agents.training.train_cli:run_eval"))


def register_analysis(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``compare`` and ``watch``."""
    from envs.registry import VARIANTS

    compare = subparsers.add_parser(
        "compare", help="compare runs across encoders and seeds: mean ± std table and learning curves",
        description="Group runs by env, encoder and algorithm and print success rate and mean return (mean ± std "
                    "over seeds), the success rate on every split evaluated with `slotmind eval`, and timesteps; "
                    "below each env's runs, the random policy (floor) and the scripted planner (ceiling) on the "
                    "same splits (200 episodes each). "
                    "Writes curves.png (return and success vs env steps, mean over seeds with a min-max band), "
                    "compare.json and compare.csv to a folder and prints its path last.",
        formatter_class=HelpFormatter,
    )
    compare.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                         help="folders written by `slotmind train`, or quoted glob patterns such as 'runs/train-*'")
    compare.add_argument("--out", default=None, help="output folder (default: runs/compare-<time>)")
    compare.add_argument("--smooth", type=int, default=0,
                         help="moving-average window of the curves, in episodes (0: 5%% of the shortest run)")
    compare.add_argument("--no-references", action="store_true",
                         help="leave out the random (floor) and scripted (ceiling) rows of each env")
    compare.set_defaults(handler=lazy_handler("agents.training.compare:run_compare"))

    watch = subparsers.add_parser(
        "watch", help="watch a trained agent in the pygame viewer (or --record it) with slot masks and V(s)",
        description="Play the run's policy (deterministic) in a window beside an overlay: for slot encoders each "
                    "slot's attention mask, colour-coded (segmentation and one tile per slot); for every encoder "
                    "the action chosen and the value estimate (V(s); max Q for DQN). q or Escape quits. "
                    "--record writes a GIF/MP4 of --steps steps without a window.",
        formatter_class=HelpFormatter,
    )
    watch.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `slotmind train`")
    watch.add_argument("--episodes", type=positive_int, default=5, help="episodes to play in the window")
    watch.add_argument("--record", metavar="PATH", help="write a .gif or .mp4 instead of opening a window")
    watch.add_argument("--steps", type=positive_int, default=200, help="steps to record (with --record)")
    watch.add_argument("--seed", type=seed_int, default=0, help="seed of the env")
    watch.add_argument("--fps", type=positive_int, default=10, help="frames per second of the window / recording")
    watch.add_argument("--split", default="train", choices=list(VARIANTS),
                       help="the training distribution or an out-of-distribution variant")
    watch.add_argument("--threads", type=positive_int, default=1, help="torch CPU threads")
    watch.set_defaults(handler=lazy_handler("agents.training.watch:run_watch"))


def register_sweep(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``sweep`` (Ray Tune is imported only when it runs)."""
    sweep = subparsers.add_parser(
        "sweep", help="a grid of train / pretrain / reason bench runs as Ray Tune trials, locally or on a cluster",
        description="Run every cell of SPEC.yaml's grid (e.g. encoder x seed) as exactly the run the single-machine "
                    "command makes, each in its own folder under one sweep folder (runs/sweep-<name>-<time>/cells/). "
                    "Every cell is checked before anything starts. Trials run one torch thread each (the spec's "
                    "`threads` flag changes it); a trial that dies is retried from its last checkpoint (train) up "
                    "to the spec's `retries`. The end prints one table over the cells (train: mean ± std over seeds "
                    "and curves.png, as `slotmind compare SWEEP_DIR`).\n\n"
                    "Needs Ray Tune: pip install 'slotmind[ray]'. "
                    "See agents/sweeps/objectgoal-encoders.yaml for a spec.",
        formatter_class=HelpFormatter,
    )
    sweep.add_argument("spec", metavar="SPEC.yaml", help="the sweep spec (with --resume also a sweep folder)")
    sweep.add_argument("--address", default=None, metavar="auto|HOST:PORT",
                       help="join a running Ray cluster (auto: the one started on this machine by `ray start`); "
                            "without it Ray starts locally")
    sweep.add_argument("--cpus", type=int, default=None, help="CPUs of the local Ray (default: all cores)")
    sweep.add_argument("--max-concurrent", type=int, default=0,
                       help="trials running at once (0: as many as the CPUs allow)")
    sweep.add_argument("--resume", action="store_true",
                       help="continue an interrupted sweep (the newest of this spec, or --sweep-dir); finished cells "
                            "are not rerun, killed ones continue from their checkpoints")
    sweep.add_argument("--sweep-dir", default=None, help="the sweep folder (default: runs/sweep-<name>-<time>)")
    sweep.set_defaults(handler=lazy_handler("agents.sweeps.sweep_cli:run_sweep"))
