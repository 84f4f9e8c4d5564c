"""Subcommands contributed by ``reasoning``: ``slotmind reason data|train|eval|bench|models``.

Only parsers are built at registration; torch and the models are imported when a handler runs.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any

from envs.command_line import HelpFormatter, UserError
from reasoning.family_routing import RoutingParser, families_epilog, routed

FORMATS_HELP = ("File formats: scan 'IN: <command> OUT: <actions>' lines; pcfg a .src file of programs with its "
                ".tgt beside it; hint JSON Lines records {source, target, tree, values, subset}.")
SPLIT_HELP = "a split of the task; when not given: its first (simple, iid, symbol)"
OPTIONS_HELP = ("a size option of the task data as KEY=VALUE, repeatable: pcfg n_train; hint train_per_op, "
                "test_per_op, cap_fraction, repeat_short; scan official, primitive_share")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``reason`` and its actions to the root parser (parsers only; imports happen on use)."""
    group = subparsers.add_parser(
        "reason", help="systematic-generalisation data, seq2seq training, evaluation and bench",
        description="SCAN, PCFG SET and HINT: write splits to files, train the seq2seq baselines, score a "
                    "trained run on any data file, and benchmark models against published numbers.",
        formatter_class=HelpFormatter)
    group.set_defaults(group_parser=group)
    actions = group.add_subparsers(title="actions", dest="action", metavar="ACTION", parser_class=RoutingParser)
    _register_data(actions)
    _register_train(actions)
    _register_eval(actions)
    _register_bench(actions)
    _register_show(actions)
    models = actions.add_parser("models", help="list the registered models and their default hyperparameters",
                                formatter_class=HelpFormatter)
    models.set_defaults(handler=_models)


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="a data folder holding scan/ and pcfg/ (plain or .gz files); when not given: "
                             "$SLOTMIND_DATA, else the official files shipped in the package")
    parser.add_argument("--task-option", metavar="KEY=VALUE", action="append", default=[], help=OPTIONS_HELP)
    parser.add_argument("--data-seed", type=int, default=0,
                        help="seed of generated data (PCFG training programs, HINT, SCAN simple when built)")


def _add_training_flags(parser: argparse.ArgumentParser, minutes: float) -> None:
    parser.add_argument("--minutes", type=float, default=minutes, help="wall-clock training budget per run")
    parser.add_argument("--max-epochs", type=int, default=100, help="passes over the training data at most")
    parser.add_argument("--patience", type=int, default=5, help="validation checks without improvement before stopping")
    parser.add_argument("--valid-fraction", type=float, default=0.05,
                        help="share of the TRAINING examples held out (seeded) for early stopping")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    _add_data_flags(parser)


def _register_data(actions: argparse._SubParsersAction) -> None:
    data = actions.add_parser(
        "data", help="write a task split to files in the task's own format",
        description="Write every part of a split (train, test; PCFG also dev) to OUT in the task's own format: "
                    "scan <part>.txt, pcfg <part>.src + <part>.tgt, hint <part>.jsonl. " + FORMATS_HELP,
        formatter_class=HelpFormatter)
    data.add_argument("task", metavar="TASK",
                      help="scan, pcfg or hint; or `list`: every split with its sizes and source")
    data.add_argument("--split", default=None, help=SPLIT_HELP)
    data.add_argument("--out", metavar="DIR", default=None, help="folder to write into (created if needed)")
    _add_data_flags(data)
    data.set_defaults(handler=_data)


def _register_train(actions: argparse._SubParsersAction) -> None:
    train = actions.add_parser(
        "train", help="train a model on a split and save it to a run folder",
        description="Train MODEL with teacher forcing on the training part of a split, early-stopping on "
                    "exact-match accuracy over a seeded hold-out of the training data, then score it (greedy "
                    "decoding) on the split's test part. Writes config.yaml, checkpoint/ and metrics.json to "
                    "the run folder and prints its path last.",
        epilog=families_epilog("train"), formatter_class=HelpFormatter)
    routed(train, "train")
    train.add_argument("model", metavar="MODEL", help="a registered model (see `slotmind reason models`)")
    train.add_argument("--task", default="scan", help="the task: scan, pcfg or hint")
    train.add_argument("--split", default=None, help=SPLIT_HELP)
    train.add_argument("--seed", type=int, default=0, help="seed of initialisation, batch order and hold-out")
    train.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="settings",
                       help="a model hyperparameter, repeatable, e.g. --set hidden=256 --set batch_size=32")
    train.add_argument("--run-dir", metavar="DIR", default=None,
                       help="new or empty run folder; when not given: runs/reason-<model>-<task>-<split>-<time>")
    _add_training_flags(train, minutes=2.0)
    train.set_defaults(handler=_train)


