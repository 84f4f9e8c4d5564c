"""``slotmind reason train language`` and ``slotmind reason bench language``: parsers only at import
(routed here by :mod:`reasoning.family_routing`); torch and the games are imported by the handlers."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from envs.command_line import HelpFormatter, OneLineErrorParser, UserError

# flag -> help; the defaults come from LanguageConfig, which the handlers import.
CONFIG_HELP: dict[str, str] = {
    "game": "discrimination: the receiver picks the target among 1 + DISTRACTORS candidates; "
            "reconstruction: the receiver outputs every attribute",
    "attributes": "number of attributes of an object",
    "values": "number of values of each attribute (VALUES ** ATTRIBUTES objects)",
    "distractors": "discrimination: distractors shown beside the target",
    "train_distractors": "discrimination: distractors beside the target in each training game (0: as many as "
                         "--distractors; at most every other training object). More than the evaluation games "
                         "have makes a sender that leaves an attribute out lose more often, so it learns to "
                         "describe the whole object; accuracy is always measured with --distractors",
    "held_out": "fraction of attribute combinations never seen in training (held-out accuracy is measured on them)",
    "vocab": "vocabulary size, including symbol 0 which ends a message",
    "max_len": "most symbols a sender emits before the EOS that always closes a message",
    "hidden": "width of the agents' recurrent state",
    "embed": "width of the symbol embeddings",
    "cell": "recurrent cell of sender and receiver: gru or lstm",
    "reader": "how the absolute receiver reads a message: recurrent (the --cell over its symbols) or linear (one "
              "learned vector per (position, symbol), summed), which cannot give a new combination of known "
              "symbols a meaning of its own; linear runs learn by iterated learning (see --generations) and "
              "decode held-out objects far more often",
    "method": "gumbel: straight-through Gumbel-softmax; reinforce: score-function gradient for the sender "
              "with an entropy bonus and a running-mean baseline",
    "temperature": "Gumbel-softmax temperature (gradient of the relaxation)",
    "entropy_coeff": "REINFORCE: weight of the sender's entropy bonus",
    "baseline_decay": "REINFORCE: the baseline is the mean of the first 1 / (1 - DECAY) batch losses, then an "
                      "exponential moving average with this decay (0: the mean of every loss so far)",
    "lr": "Adam learning rate",
    "batch_size": "games per training step (0: 64 with gumbel, 128 with reinforce, whose score-function "
                  "gradient is noisier)",
    "steps": "training steps",
    "eval_every": "record accuracy and topsim every this many steps (the learning curve and topsim.png)",
    "relative": "relative representations: the sender's hidden state and the receiver's input become cosine "
                "similarities to ANCHORS fixed anchor objects (needed for zero-shot stitching)",
    "anchors": "number of anchor objects (drawn from the training objects with --data-seed)",
    "absolute_listener": "relative runs: weight of the loss of an absolute receiver trained beside the relative "
                         "one on the same messages (its gradient reaches every symbol; 0: none). Only the "
                         "relative receiver is evaluated and stitched",
    "generations": "iterated learning: split --steps into this many generations; each new one starts from a "
                   "fresh sender that first imitates the previous sender on part of the training objects, "
                   "and a fresh receiver (0: 8 for relative runs and linear-reader runs, 1 otherwise)",
    "imitation_steps": "iterated learning: steps a new sender spends imitating the previous one",
    "imitation_share": "iterated learning: fraction of the training objects whose messages a new sender is shown",
    "seed": "seed of the agents' initialisation and of the training games",
    "data_seed": "seed of the held-out split, the evaluation games and the anchors",
    "encoder": "grounded game: a `slotmind pretrain` run folder (or encoder.pt); the sender sees ObjectWorld scenes "
               "(3-5 objects) through this slot encoder and the receiver picks the described object among them",
    "scenes": "grounded game: scenes rendered (a --held-out fraction of them is never seen in training)",
}
BENCH_SKIPS = ("method", "seed", "relative", "reader")  # the bench sets these per run


def _add_config_flags(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """One flag per :class:`LanguageConfig` field (defaults from the dataclass, help from CONFIG_HELP)."""
    from reasoning.language.config import CELLS, GAMES, METHODS, READERS, LanguageConfig

    choices = {"game": GAMES, "cell": CELLS, "method": METHODS, "reader": READERS}
    for field in fields(LanguageConfig):
        if field.name in skip:
            continue
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(flag, action="store_true", help=CONFIG_HELP[field.name])
            continue
        kind: Any = {"int": int, "float": float, "str": str}[str(field.type)]
        parser.add_argument(flag, type=kind, default=field.default, choices=choices.get(field.name),
                            help=CONFIG_HELP[field.name])


def _add_common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", default=None, help="folder to write the run to (None: a new folder under runs/)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")


def train_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason train language``."""
    parser = OneLineErrorParser(
        prog=prog, formatter_class=HelpFormatter,
        description="Train a Sender and a Receiver to play a referential game on attribute-value objects.\n"
                    "Writes config.yaml, game.pt, metrics.json, history.csv, messages.csv and topsim.png.")
    _add_config_flags(parser)
    _add_common_flags(parser)
    parser.set_defaults(handler=_train)
    return parser


