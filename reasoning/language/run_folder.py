"""A language-game run folder: config.yaml, checkpoint, metrics JSON + CSV, dumped messages, topsim PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import yaml

from envs.run_files import atomic_path, write_csv_atomic, write_json_atomic, write_text_atomic
from reasoning.language.config import LanguageConfig
from reasoning.language.figures import plot_topsim
from reasoning.language.game import Game
from reasoning.language.grounded import GroundedResult, Scenes, build_grounded_game, grounded_message_rows
from reasoning.language.messages import lengths
from reasoning.language.training import TrainResult, build_game, make_data, messages_for

CHECKPOINT = "game.pt"


def save_checkpoint(game: Game, config: LanguageConfig, path: str | Path) -> Path:
    """The game's weights, its config and its input width in one file, written atomically."""
    with atomic_path(path) as tmp:
        torch.save({"config": config.to_dict(), "state": game.state_dict(),
                    "input_size": game.sender.encoder.in_features}, tmp)
    return Path(path)


def load_game(run_dir: str | Path) -> tuple[Game, LanguageConfig]:
    """Rebuild the trained game of a run folder (or a checkpoint file)."""
    path = Path(run_dir)
    path = path / CHECKPOINT if path.is_dir() else path
    if not path.exists():
        raise FileNotFoundError(f"no {CHECKPOINT} in {run_dir}: is it a language run folder?")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    config = LanguageConfig.from_dict(saved["config"])
    if config.encoder:  # grounded: agents on slot vectors
        game = build_grounded_game(config, int(saved["input_size"]))
    else:
        game = build_game(config, make_data(config))
    game.load_state_dict(saved["state"])
    return game.eval(), config


def message_rows(result: TrainResult, config: LanguageConfig) -> list[dict[str, Any]]:
    """One row per object: its attributes, split (train / held_out), greedy message and length."""
    rows = []
    for split, objects in (("train", result.data.train), ("held_out", result.data.held_out)):
        if not len(objects):
            continue
        messages = messages_for(result.game, objects, config.values)
        for obj, message, n in zip(objects, messages, lengths(messages), strict=True):
            row: dict[str, Any] = {f"a{i}": int(v) for i, v in enumerate(obj)}
            row.update(split=split, message=" ".join(map(str, message[:n])), length=int(n))
            rows.append(row)
    return rows


def _write_folder(run_dir: Path, game: Game, config: LanguageConfig, payload: dict[str, Any],
                  messages: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """config.yaml, game.pt, metrics.json (``payload``), history.csv, messages.csv and topsim.png."""
    write_text_atomic(run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    save_checkpoint(game, config, run_dir / CHECKPOINT)
    write_json_atomic(run_dir / "metrics.json", payload)
    write_csv_atomic(run_dir / "history.csv", payload["history"])
    write_csv_atomic(run_dir / "messages.csv", messages)
    plot_topsim({f"{config.method} seed {config.seed}": payload["history"]}, run_dir / "topsim.png", title)
    return payload


def write_run(run_dir: Path, result: TrainResult, config: LanguageConfig, extra: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """Write everything a run produced into ``run_dir``; returns the metrics JSON payload."""
    payload = {"config": config.to_dict(), "metrics": result.metrics, "history": result.history, **(extra or {})}
    return _write_folder(run_dir, result.game, config, payload, message_rows(result, config),
                         f"{config.game}, {config.attributes} x {config.values}")


def write_grounded_run(run_dir: Path, result: GroundedResult, config: LanguageConfig, splits: dict[str, Scenes]
                       ) -> dict[str, Any]:
    """The grounded game's run folder (the same files as :func:`write_run`); messages.csv has one row per
    object of each split's scenes (``splits``: name -> scenes), topsim is against (colour, shape)."""
    payload = {"config": config.to_dict(), "metrics": result.metrics, "history": result.history}
    return _write_folder(run_dir, result.game, config, payload, grounded_message_rows(result.game, splits),
                         "grounded: ObjectWorld scenes, topsim vs (colour, shape) on held-out scenes")