def _register_eval(actions: argparse._SubParsersAction) -> None:
    evaluate = actions.add_parser(
        "eval", help="score a trained run on data files from any path",
        description="Score the model of RUN_DIR (greedy decoding, exact match) on each data FILE in the run's "
                    "task format, print the accuracy (per HINT subset where present) and append the results "
                    "to RUN_DIR/metrics.json. " + FORMATS_HELP,
        formatter_class=HelpFormatter)
    evaluate.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `slotmind reason train`")
    evaluate.add_argument("--data", metavar="FILE", nargs="+", required=True,
                          help="data files in the run's task format (PCFG: the .src)")
    evaluate.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    evaluate.set_defaults(handler=_eval)


def _register_bench(actions: argparse._SubParsersAction) -> None:
    bench = actions.add_parser(
        "bench", help="train + test models on splits over seeds; one table beside published numbers",
        description="For every split x model x seed: train (as `reason train`) and score on the split's test "
                    "part. Prints exact-match accuracy mean ± std over seeds and wall time per run beside the "
                    "published numbers (reasoning/published.py names the papers), writes bench.json and "
                    "bench.csv (and one run folder per cell under runs/) to the bench folder and prints its path last. "
                    "A run takes about --minutes plus its test decoding.",
        epilog=families_epilog("bench"), formatter_class=HelpFormatter)
    routed(bench, "bench")
    bench.add_argument("--task", default="scan", help="the task: scan, pcfg or hint")
    bench.add_argument("--models", default="gru,transformer", help="comma-separated registered models")
    bench.add_argument("--splits", default=None,
                       help="comma-separated splits; when not given: scan simple,length,add-jump,around-right; "
                            "pcfg iid,systematicity,productivity; hint symbol")
    bench.add_argument("--seeds", type=int, default=3, help="seeds per cell (0 .. N-1)")
    bench.add_argument("--set", metavar="[MODEL.]KEY=VALUE", action="append", default=[], dest="settings",
                       help="a hyperparameter of every model, or of MODEL only, repeatable, e.g. --set "
                            "batch_size=32 --set gru.hidden=256")
    bench.add_argument("--run-dir", metavar="DIR", default=None,
                       help="new or empty bench folder; when not given: runs/reason-bench-<task>-<time>")
    _add_training_flags(bench, minutes=0.5)
    bench.set_defaults(handler=_bench)


def _register_show(actions: argparse._SubParsersAction) -> None:
    show = actions.add_parser(
        "show", help="the tree a trained NSR builds for an input: symbols, arcs, each node's value",
        description="Print the Grounded Symbol System the NSR model of RUN_DIR builds for INPUT (its "
                    "dependency tree, each token's symbol and each node's value), and draw it to a PNG "
                    "with --png.",
        formatter_class=HelpFormatter)
    show.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `slotmind reason train nsr`")
    show.add_argument("input", metavar="INPUT", help='the input, tokens separated by spaces, e.g. "jump twice"')
    show.add_argument("--png", metavar="FILE", default=None, help="also draw the tree to this PNG file")
    show.set_defaults(handler=_show)


# ----------------------------------------------------------------------------- helpers


