"""``slotmind train`` and ``slotmind eval``: flags -> runs, rich progress, summary tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agents.run_reporter import RunReporter, wide_console
from agents.training.reference_policies import REFERENCE_LABELS
from agents.training.train_config import TrainConfig, parse_hyperparams
from envs.command_line import UserError
from envs.devices import resolve_device
from envs.registry import check_env_id, is_minigrid
from envs.run_files import check_new_run_dir, new_run_dir


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run's configuration from the flags; ValueError (one line) for anything wrong, before a file is written."""
    check_env_id(args.env)
    resolve_device(args.device)  # --device cuda without a GPU: one line before any file is written
    return TrainConfig(env_id=args.env, algo=args.algo, encoder=args.encoder, timesteps=args.timesteps,
                       seed=args.seed, n_envs=args.n_envs, eval_freq=args.eval_freq, save_freq=args.save_freq,
                       eval_episodes=args.eval_episodes, eval_splits=args.eval_splits,
                       pretrained=checked_encoder(args.pretrained), finetune=args.finetune, device=args.device,
                       threads=args.threads, hyperparams=parse_hyperparams(args.hyperparams or []))


def checked_encoder(pretrained: str | None) -> str | None:
    """``--pretrained`` as an absolute path (so the run can be evaluated from any folder), after checking
    that it holds a readable encoder; CheckpointError (a ValueError) names what is wrong."""
    if pretrained is None:
        return None
    from agents.encoders.api import SlotEncoder

    SlotEncoder.load(pretrained)
    return str(Path(pretrained).resolve())


def results_table(title: str, results: list[dict]) -> Table:
    """One row per evaluated (policy, split): success rate and mean return with 95% intervals; a result's
    "policy_name" labels its row (a learned run's rows say "learned")."""
    table = Table(title=title)
    for column in ("policy", "split", "episodes", "success rate [95% CI]", "mean return [95% CI]"):
        table.add_column(column, justify="left" if column in ("policy", "split") else "right")
    for r in results:
        name = r.get("policy_name", "learned")
        table.add_row(REFERENCE_LABELS.get(name, name), r["split"], str(r["episodes"]),
                      f"{r['success_rate']:.3f} [{r['success_ci95'][0]:.3f}, {r['success_ci95'][1]:.3f}]",
                      f"{r['mean_return']:.3f} [{r['return_ci95'][0]:.3f}, {r['return_ci95'][1]:.3f}]")
    return table


def reference_results(env_id: str, splits: list[str], episodes: int, seed: int) -> list[dict]:
    """Random and (on ObjectWorld ids) scripted results on every split, on the episodes a run of ``seed`` plays."""
    from agents.training.reference_policies import REFERENCE_POLICIES, evaluate_reference

    names = [n for n in REFERENCE_POLICIES if n == "random" or not is_minigrid(env_id)]
    return [evaluate_reference(name, env_id, split, episodes, seed) for split in splits for name in names]


def run_train(args: argparse.Namespace) -> int:
    from agents.encoders.checkpoint import CheckpointError
    from agents.training.trainer import TrainingDivergedError, train

    console = wide_console()
    if args.fps_check is not None:
        return _fps_check(args, console)
    if args.resume:
        run_dir = Path(args.resume)
        config = TrainConfig.load(run_dir)
        from agents.training.callbacks import CHECKPOINT_DIR, LATEST, read_progress

        if not (run_dir / CHECKPOINT_DIR / LATEST).is_file():
            raise UserError(f"{run_dir} has no checkpoint to resume from yet; start it again with `slotmind train`")
        console.print(f"resuming {run_dir} from step {read_progress(run_dir)} of {config.timesteps}")
    else:
        config = config_from_args(args)
        if args.run_dir:
            check_new_run_dir(Path(args.run_dir), "slotmind train --resume")
        run_dir = Path(args.run_dir) if args.run_dir else new_run_dir(
            f"train-{config.env_id.split('/')[-1]}-{config.encoder}-s{config.seed}")
        console.print(f"training {config.algo} + {config.encoder} on {config.env_id} for {config.timesteps:,} steps "
                      f"with {config.n_envs} envs (seed {config.seed}) -> {run_dir}")
        console.print(f"hyperparameters: {config.hyperparams_source}", highlight=False)
    try:
        with RunReporter(console, quiet=args.quiet) as reporter:
            evaluations = train(config, run_dir, resume=bool(args.resume), reporter=reporter)
    except (TrainingDivergedError, CheckpointError) as error:
        raise UserError(str(error)) from error
    table = results_table(f"{config.encoder} on {config.env_id}, {evaluations['num_timesteps']:,} steps",
                          evaluations["final"])
    rl_s = evaluations["wall_s"] - evaluations["pretrain_s"]
    table.caption = (f"{evaluations['env_steps_per_s']:,.0f} env steps/s over {rl_s:.0f} s of RL (evaluations "
                     f"included); whole run {evaluations['wall_s']:.0f} s")
    console.print(table)
    print(run_dir)
    return 0


def _fps_check(args: argparse.Namespace, console: Console) -> int:
    import torch

    from agents.encoders.api import SlotEncoder
    from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder
    from agents.training.fps_check import fps_ratio

    config = config_from_args(args)
    if args.fps_check < 1:
        raise UserError("--fps-check needs a positive number of steps")
    torch.set_num_threads(config.threads)
    encoder = None
    if config.uses_slots and not config.finetune:
        # Speed does not depend on the weights: an untrained encoder of the default size stands in.
        untrained = SlotAutoencoder(ModelConfig())
        encoder = SlotEncoder.load(config.pretrained) if config.pretrained else SlotEncoder(untrained)
    result = fps_ratio(config, encoder, config.pretrained, args.fps_check)
    table = Table(title=f"SB3 {config.algo} fps on {config.env_id} with --encoder {config.encoder}, "
                        f"{config.n_envs} envs, {config.threads} threads")
    for column in ("real VecEnv fps", "constant VecEnv fps", "ratio", "target"):
        table.add_column(column, justify="right")
    table.add_row(f"{result['real_fps']:,.0f}", f"{result['constant_fps']:,.0f}", f"{result['ratio']:.3f}",
                  ">= 0.9 " + ("met" if result["ratio"] >= 0.9 else "NOT met"))
    if encoder is not None:
        table.caption = ("both VecEnvs feed the same frozen slot encoder (constant frames on the right), so the "
                         "ratio measures the environment alone")
    console.print(table)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from agents.training.evaluate_run import evaluate_run_dir

    console = wide_console()
    if args.policy is not None:
        if args.run_dir is not None:
            raise UserError("give either RUN_DIR or --policy, not both")
        from agents.training.reference_policies import evaluate_reference

        check_env_id(args.env)
        results = [evaluate_reference(args.policy, args.env, split, args.episodes, args.seed) for split in args.split]
        console.print(results_table(f"{args.policy} policy on {args.env}", results))
        return 0
    if args.run_dir is None:
        raise UserError("give a run folder (RUN_DIR, from `slotmind train`) or --policy random|scripted --env ID")
    run_dir = Path(args.run_dir)
    results = evaluate_run_dir(run_dir, args.split, args.episodes, progress=not args.quiet,
                               deterministic=not args.stochastic)
    if not args.no_references:
        config = TrainConfig.load(run_dir)
        results += reference_results(config.env_id, args.split, args.episodes, config.seed)
    policy = "sampled" if args.stochastic else "greedy"
    console.print(results_table(f"evaluation of {args.run_dir} ({policy} actions)", results))
    return 0
