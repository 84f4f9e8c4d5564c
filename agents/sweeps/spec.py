"""SPEC.yaml -> the sweep's cells, every one checked as its single-machine command would check it.

```yaml
command: train                 # train | pretrain | reason bench
name: objectgoal-encoders      # the sweep folder is runs/sweep-<name>-<time> (default: the file's name)
retries: 2                     # times a dead trial is restarted (from its checkpoint where the command has one)
flags:                         # flags of every cell (the command's long flags without "--")
  timesteps: 20000
  hyperparams: {n_steps: 64}   # a mapping -> KEY=VALUE words; a list -> several words; true -> a bare switch
grid:                          # every combination of the axes, in order (the last axis varies fastest)
  encoder:
    - cnn
    - {encoder: slots, pretrained: runs/pretrain-sa}   # a mapping holding the axis' own key sets several flags
  seed: [0, 1, 2]
```

The sweep sets ``--run-dir`` (and ``--quiet``) itself, and ``--threads 1`` unless the spec gives ``threads``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.sweeps.families import FAMILIES, Family
from agents.sweeps.layout import Cell
from envs.command_line import UserError

SPEC_KEYS = ("command", "name", "retries", "flags", "grid")
SET_BY_SWEEP = ("run-dir", "resume", "quiet")
DEFAULT_RETRIES = 2


@dataclass
class SweepSpec:
    """A parsed spec: the family, fixed flags and the grid axes (name -> list of values)."""

    family: Family
    name: str
    retries: int
    flags: dict[str, Any]
    grid: dict[str, list[Any]]
    raw: dict[str, Any]


def load_spec(path: Path) -> SweepSpec:
    """Read and check the top level of SPEC.yaml (keys, command, grid shape); UserError naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such spec file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise UserError(f"{path} is not a text file (byte {error.start}: {error.reason}); a spec is YAML") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a spec is a mapping with keys {', '.join(SPEC_KEYS)}")
    unknown = [key for key in raw if key not in SPEC_KEYS]
    if unknown:
        raise UserError(f"{path}: unknown key {', '.join(map(str, unknown))}; a spec has {', '.join(SPEC_KEYS)}")
    command = raw.get("command")
    if command not in FAMILIES:
        raise UserError(f"{path}: command {command!r} cannot be swept; choose from {', '.join(FAMILIES)}")
    flags = raw.get("flags") or {}
    grid = raw.get("grid")
    if not isinstance(flags, dict):
        raise UserError(f"{path}: flags must be a mapping of flag -> value")
    if not isinstance(grid, dict) or not grid:
        raise UserError(f"{path}: the grid is empty; give at least one axis, e.g. grid: {{seed: [0, 1, 2]}}")
    for axis, values in grid.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{path}: grid axis {axis!r} is empty; give it a list of one or more values")
    retries = raw.get("retries", DEFAULT_RETRIES)
    if not isinstance(retries, int) or retries < 0:
        raise UserError(f"{path}: retries must be a whole number >= 0")
    name = str(raw.get("name") or path.stem)
    return SweepSpec(family=FAMILIES[command], name=_safe(name), retries=retries, flags=flags,
                     grid={str(k): v for k, v in grid.items()}, raw=raw)


def command_parser(root: argparse.ArgumentParser, words: tuple[str, ...]) -> argparse.ArgumentParser:
    """The sub-parser of ``slotmind <words...>`` inside the root parser."""
    parser = root
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


def long_flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """``{"timesteps": action, "run-dir": action, ...}``: the parser's long options without dashes."""
    return {option[2:]: action for action in parser._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"}


def flag_words(flag: str, value: Any, action: argparse.Action) -> list[str]:
    """The command-line words of one flag: ``--flag VALUE``, ``--flag`` (true switch), nothing (false/None),
    ``--flag A B`` (list), ``--flag k=v ...`` (mapping); an ``append`` flag repeats itself per item."""
    if value is None or value is False:
        return []
    if value is True and action.nargs == 0:
        return [f"--{flag}"]
    items = ([f"{k}={_text(v)}" for k, v in value.items()] if isinstance(value, dict) else
             [_text(v) for v in value] if isinstance(value, list) else [_text(value)])
    if isinstance(action, argparse._AppendAction):
        return [word for item in items for word in (f"--{flag}", item)]
    return [f"--{flag}", *items]


def cell_flags(spec: SweepSpec) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """Every grid point as (axis -> value label, flag -> value), fixed flags first; grid order."""
    axes = list(spec.grid)
    points = []
    for values in itertools.product(*(spec.grid[axis] for axis in axes)):
        labels: dict[str, str] = {}
        flags = dict(spec.flags)
        for axis, value in zip(axes, values, strict=True):
            if isinstance(value, dict) and axis in value:  # several flags set together
                flags.update(value)
                labels[axis] = _label(value[axis])
            else:
                flags[axis] = value
                labels[axis] = _label(value)
        points.append((labels, flags))
    return points


def expand_cells(spec: SweepSpec) -> list[Cell]:
    """The spec's cells, each checked by the command's own parser and checks; UserError naming the first
    unknown flag or rejected cell (nothing has started yet)."""
    from envs.command_line import build_parser

    root = build_parser()
    known = long_flags(command_parser(root, spec.family.words))
    cells: list[Cell] = []
    for labels, flags in cell_flags(spec):
        name = "_".join(f"{axis}-{label}" for axis, label in labels.items())
        for flag in flags:
            if flag in SET_BY_SWEEP:
                raise UserError(f"flag {flag!r} is set by the sweep itself; leave it out of the spec")
            if flag not in known:
                raise UserError(f"unknown key {flag!r}: `slotmind {spec.family.name}` has no --{flag} "
                                f"(it has {', '.join(sorted(f for f in known if f not in SET_BY_SWEEP))})")
        if "threads" in known and "threads" not in flags:
            flags["threads"] = 1
        argv = [*spec.family.words, *(word for flag, value in flags.items()
                                      for word in flag_words(flag, value, known[flag]))]
        if "quiet" in known:
            argv.append("--quiet")
        _check_cell(root, argv, name, spec.family)
        cpus = int(flags.get("threads") or 1)
        cells.append(Cell(name=name, command=spec.family.name, argv=argv, labels=labels, cpus=max(1, cpus)))
    names = [cell.name for cell in cells]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UserError(f"cells {', '.join(repeated)} appear more than once; give the grid distinct values")
    return cells


def _check_cell(root: argparse.ArgumentParser, argv: list[str], name: str, family: Family) -> None:
    """Parse ``argv`` exactly as ``slotmind`` would and run the family's checks; UserError naming the cell."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            args = root.parse_args([*argv, "--run-dir", "cell"])
        family.check(args)
    except SystemExit:
        message = errors.getvalue().strip().splitlines()[-1] if errors.getvalue().strip() else "rejected"
        raise UserError(f"cell {name}: `slotmind {' '.join(argv)}` is refused: {message}") from None
    except (UserError, ValueError) as error:
        raise UserError(f"cell {name}: `slotmind {' '.join(argv)}` is refused: {error}") from error


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _label(value: Any) -> str:
    if isinstance(value, dict):
        return _safe(",".join(f"{k}={_text(v)}" for k, v in value.items()))
    if isinstance(value, list):
        return _safe(",".join(map(_text, value)))
    return _safe(_text(value).removeprefix("slotmind/").split("/")[-1])


def _safe(text: str) -> str:
    """A folder-name-safe version of ``text``."""
    return re.sub(r"[^A-Za-z0-9.,=+-]+", "-", text) or "x"
