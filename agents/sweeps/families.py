"""The command families a sweep can run, and what each needs beyond its command line: the checks its
single-machine command makes before starting, how to continue a killed run, and its headline result."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


class Family:
    """A single-machine command (``words`` after ``slotmind``) whose runs a sweep launches."""

    words: tuple[str, ...] = ()
    results_file = ""

    @property
    def name(self) -> str:
        return " ".join(self.words)

    def check(self, args: argparse.Namespace) -> None:
        """Raise ValueError / UserError for parsed flags the command itself would refuse."""

    def resume_argv(self, run_dir: Path) -> list[str] | None:
        """The command line that continues the killed run in ``run_dir``; None: it starts over."""
        return None

    def result(self, run_dir: Path) -> dict[str, Any]:
        """Headline numbers of the finished run in ``run_dir`` (empty when it wrote none)."""
        path = run_dir / self.results_file
        return {"results": str(path)} if path.is_file() else {}


class TrainFamily(Family):
    """``slotmind train``: resumable from ``checkpoints/latest.zip`` with ``--resume RUN_DIR``."""

    words = ("train",)
    results_file = "eval.json"

    def check(self, args: argparse.Namespace) -> None:
        from agents.training.train_cli import config_from_args

        if args.fps_check is not None:
            raise ValueError("--fps-check is a speed check, not a run; leave it out of sweeps")
        config = config_from_args(args)
        if config.pretrained is not None and not Path(config.pretrained).exists():
            raise ValueError(f"--pretrained {config.pretrained}: no such encoder (a `slotmind pretrain` run folder)")

    def resume_argv(self, run_dir: Path) -> list[str] | None:
        from agents.training.callbacks import CHECKPOINT_DIR, LATEST

        return ["train", "--resume", str(run_dir), "--quiet"] if (run_dir / CHECKPOINT_DIR / LATEST).is_file() else None

    def result(self, run_dir: Path) -> dict[str, Any]:
        path = run_dir / self.results_file
        if not path.is_file():
            return {}
        evaluations = json.loads(path.read_text())
        final = (evaluations.get("final") or [{}])[0]
        return {"timesteps": evaluations.get("num_timesteps"), "success_rate": final.get("success_rate"),
                "mean_return": final.get("mean_return")}


class PretrainFamily(Family):
    """``slotmind pretrain``: a killed run starts over (it has no resume path)."""

    words = ("pretrain",)
    results_file = "metrics.json"

    def check(self, args: argparse.Namespace) -> None:
        from agents.encoders.pretrain_cli import config_from_args

        if args.action is not None:
            raise ValueError(f"`pretrain {args.action}` is a bench of its own; sweep `pretrain` runs instead")
        config_from_args(args)

    def result(self, run_dir: Path) -> dict[str, Any]:
        path = run_dir / self.results_file
        if not path.is_file():
            return {}
        held_out = json.loads(path.read_text()).get("final", {}).get("eval", {}).get("plain", {})
        return {"fg_ari": held_out.get("fg_ari"), "mbo": held_out.get("mbo")}


class ReasonBenchFamily(Family):
    """``slotmind reason bench``: checked by its parser only (``agents`` may not import ``reasoning``);
    a killed bench starts over in an emptied folder."""

    words = ("reason", "bench")
    results_file = "bench.json"


FAMILIES: dict[str, Family] = {family.name: family for family in (TrainFamily(), PretrainFamily(),
                                                                   ReasonBenchFamily())}


def headline(result: dict[str, Any]) -> str:
    """``"success_rate 0.840  mean_return 0.712"``: the finite scores of a cell's result ('' when none)."""
    return "  ".join(f"{key} {result[key]:.3f}" for key in ("success_rate", "mean_return", "fg_ari", "mbo")
                     if isinstance(result.get(key), float) and math.isfinite(result[key]))
