"""Training a slot autoencoder on ObjectWorld frames: ``slotmind pretrain``.

One run writes to its folder: ``config.yaml``, ``encoder.pt`` (the last good weights, rewritten
at every evaluation), ``metrics.json`` (FG-ARI / ARI / mBO over time, then final scores on held-out
and out-of-distribution frames, with and without test-time adaptation), TensorBoard events in
``tb/``, and ``slots.png`` (image | reconstruction | each slot).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from agents.encoders.checkpoint import CHECKPOINT_NAME, save_checkpoint
from agents.encoders.cycle_losses import feature_slot_feature_loss, ramp_weight, slot_feature_slot_loss
from agents.encoders.evaluation import evaluate, probe_scores
from agents.encoders.figures import save_slot_grid
from agents.encoders.frames import FrameSet, standard_splits
from agents.encoders.metrics import reference_scores
from agents.encoders.pretrain_config import PretrainConfig
from agents.encoders.slot_autoencoder import SlotAutoencoder
from envs.devices import resolve_device
from envs.registry import VARIANTS
from envs.run_files import write_json_atomic, write_text_atomic
from envs.world_config import WorldConfig


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the run folder keeps the last good checkpoint."""


@dataclass
class ProgressState:
    """What the progress display shows after each step."""

    step: int
    elapsed_s: float
    fraction: float
    loss: float
    images_per_s: float
    fg_ari: float | None


def _learning_rate(config: PretrainConfig, step: int) -> float:
    return config.lr * min(1.0, (step + 1) / config.warmup_steps)


def _losses(model: SlotAutoencoder, frames: torch.Tensor, config: PretrainConfig, step: int) -> dict[str, torch.Tensor]:
    # bfloat16 autocast runs the convolutions and matrix products through oneDNN's bf16 kernels where the
    # CPU has them; losses are taken in float32.
    with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"):
        out = model(frames)
    out = out.float()
    losses = {"reconstruction": torch.nn.functional.mse_loss(out.reconstruction, out.target)}
    foreground_weight = ramp_weight(config.foreground_weight, step, config.cycle_start, config.cycle_ramp)
    if model.config.background and foreground_weight > 0:
        # The share of pixels the slots claim from the background layer: a slot gains by claiming a pixel
        # only where it reconstructs it better, so the empty background is left to the background layer.
        losses["foreground"] = foreground_weight * (1.0 - out.masks[:, -1]).mean()
    sfs_weight, fsf_weight = (ramp_weight(config.loss_weights[name], step, config.cycle_start, config.cycle_ramp)
                              for name in ("sfs", "fsf"))
    if sfs_weight > 0:
        losses["sfs"] = sfs_weight * slot_feature_slot_loss(out.slots, out.features, config.cycle_temperature)
    if fsf_weight > 0:
        losses["fsf"] = fsf_weight * feature_slot_feature_loss(out.slots, out.features, config.cycle_temperature,
                                                               config.target_temperature)
    losses["total"] = sum(losses.values())
    return losses


def slots_for_split(config: PretrainConfig, split: str) -> int:
    """K used to evaluate ``split``: scenes with more objects get as many more slots as they have
    objects beyond the training maximum (as Slot Attention does from CLEVR6 to CLEVR10), unless
    learned queries fix K."""
    if split != "ood-more-objects" or config.learned_queries:
        return config.num_slots
    extra = VARIANTS["more-objects"]["num_objects"][1] - WorldConfig().num_objects[1]
    return config.num_slots + max(0, extra)


def final_scores(model: SlotAutoencoder, splits: dict[str, FrameSet], config: PretrainConfig) -> dict[str, Any]:
    """FG-ARI/ARI/mBO on every held-out split, without and (if ``tta_steps``) with test-time adaptation,
    plus the fixed-grid references on the same frames and the property probes (colour, shape and
    position read from the slots; ``evaluation.probe_scores``)."""
    scores: dict[str, Any] = {}
    for name, frames in splits.items():
        if name == "train":
            continue
        num_slots = slots_for_split(config, name)
        entry: dict[str, Any] = {"num_slots": num_slots,
                                 "plain": evaluate(model, frames.images, frames.masks, num_slots=num_slots)}
        if config.tta_steps > 0:
            entry["tta"] = evaluate(model, frames.images, frames.masks, batch_size=32, num_slots=num_slots,
                                    tta_steps=config.tta_steps, tta_lr=config.tta_lr)
        entry["references"] = reference_scores(frames.masks)
        scores[name] = entry
    held_out = {name: frames for name, frames in splits.items() if name != "train"}
    if "train" in splits and splits["train"].objects is not None and held_out:
        probes = probe_scores(model, splits["train"], held_out,
                              {name: slots_for_split(config, name) for name in held_out}, config.seed)
        for name, result in probes.items():
            scores[name]["probes"] = result
    return scores