def _reports_missing_files(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a missing file or data folder into a one-line :class:`UserError` (exit code 2)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except FileNotFoundError as error:  # DataNotFoundError included
            raise UserError(" ".join(str(error).split())) from None

    return run


def _key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values parsed as YAML scalars)."""
    import yaml

    values = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise UserError(f"{flag} {pair!r}: expected KEY=VALUE")
        try:
            values[key] = yaml.safe_load(text)
        except yaml.YAMLError:
            values[key] = text
    return values


def _split_of(task: str, split: str | None) -> str:
    """``split``, or the task's first split when ``None``; an unknown task is a :class:`UserError`."""
    from reasoning.tasks import TASK_SPLITS

    if task not in TASK_SPLITS:
        raise UserError(f"unknown task {task!r}; choose one of {', '.join(TASK_SPLITS)}")
    return split if split is not None else TASK_SPLITS[task][0]


def _check_new_folder(path: str | None) -> None:
    """A ``--run-dir`` must be new or an empty folder."""
    from pathlib import Path

    if path is not None and Path(path).exists() and (not Path(path).is_dir() or any(Path(path).iterdir())):
        raise UserError(f"--run-dir {path} exists and is not an empty folder; give a new one")


def _set_threads(threads: int) -> None:
    if threads < 0:
        raise UserError(f"--threads {threads}: give 0 (torch's default) or more")
    if threads:
        import torch

        torch.set_num_threads(threads)


