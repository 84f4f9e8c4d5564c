"""The grounded game on ObjectWorld scenes, with a tiny untrained slot encoder (mechanics, not accuracy)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.encoders.api import SlotEncoder
from agents.encoders.checkpoint import save_checkpoint
from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder
from envs.command_line import main
from reasoning.language.config import LanguageConfig
from reasoning.language.grounded import Scenes, build_grounded_game, collect_scenes, scene_batch, slot_per_object
from reasoning.language.run_folder import load_game

TINY_MODEL = ModelConfig(image_size=32, resolution=16, num_slots=5, slot_dim=16, encoder_channels=8, decoder_channels=8)
CONFIG = LanguageConfig(vocab=6, hidden=16, embed=8, steps=20, eval_every=10, scenes=30, held_out=0.2)


@pytest.fixture(scope="module")
def encoder() -> SlotEncoder:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return SlotEncoder(SlotAutoencoder(TINY_MODEL))


@pytest.fixture(scope="module")
def scenes(encoder: SlotEncoder) -> Scenes:
    return collect_scenes(encoder, 24, seed=0)


def test_each_scene_keeps_its_3_to_5_objects_with_colour_and_shape(scenes: Scenes) -> None:
    assert scenes.features.shape == (24, 5, 16)
    counts = scenes.present.sum(1)
    assert counts.min() >= 3 and counts.max() <= 5
    assert np.all(scenes.features[~scenes.present] == 0)
    assert np.all(np.linalg.norm(scenes.features[scenes.present], axis=1) > 0)
    assert scenes.attributes[..., 1].max() < 3  # three training shapes


def test_the_slot_covering_an_object_is_chosen() -> None:
    slot_masks = np.zeros((3, 4, 4))
    slot_masks[2, :2, :2] = 1.0
    slot_masks[0, 2:, 2:] = 1.0
    instance = np.zeros((4, 4), dtype=np.uint8)
    instance[:2, :2] = 1  # object row 0
    instance[3, 3] = 2  # object row 1
    assert slot_per_object(slot_masks, instance, np.array([0, 1])).tolist() == [2, 0]


def test_receiver_never_picks_a_padded_candidate(scenes: Scenes) -> None:
    batch = scene_batch(scenes, np.arange(len(scenes)), np.random.default_rng(0))
    assert batch.candidate_mask is not None and batch.candidates is not None
    assert bool(batch.candidate_mask[torch.arange(len(scenes)), batch.labels].all())
    torch.testing.assert_close(batch.sender_input, batch.candidates[torch.arange(len(scenes)), batch.labels])
    game = build_grounded_game(CONFIG, 16)
    with torch.no_grad():
        game.eval()
        sent = game.sender(batch.sender_input, greedy=True).message
        logits = game.receiver(sent, batch.candidates).masked_fill(~batch.candidate_mask, -1e9)
    assert bool(batch.candidate_mask[torch.arange(len(scenes)), logits.argmax(1)].all())


def test_train_language_grounded_from_a_pretrain_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path / "runs"))
    torch.manual_seed(0)
    checkpoint = save_checkpoint(tmp_path / "encoder.pt", SlotAutoencoder(TINY_MODEL))
    config = dataclasses.asdict(CONFIG)
    flags = [f"--{key.replace('_', '-')}={config[key]}" for key in ("vocab", "hidden", "embed", "steps", "eval_every",
                                                                   "scenes", "held_out")]
    run_dir = tmp_path / "grounded"
    assert main(["reason", "train", "language", *flags, "--encoder", str(checkpoint), "--run-dir", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    assert "grounded" in printed and printed.strip().splitlines()[-1] == str(run_dir)
    folder = run_dir / "grounded-gumbel-s0"
    for name in ("config.yaml", "game.pt", "metrics.json", "history.csv", "messages.csv", "topsim.png"):
        assert (folder / name).stat().st_size > 0, name
    messages = (folder / "messages.csv").read_text().splitlines()
    assert messages[0] == "split,scene,object,colour,shape,message,length"
    splits = [line.split(",")[0] for line in messages[1:]]
    assert {"train", "held_out"} == set(splits) and len(splits) >= 3 * CONFIG.scenes  # 3-5 objects a scene
    history = json.loads((folder / "metrics.json").read_text())["history"]
    assert [row["step"] for row in history] == [10, 20] and all("topsim" in row for row in history)
    game, config = load_game(folder)  # the checkpoint rebuilds the agents on slot vectors
    assert config.encoder == str(checkpoint) and game.sender.encoder.in_features == TINY_MODEL.slot_dim
    assert main(["reason", "train", "language", "--encoder", str(checkpoint), "--relative"]) == 2


def test_features_are_standardised_with_training_statistics_only(scenes: Scenes) -> None:
    train, held_out = scenes.subset(np.arange(6, 24)), scenes.subset(np.arange(6))
    standard_train, standard_held = train.standardised(train), held_out.standardised(train)
    np.testing.assert_allclose(standard_train.features[train.present].mean(0), 0.0, atol=1e-5)
    np.testing.assert_array_equal(standard_held.features[~held_out.present], 0.0)
    own = held_out.standardised(held_out).features[held_out.present]
    assert not np.allclose(standard_held.features[held_out.present], own)


def test_bench_with_an_encoder_prints_the_grounded_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path / "runs"))
    torch.manual_seed(0)
    checkpoint = save_checkpoint(tmp_path / "encoder.pt", SlotAutoencoder(TINY_MODEL))
    run_dir = tmp_path / "bench"
    assert main(["reason", "bench", "language", "--attributes", "2", "--values", "4", "--distractors", "2",
                 "--held-out", "0.125", "--vocab", "6", "--hidden", "16", "--embed", "8", "--steps", "20",
                 "--eval-every", "10", "--scenes", str(CONFIG.scenes), "--methods", "gumbel", "--readers", "recurrent",
                 "--seeds", "2", "--stitch-method", "none", "--encoder", str(checkpoint),
                 "--run-dir", str(run_dir)]) == 0
    assert "grounded: ObjectWorld scenes" in capsys.readouterr().out
    row = json.loads((run_dir / "bench.json").read_text())["grounded"]["row"]
    assert (row["reader"], row["generations"], row["seeds"]) == ("recurrent", 1, 2)