def pretrain(config: PretrainConfig, run_dir: str | Path,
             on_progress: Callable[[ProgressState], None] | None = None) -> dict[str, Any]:
    """Train per ``config``, writing the run folder; returns the metrics dict (also in metrics.json).

    Raises TrainingDiverged on a NaN/inf loss (after writing metrics and keeping the last good
    checkpoint).
    """
    from torch.utils.tensorboard import SummaryWriter

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    write_text_atomic(run_dir / "config.yaml", yaml.safe_dump({"pretrain": asdict(config)}, sort_keys=False))
    splits = standard_splits(config.env_id, config.train_frames, config.eval_frames, config.ood_frames,
                             config.seed, config.image_size)
    train, held_out = splits["train"], splits["eval"]
    model = SlotAutoencoder(config.model_config()).to(resolve_device(config.device))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    writer = SummaryWriter(str(run_dir / "tb"))
    history: list[dict[str, float]] = []
    metrics: dict[str, Any] = {"config": asdict(config), "history": history}
    budget_s = config.minutes * 60.0 if config.minutes is not None else math.inf
    start = time.perf_counter()
    last_eval = start
    step = 0
    images_per_s = 0.0
    latest_fg_ari: float | None = None
    diverged = False
    model.train()
    try:
        while True:
            elapsed = time.perf_counter() - start
            if elapsed >= budget_s or (config.steps is not None and step >= config.steps):
                break
            tick = time.perf_counter()
            frames = torch.from_numpy(train.images[rng.integers(0, len(train), config.batch_size)])
            losses = _losses(model, frames, config, step)
            if not torch.isfinite(losses["total"]):
                diverged = True
                break
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(config, step)
            optimizer.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
            rate = config.batch_size / max(time.perf_counter() - tick, 1e-9)
            images_per_s = rate if step == 1 else 0.95 * images_per_s + 0.05 * rate
            if step % 25 == 0:
                for name, value in losses.items():
                    writer.add_scalar(f"loss/{name}", value.item(), step)
            now = time.perf_counter()
            if now - last_eval >= config.eval_every_s:
                latest_fg_ari = _checkpoint_and_score(model, held_out, run_dir, step, now - start, history, writer)
                last_eval = now
            if on_progress is not None:
                fraction = (now - start) / budget_s if config.steps is None else step / config.steps
                on_progress(ProgressState(step, now - start, min(fraction, 1.0), losses["total"].item(),
                                          images_per_s, latest_fg_ari))
        if diverged:
            metrics["diverged_at_step"] = step
            raise TrainingDiverged(
                f"the loss became NaN/inf at step {step}; {run_dir / CHECKPOINT_NAME} keeps the last good weights "
                f"(try a lower --lr or cycle weight)"
            )
        _checkpoint_and_score(model, held_out, run_dir, step, time.perf_counter() - start, history, writer)
        metrics["train_s"] = time.perf_counter() - start
        metrics["steps"] = step
        metrics["images_per_s"] = images_per_s
        metrics["final"] = final_scores(model, splits, config)
        save_slot_grid(run_dir / "slots.png", model, held_out.images[:8])
        return metrics
    finally:
        writer.close()
        write_json_atomic(run_dir / "metrics.json", metrics)


def _checkpoint_and_score(model: SlotAutoencoder, held_out: FrameSet, run_dir: Path, step: int, elapsed: float,
                          history: list[dict[str, float]], writer: Any) -> float:
    """Score a slice of the held-out frames, log it, and save the checkpoint (the last good weights)."""
    scores = evaluate(model, held_out.images[:256], held_out.masks[:256])
    history.append({"step": step, "elapsed_s": elapsed, **scores})
    for name, value in scores.items():
        writer.add_scalar(f"eval/{name}", value, step)
    save_checkpoint(run_dir / CHECKPOINT_NAME, model, {"step": step, "eval": scores})
    return scores["fg_ari"]
