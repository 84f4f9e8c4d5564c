"""Subcommands contributed by ``envs``: ``slotmind envs list|bench`` and ``slotmind play``."""

from __future__ import annotations

import argparse
import os

from envs.command_line import HelpFormatter, positive_int, seed_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``envs`` and ``play`` to the root parser (parsers only; imports happen on use)."""
    group = subparsers.add_parser("envs", help="list environments or benchmark their speed",
                                  formatter_class=HelpFormatter)
    group.set_defaults(group_parser=group)
    actions = group.add_subparsers(title="actions", dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="print every env id", formatter_class=HelpFormatter)
    listing.set_defaults(handler=_list)
    bench = actions.add_parser(
        "bench", help="steps/s of every ObjectWorld task beside MiniGrid, on one core",
        description="Measure, in one run and pinned to one CPU core, the steps/s of each ObjectWorld task "
                    "(objects and 64x64 rgb observations; single gymnasium env and the batched VecEnv) "
                    "beside MiniGrid-Empty-8x8 (symbolic and 64x64 RGB), and the numba compile time. "
                    "Writes bench.json and bench.csv to a run folder and prints its path last.",
        formatter_class=HelpFormatter,
    )
    bench.add_argument("--seconds", type=float, default=0.5, help="measuring time per cell")
    bench.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 1024],
                       help="numbers of envs for the batched VecEnv")
    bench.add_argument("--tasks", nargs="+", default=None,
                       help="task names to measure (default: all of ObjectGoal OddOneOut Push Collect)")
    bench.add_argument("--skip-compile-timing", action="store_true",
                       help="do not time the numba compile in fresh processes (saves ~10 s)")
    bench.add_argument("--run-dir", default=None, help="folder for bench.json/csv (default: runs/envs-bench-<time>)")
    bench.set_defaults(handler=_bench)
    register_play(subparsers)


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console

    from envs.registry import available_ids

    console = Console()
    for env_id in available_ids():
        console.print(env_id)
    return 0


def register_play(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``slotmind play``."""
    play = subparsers.add_parser(
        "play", help="play an env in a pygame window, or record a rollout headless",
        description="Play ENV_ID with the keyboard (arrows act, space/p/d where the env has such actions, "
                    "r resets, q quits), or with --record write a GIF/MP4 of a random-policy rollout "
                    "without opening a window.",
        formatter_class=HelpFormatter,
    )
    play.add_argument("env_id", metavar="ENV_ID", help="an id from `slotmind envs list`, e.g. slotmind/ObjectGoal-v0")
    play.add_argument("--record", metavar="PATH", help="write a .gif or .mp4 instead of opening a window")
    play.add_argument("--steps", type=positive_int, default=200, help="steps to record (with --record)")
    play.add_argument("--seed", type=seed_int, default=0, help="seed of the env and the recording policy")
    play.add_argument("--fps", type=positive_int, default=10, help="frames per second of the recording / window")
    play.set_defaults(handler=_play)


def _play(args: argparse.Namespace) -> int:
    from envs.command_line import UserError
    from envs.recording import check_video_path
    from envs.registry import make_env

    if args.steps < 1:
        raise UserError(f"--steps {args.steps}: give at least 1 step")
    if args.record is None and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise UserError("no display to open a window on; use --record out.gif to record headless")
    path = check_video_path(args.record) if args.record else None
    env = make_env(args.env_id, render_mode="rgb_array")
    try:
        if path is not None:
            from envs.viewer import record

            n_frames = record(env, str(path), steps=args.steps, seed=args.seed, fps=args.fps)
            print(f"wrote {n_frames} frames to {path}")
        else:
            from envs.viewer import play

            episode_return = play(env, seed=args.seed, fps=args.fps)
            print(f"last episode return {episode_return:.2f}")
    finally:
        env.close()
    return 0


def _bench(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from envs.bench import rows_as_dicts, run_bench, target_checks
    from envs.command_line import UserError
    from envs.registry import TASK_OF_NAME
    from envs.run_files import new_run_dir, write_csv_atomic, write_json_atomic

    tasks = tuple(args.tasks or TASK_OF_NAME)
    unknown = [t for t in tasks if t not in TASK_OF_NAME]
    if unknown:
        raise UserError(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASK_OF_NAME)}")
    if args.seconds <= 0 or min(args.batch_sizes) < 1:
        raise UserError("--seconds must be > 0 and every --batch-sizes value >= 1")
    core = _pin_to_one_core()
    console = Console()
    started = time.perf_counter()
    n_cells = 2 + len(tasks) * 2 * (1 + len(args.batch_sizes)) + (0 if args.skip_compile_timing else 1)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("measuring", total=n_cells)

        def report(label: str) -> None:
            progress.update(bar, advance=1, description=label)

        rows, compile_s = run_bench(args.seconds, tuple(args.batch_sizes), tasks, report,
                                     time_compile=not args.skip_compile_timing)
    wall = time.perf_counter() - started

    table = Table(title=f"Env throughput, one core (cpu {core}), {args.seconds:g} s per cell")
    for column in ("env", "obs", "path", "envs", "steps/s", "x MiniGrid"):
        table.add_column(column, justify="right" if column in ("envs", "steps/s", "x MiniGrid") else "left")
    for row in rows:
        table.add_row(row.env, row.obs, row.path, str(row.n_envs), f"{row.steps_per_s:,.0f}",
                      f"{row.ratio_vs_minigrid:,.1f}")
    console.print(table)
    targets = Table(title="Targets")
    for column in ("target", "measured", "met"):
        targets.add_column(column)
    checks = target_checks(rows)
    for name, measured, met in checks:
        targets.add_row(name, measured, "yes" if met else "NO")
    console.print(targets)
    if compile_s:
        console.print(f"numba: cold compile of all kernels {compile_s['cold_compile_s']:.2f} s; "
                      f"with a warm cache the first calls take {compile_s['warm_cache_s']:.2f} s")
    console.print(f"wall time {wall:.1f} s")

    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir("envs-bench")
    payload = {"rows": rows_as_dicts(rows), "compile": compile_s, "wall_s": wall, "cpu": core,
               "targets": [{"target": n, "measured": m, "met": ok} for n, m, ok in checks]}
    write_json_atomic(run_dir / "bench.json", payload)
    write_csv_atomic(run_dir / "bench.csv", rows_as_dicts(rows))
    print(run_dir)
    return 0


def _pin_to_one_core() -> int | None:
    """Restrict this process (and the compile-time subprocesses) to one CPU; returns its number."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core