def _console() -> Any:
    """A rich console; when the output is not a terminal (a log file, a pipe), 160 columns wide."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


# ----------------------------------------------------------------------------- handlers


def _models(args: argparse.Namespace) -> int:
    from rich.table import Table

    from reasoning.seq2seq.registry import available_models, create_model

    table = Table(title="Registered seq2seq models (override with --set KEY=VALUE)")
    table.add_column("model")
    table.add_column("default hyperparameters")
    for name in available_models():
        config = create_model(name).config
        table.add_row(name, " ".join(f"{key}={value}" for key, value in config.items()))
    _console().print(table)
    return 0


@_reports_missing_files
def _data(args: argparse.Namespace) -> int:
    from rich.table import Table

    from reasoning.seq2seq.run_folder import TrainSpec
    from reasoning.seq2seq.task_files import write_split
    from reasoning.tasks import IMAGE_SPLITS

    if args.task == "list":
        return _data_list(args.data)
    if args.out is None:
        raise UserError("`reason data TASK` needs --out DIR, the folder to write the split's files into")
    split = _split_of(args.task, args.split)
    if split in IMAGE_SPLITS.get(args.task, ()):
        raise ValueError(f"{args.task}'s {split} split is drawn on the fly and its images do not fit token files; "
                         f"`reason data` writes the symbol split; `reason train nsr --split {split}` draws the images")
    spec = TrainSpec(model="", task=args.task, split=split, data_seed=args.data_seed,
                     task_options=_key_values(args.task_option, "--task-option"), data_dir=args.data)
    parts = spec.load_data()
    paths = write_split(args.task, parts, args.out)
    table = Table(title=f"{args.task} {split}", caption=f"source: {spec.data_source()}")
    table.add_column("file")
    table.add_column("examples", justify="right")
    sizes = {part: len(examples) for part, examples in parts.items()}
    for path in paths:
        table.add_row(str(path), f"{sizes[path.stem]:,}")
    _console().print(table)
    print(args.out)
    return 0


def _data_list(data_dir: str | None) -> int:
    from rich.table import Table

    from reasoning.tasks.catalogue import split_catalogue
    from reasoning.tasks.data_location import resolve_data_dir

    table = Table(title="benchmark splits", caption=f"data folder: {resolve_data_dir(data_dir)}")
    for column in ("task", "split", "train", "dev", "test", "source"):
        table.add_column(column, justify="right" if column in ("train", "dev", "test") else "left")

    def size(entry: Any, part: str) -> str:
        if part not in entry.sizes:
            return ""
        return "generated" if entry.sizes[part] is None else f"{entry.sizes[part]:,}"

    for entry in split_catalogue(data_dir):
        table.add_row(entry.task, entry.split, size(entry, "train"), size(entry, "dev"), size(entry, "test"),
                      entry.source)
    _console().print(table)
    return 0


def _train_spec(args: argparse.Namespace, model: str, split: str, model_config: dict[str, Any]) -> Any:
    from reasoning.seq2seq.interface import TrainBudget
    from reasoning.seq2seq.run_folder import TrainSpec

    budget = TrainBudget(minutes=args.minutes, max_epochs=args.max_epochs, patience=args.patience)
    return TrainSpec(model=model, task=args.task, split=split, seed=getattr(args, "seed", 0),
                     data_seed=args.data_seed, budget=budget, valid_fraction=args.valid_fraction,
                     model_config=model_config,
                     task_options=_key_values(args.task_option, "--task-option"), data_dir=args.data)


@_reports_missing_files
def _train(args: argparse.Namespace) -> int:
    import time

    from rich.table import Table

    from reasoning.seq2seq.progress_bar import TrainingBar, new_progress
    from reasoning.seq2seq.registry import create_model
    from reasoning.seq2seq.run_folder import train_run

    _set_threads(args.threads)
    split = _split_of(args.task, args.split)
    spec = _train_spec(args, args.model, split, _key_values(args.settings, "--set"))
    create_model(spec.model, **spec.model_config)  # unknown model or setting: fail before loading data
    _check_new_folder(args.run_dir)
    console = _console()
    started = time.perf_counter()
    with console.status(f"loading {args.task}/{split}"):
        data = spec.load_data()
    console.print(f"data: {spec.data_source()}")
    loading = time.perf_counter() - started
    with new_progress(console) as progress:
        bar = TrainingBar(progress, f"{args.model} {args.task}/{split}", args.minutes)
        result = train_run(spec, args.run_dir, data, progress=bar, data_seconds=loading)
    table = Table(title=f"{args.model} on {args.task}/{split}, seed {args.seed}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    fit = result.fit
    table.add_row("stopped by", fit.stop_reason)
    table.add_row("epochs / steps", f"{fit.epochs} / {fit.steps}")
    table.add_row("validation exact match (%)", _percent(fit.best_valid_accuracy))
    table.add_row(f"test exact match (%), {result.test.n:,} examples", _percent(result.test.accuracy))
    for name, (accuracy, n) in result.test.subsets.items():
        table.add_row(f"  subset {name}, {n:,} examples", _percent(accuracy))
    table.add_row("seconds: data / fit / test", " / ".join(f"{result.seconds[k]:.1f}" for k in ("data", "fit", "test")))
    console.print(table)
    if result.description:
        console.print(f"what {args.model} learned:\n{result.description}", markup=False, highlight=False)
    print(result.run_dir)
    return 0


@_reports_missing_files
def _eval(args: argparse.Namespace) -> int:
    from rich.table import Table

    from reasoning.seq2seq.run_folder import METRICS_FILE, evaluate_run, read_run_config

    _set_threads(args.threads)
    config = read_run_config(args.run_dir)
    results = evaluate_run(args.run_dir, args.data)
    table = Table(title=f"{config['model']} ({config['task']}/{config['split']}, seed {config['seed']}): exact match")
    for column, justify in (("file", "left"), ("subset", "left"), ("examples", "right"), ("exact match (%)", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for given, result in zip(args.data, results, strict=True):
        table.add_row(given, "all", f"{result.score.n:,}", _percent(result.score.accuracy))
        for name, (accuracy, n) in result.score.subsets.items():
            table.add_row("", name, f"{n:,}", _percent(accuracy))
    _console().print(table)
    print(f"appended to {args.run_dir}/{METRICS_FILE}")
    return 0


@_reports_missing_files
def _show(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reasoning.seq2seq.registry import load_model
    from reasoning.seq2seq.run_folder import CHECKPOINT_DIR

    model = load_model(Path(args.run_dir) / CHECKPOINT_DIR)
    if not hasattr(model, "read"):
        raise UserError(f"{args.run_dir} holds a {model.name} model; only nsr builds trees (train one with "
                        f"`slotmind reason train nsr`)")
    try:
        tree = model.read(args.input.split())
    except ValueError as error:
        raise UserError(str(error)) from None
    names = model.symbol_names()
    print(tree.to_text(names))
    if args.png:
        print(tree.draw(args.png, names, title=args.input))
    return 0


@_reports_missing_files
def _bench(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from envs.run_files import new_run_dir, write_csv_atomic, write_json_atomic
    from reasoning.bench import (
        DEFAULT_SPLITS,
        BenchCell,
        CellResult,
        bench_cells,
        bench_payload,
        cell_run_dir,
        check_bench,
        model_settings,
        run_bench,
    )
    from reasoning.seq2seq.progress_bar import TrainingBar, new_progress

    _set_threads(args.threads)
    _split_of(args.task, None)  # the task exists
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    splits = list(DEFAULT_SPLITS[args.task]) if args.splits is None else [
        split.strip() for split in args.splits.split(",") if split.strip()]
    check_bench(args.task, models, splits, args.seeds)
    configs = model_settings(models, _key_values(args.settings, "--set"))
    spec = _train_spec(args, models[0], splits[0], {})
    spec.check()
    _check_new_folder(args.run_dir)
    options = {"data_dir": spec.data_dir, "data_seed": spec.data_seed, "task_options": spec.task_options,
               "valid_fraction": spec.valid_fraction}
    cells = bench_cells(models, splits, args.seeds)
    console = _console()
    started = time.perf_counter()
    folder: list[Path] = []  # the bench folder, made once the first split's data has loaded
    done: list[CellResult] = []

    def bench_dir() -> Path:
        if not folder:
            folder.append(Path(args.run_dir) if args.run_dir else new_run_dir(f"reason-bench-{args.task}"))
        return folder[0]

    def save(final: bool = False) -> dict[str, Any]:
        payload = bench_payload(args.task, cells, spec.budget, done, options, configs, time.perf_counter() - started)
        write_json_atomic(bench_dir() / "bench.json", payload)
        if final:
            write_csv_atomic(bench_dir() / "bench.csv", payload["rows"])
        return payload

    with new_progress(console) as progress:
        overall = progress.add_task(f"bench {args.task}: {len(cells)} runs", total=len(cells))
        bars: list[TrainingBar] = []

        def on_start(cell: BenchCell) -> TrainingBar:
            bench_dir()
            for bar in bars:
                bar.close()
            bars[:] = [TrainingBar(progress, f"{cell.model} {cell.split} seed {cell.seed}", args.minutes)]
            return bars[0]

        def on_done(result: CellResult) -> None:
            done.append(result)
            progress.advance(overall)
            save()

        run_bench(args.task, cells, lambda cell: cell_run_dir(bench_dir(), cell), spec.budget, options, configs,
                  on_start, on_done)
    payload = save(final=True)
    _print_bench(console, args.task, payload)
    print(bench_dir())
    return 0


def _print_bench(console: Any, task: str, payload: dict[str, Any]) -> None:
    from rich.table import Table

    rows = payload["rows"]
    seeds = sorted({row["seeds"] for row in rows})
    minutes, total = payload["budget"]["minutes"], payload["wall_s"] / 60
    table = Table(title=f"{task}: exact match (%), mean ± std over {'/'.join(map(str, seeds))} seed(s); "
                        f"{minutes:g} min training per run; total {total:.1f} min")
    for column in ("split", "subset", "model", "exact match", "s/run", "published, same kind", "best published"):
        table.add_column(column, justify="right" if column in ("exact match", "s/run") else "left", no_wrap=True)
    previous = None
    for row in rows:
        if previous is not None and (row["split"], row["subset"]) != previous:
            table.add_section()
        previous = (row["split"], row["subset"])
        best = f"{row['published_best']} {row['published_best_model']}" if row["published_best"] else ""
        table.add_row(row["split"], row["subset"], row["model"],
                      f"{row['accuracy_mean']:.1f} ± {row['accuracy_std']:.1f}", f"{row['wall_s_per_run']:.0f}",
                      row["published_same_kind"], best)
    console.print(table)
    kinds = {}
    for row in rows:
        if row["published_same_kind_model"]:
            kinds.setdefault(row["model"], set()).add(row["published_same_kind_model"])
    if kinds:
        console.print("same kind: " + "; ".join(f"{model} ~ {', '.join(sorted(names))}"
                                                for model, names in kinds.items()))
    for model, source in payload["published_sources"].items():
        console.print(f"  {model}: {source}")