def bench_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of ``slotmind reason bench language``."""
    parser = OneLineErrorParser(
        prog=prog, formatter_class=HelpFormatter,
        description="Both training methods over seeds: accuracy, held-out accuracy, topsim, posdis, bosdis and\n"
                    "message entropy (mean ± std), and zero-shot stitching of senders and receivers from\n"
                    "different seeds with absolute vs relative representations.")
    _add_config_flags(parser, BENCH_SKIPS)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per method (0 .. SEEDS-1)")
    parser.add_argument("--methods", default="gumbel,reinforce", help="comma-separated training methods")
    parser.add_argument("--readers", default="linear,recurrent",
                        help="comma-separated receiver readers of the absolute runs (see `train language "
                             "--reader`); the relative runs use the first for their absolute listener, and "
                             "stitching compares them with the absolute runs of that reader")
    parser.add_argument("--iterated-steps", type=int, default=8000,
                        help="training steps of each run that learns by iterated learning (relative runs and "
                             "linear-reader runs: 8 generations by default, see --generations); the other runs "
                             "take --steps")
    parser.add_argument("--stitch-method", default="gumbel",
                        help="method whose seeds are stitched (also trained with relative representations); "
                             "'none' skips stitching")
    _add_common_flags(parser)
    parser.set_defaults(handler=_bench)
    return parser


# ----------------------------------------------------------------------------- handlers
def _config(args: argparse.Namespace, **overrides: Any) -> Any:
    from reasoning.language.config import LanguageConfig

    values = {f.name: getattr(args, f.name) for f in fields(LanguageConfig) if hasattr(args, f.name)}
    config = LanguageConfig(**{**values, **overrides})
    try:
        config.check()
    except ValueError as error:
        raise UserError(str(error)) from None
    return config


def _setup(args: argparse.Namespace) -> Any:
    """Threads, a rich console (160 columns when not a terminal)."""
    import torch
    from rich.console import Console

    if args.threads < 0:
        raise UserError(f"--threads {args.threads}: give 0 (torch's default) or more")
    if args.threads:
        torch.set_num_threads(args.threads)
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def _run_dir(args: argparse.Namespace, prefix: str) -> Any:
    from pathlib import Path

    from envs.run_files import new_run_dir

    if args.run_dir is None:
        return new_run_dir(prefix)
    path = Path(args.run_dir)
    if path.exists() and any(path.iterdir()):
        raise UserError(f"--run-dir {path} exists and is not empty; give a new folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _bar(progress: Any, label: str, steps: int) -> Any:
    """A progress callback showing step, loss and the latest accuracies on a rich task."""
    task = progress.add_task(label, total=steps)
    shown = {"text": ""}

    def update(snapshot: Any) -> None:
        if snapshot.train_accuracy is not None:
            held = "" if snapshot.held_out_accuracy is None else f" held-out {100 * snapshot.held_out_accuracy:.1f}%"
            shown["text"] = f" train {100 * snapshot.train_accuracy:.1f}%{held}"
        progress.update(task, completed=snapshot.step,
                        description=f"{label} loss {snapshot.loss:.3f}{shown['text']}")
        if snapshot.step == snapshot.steps:
            progress.remove_task(task)

    return update


def _train(args: argparse.Namespace) -> int:
    from rich.table import Table

    from reasoning.language.run_folder import write_run
    from reasoning.language.training import train
    from reasoning.seq2seq.progress_bar import new_progress

    config = _config(args)
    console = _setup(args)
    game = "grounded" if config.encoder else config.game
    run_dir = _run_dir(args, f"reason-language-{game}-{config.method}-s{config.seed}")
    with new_progress(console) as progress:
        if config.encoder:
            from reasoning.language.bench import run_grounded

            with console.status("rendering and encoding scenes"):
                m = run_grounded(config, [config.seed], config.method, lambda: run_dir,
                                 lambda name: _bar(progress, name, config.steps))["runs"][0]
            what = f"grounded (ObjectWorld scenes, chance {100 * m['chance']:.1f}%; metrics vs colour, shape)"
        else:
            result = train(config, _bar(progress, f"{config.method} {config.game}", config.steps))
            write_run(run_dir, result, config)
            m, what = result.metrics, f"{config.game}, {config.attributes} x {config.values}"
    table = Table(title=f"{what}, {config.method}, seed {config.seed} ({m['train_s']:.0f} s)")
    for name in ("accuracy", "held-out accuracy", "topsim", "posdis", "bosdis", "entropy (bits)"):
        table.add_column(name, justify="right")
    table.add_row(f"{100 * m['accuracy']:.1f}%", f"{100 * m['held_out_accuracy']:.1f}%", f"{m['topsim']:.3f}",
                  f"{m['posdis']:.3f}", f"{m['bosdis']:.3f}", f"{m['entropy']:.2f}")
    console.print(table)
    print(run_dir)
    return 0


def _bench(args: argparse.Namespace) -> int:
    import time

    from envs.run_files import write_csv_atomic, write_json_atomic
    from reasoning.language.bench import bench_cells, run_bench, run_grounded
    from reasoning.language.config import METHODS, READERS
    from reasoning.seq2seq.progress_bar import new_progress

    methods = [name.strip() for name in args.methods.split(",") if name.strip()]
    unknown = [name for name in [*methods, args.stitch_method] if name not in (*METHODS, "none")]
    if unknown or not methods:
        raise UserError(f"--methods/--stitch-method: unknown {', '.join(unknown) or 'empty list'}; "
                        f"choose from {', '.join(METHODS)}")
    readers = [name.strip() for name in args.readers.split(",") if name.strip()]
    if not readers or any(name not in READERS for name in readers):
        raise UserError(f"--readers {args.readers!r}: give a comma-separated list of {', '.join(READERS)}")
    if args.iterated_steps < 1:
        raise UserError(f"--iterated-steps {args.iterated_steps}: give 1 or more")
    if args.seeds < 1 or (args.stitch_method != "none" and args.seeds < 2):
        raise UserError(f"--seeds {args.seeds}: give at least 2 for stitching (or --stitch-method none)")
    base = _config(args)
    console = _setup(args)
    stitch = None if args.stitch_method == "none" or base.game != "discrimination" else args.stitch_method
    cells = bench_cells(methods, args.seeds, stitch, readers)
    folder: list[Any] = []

    def bench_dir() -> Any:
        if not folder:
            folder.append(_run_dir(args, f"reason-bench-language-{base.game}"))
        return folder[0]

    started = time.perf_counter()
    total = len(cells) + (args.seeds if base.encoder else 0)
    with new_progress(console) as progress:
        overall = progress.add_task(f"bench language: {total} runs", total=total)
        payload = run_bench(base, cells, bench_dir, args.iterated_steps,
                            on_start=lambda cell, steps: _bar(progress, cell.name, steps),
                            on_done=lambda cell, result: progress.advance(overall))

        def grounded_bar(name: str) -> Any:
            progress.advance(overall)
            return _bar(progress, name, base.steps)

        if base.encoder:
            payload["grounded"] = run_grounded(base, range(args.seeds), stitch or methods[0], bench_dir, grounded_bar)
    payload["wall_s"] = time.perf_counter() - started
    write_json_atomic(bench_dir() / "bench.json", payload)
    write_csv_atomic(bench_dir() / "bench.csv", payload["rows"])
    if payload["stitching"]:
        write_csv_atomic(bench_dir() / "stitching.csv",
                         [{k: v for k, v in row.items() if k != "matrix"} for row in payload["stitching"]])
    if "grounded" in payload:
        write_csv_atomic(bench_dir() / "grounded.csv", [payload["grounded"]["row"]])
    _print_bench(console, base, args.seeds, payload)
    print(bench_dir())
    return 0


def _print_bench(console: Any, base: Any, seeds: int, payload: dict[str, Any]) -> None:
    from rich.table import Table

    iterated = ""
    if any(row["generations"] > 1 for row in payload["rows"]) and payload.get("iterated_steps"):
        iterated = f" (runs with iterated learning: {payload['iterated_steps']})"
    title = (f"{base.game}, {base.attributes} attributes x {base.values} values, {base.distractors} distractors: "
             f"mean ± std over {seeds} seeds; {base.steps} steps per run{iterated}; "
             f"total {payload['wall_s'] / 60:.1f} min")
    table = Table(title=title)
    columns = ("method", "representation", "reader", "generations", "accuracy %", "held-out %", "topsim",
               "posdis", "bosdis", "entropy (bits)", "s/run")
    for column in columns:
        table.add_column(column, justify="left" if column in _TEXT_COLUMNS else "right", no_wrap=True)
    for row in payload["rows"]:
        table.add_row(row["method"], row["representation"], row["reader"], str(row["generations"]),
                      *_metric_cells(row))
    console.print(table)
    if "grounded" in payload:
        row = payload["grounded"]["row"]
        grounded = Table(title=f"grounded: ObjectWorld scenes (3-5 objects) through the slot encoder, "
                               f"{row['seeds']} seeds; {row['train_scenes']} training scenes, held-out = "
                               f"{row['held_out_scenes']} unseen scenes (chance {100 * row['chance']:.1f}%); "
                               "metrics against (colour, shape)")
        for column in columns:
            grounded.add_column(column.replace("representation", "input"),
                                justify="left" if column in _TEXT_COLUMNS else "right", no_wrap=True)
        grounded.add_row(row["method"], "slots", row["reader"], str(row["generations"]), *_metric_cells(row))
        console.print(grounded)
    if payload["stitching"]:
        first = payload["stitching"][0]
        stitched = Table(title=f"zero-shot stitching: {payload['stitch_method']} senders x receivers of other seeds, "
                               f"training objects; chance {100 * first['chance']:.1f}%")
        for column in ("representation", "same seed %", "stitched %", "stitched / same", "pairs"):
            stitched.add_column(column, justify="left" if column == "representation" else "right")
        for row in payload["stitching"]:
            stitched.add_row(row["representation"], _pm(row, "same_seed", 100, 1), _pm(row, "stitched", 100, 1),
                             f"{100 * row['ratio']:.0f}%", str(row["pairs"]))
        console.print(stitched)


_TEXT_COLUMNS = ("method", "representation", "reader")


def _pm(row: dict[str, Any], metric: str, scale: float = 1.0, digits: int = 3) -> str:
    """``mean ± std`` of ``row[metric + "_mean"]`` and ``row[metric + "_std"]``, times ``scale``."""
    return f"{scale * row[metric + '_mean']:.{digits}f} ± {scale * row[metric + '_std']:.{digits}f}"


def _metric_cells(row: dict[str, Any]) -> list[str]:
    """The bench table's metric columns for one row of means and stds."""
    return [_pm(row, "accuracy", 100, 1), _pm(row, "held_out_accuracy", 100, 1), _pm(row, "topsim"),
            _pm(row, "posdis"), _pm(row, "bosdis"), _pm(row, "entropy", digits=2), f"{row['train_s_mean']:.0f}"]
