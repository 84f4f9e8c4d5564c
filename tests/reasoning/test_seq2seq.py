"""The seq2seq layer: vocabulary, batching, greedy decoding, hold-out, configs, models, registry, run folders."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from reasoning.seq2seq import (
    FitReport,
    Seq2SeqModel,
    TrainBudget,
    Vocabulary,
    available_models,
    create_model,
    exact_match,
    hold_out,
    load_model,
    save_model,
)
from reasoning.seq2seq.batching import bucketed_batches, make_batch, pad_sequences
from reasoning.seq2seq.greedy import greedy_decode
from reasoning.seq2seq.gru import GRUConfig, GRUNetwork
from reasoning.seq2seq.hyperparameters import TrainingConfig, build_config
from reasoning.seq2seq.registry import register_model
from reasoning.seq2seq.scoring import score_predictions
from reasoning.seq2seq.task_files import read_task_file, write_split
from reasoning.seq2seq.transformer import TransformerConfig, TransformerNetwork
from reasoning.tasks import DataFormatError, Example

torch.set_num_threads(1)

TINY = {
    "gru": {"embedding": 16, "hidden": 32, "batch_size": 16},
    "transformer": {"width": 32, "heads": 2, "feedforward": 64, "encoder_layers": 1, "decoder_layers": 1,
                    "batch_size": 16},
}


def toy_task(n: int, seed: int = 0, reverse: bool = False) -> list[Example]:
    """Copy (or reverse) 2-5 symbols out of six."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        source = tuple(rng.choice("abcdef") for _ in range(rng.randint(2, 5)))
        examples.append(Example(source, source[::-1] if reverse else source))
    return examples


# ----------------------------------------------------------------------------- vocabulary, batching


def test_vocabulary_specials_unknown_eos_and_round_trip() -> None:
    vocab = Vocabulary.build([("jump", "twice"), ("walk", "jump")])
    assert vocab.tokens[:4] == ("<pad>", "<bos>", "<eos>", "<unk>") and len(vocab) == 7
    assert vocab.encode(("walk", "fly"), bos=True, eos=True) == [vocab.bos_id, 6, vocab.unk_id, vocab.eos_id]
    assert vocab.decode([4, 5, vocab.eos_id, 6]) == ("jump", "twice")  # stops at <eos>
    assert vocab.decode([vocab.bos_id, 6, vocab.pad_id]) == ("walk",)
    assert Vocabulary.from_json(json.loads(json.dumps(vocab.to_json()))) == vocab
    with pytest.raises(ValueError, match="unique"):
        Vocabulary(["a", "a"])
    with pytest.raises(ValueError, match="list of token strings"):
        Vocabulary.from_json({"a": 1})


def test_padding_and_batches() -> None:
    padded = pad_sequences([[5, 6, 7], [8], []], pad_id=0)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    batch = make_batch([[5, 6], [7]], [[9], [10, 11]], pad_id=0, bos_id=1, eos_id=2)
    assert batch.source_padding.tolist() == [[False, False], [False, True]]
    assert batch.target_in.tolist() == [[1, 9, 0], [1, 10, 11]]
    assert batch.target_out.tolist() == [[9, 2, 0], [10, 11, 2]]
    lengths = [random.Random(i).randint(1, 30) for i in range(103)]
    for rng in (None, random.Random(0)):
        batches = bucketed_batches(lengths, 10, rng, pool_batches=3)
        assert sorted(i for b in batches for i in b) == list(range(103)) and max(map(len, batches)) == 10
    ordered = [i for b in bucketed_batches(lengths, 10) for i in b]
    assert [lengths[i] for i in ordered] == sorted(lengths)


# ----------------------------------------------------------------------------- greedy decoding


class ScriptedNetwork:
    """Emits, for row r, the tokens ``script[r]`` one per step (then <eos> forever); counts steps."""

    def __init__(self, script: list[list[int]], n_tokens: int = 10) -> None:
        self.script, self.n_tokens, self.rows_per_step = script, n_tokens, []

    def start_decoding(self, source: torch.Tensor, source_padding: torch.Tensor) -> dict:
        return {"rows": torch.arange(source.shape[0]), "t": 0}

    def decode_step(self, state: dict, tokens: torch.Tensor) -> tuple[torch.Tensor, dict]:
        self.rows_per_step.append(len(state["rows"]))
        logits = torch.zeros(len(state["rows"]), self.n_tokens)
        for i, row in enumerate(state["rows"].tolist()):
            script = self.script[row]
            logits[i, script[state["t"]] if state["t"] < len(script) else 2] = 1.0
        return logits, {"rows": state["rows"], "t": state["t"] + 1}

    def select_rows(self, state: dict, rows: torch.Tensor) -> dict:
        return {"rows": state["rows"][rows], "t": state["t"]}


def test_greedy_decoding_stops_at_eos_and_drops_finished_rows() -> None:
    network = ScriptedNetwork([[5, 2], [6, 7, 8, 2], [9, 2]])
    source = torch.ones(3, 4, dtype=torch.long)
    out = greedy_decode(network, source, source == 0, bos_id=1, eos_id=2, pad_id=0, max_length=50)
    assert out.tolist() == [[5, 2, 0, 0], [6, 7, 8, 2], [9, 2, 0, 0]]  # stopped after the last <eos>
    assert network.rows_per_step == [3, 3, 1, 1]  # two rows of three finished: dropped
    few = ScriptedNetwork([[5, 2], *[[6, 6, 6, 2]] * 4])  # one row of five finishes early: kept, masked
    out = greedy_decode(few, source[:1].repeat(5, 1), source[:1].repeat(5, 1) == 0, 1, 2, 0, max_length=50)
    assert out[0].tolist() == [5, 2, 0, 0] and out[1].tolist() == [6, 6, 6, 2] and few.rows_per_step == [5] * 4
    cut = greedy_decode(ScriptedNetwork([[5, 6, 7, 8]]), source[:1], source[:1] == 0, 1, 2, 0, max_length=3)
    assert cut.tolist() == [[5, 6, 7]]  # no <eos> within max_length


@pytest.mark.parametrize("name", ["gru", "transformer"])
def test_incremental_decoding_matches_teacher_forcing_and_ignores_padding(name: str) -> None:
    torch.manual_seed(0)
    if name == "gru":
        network = GRUNetwork(12, 9, GRUConfig(hidden=16, embedding=8))
    else:
        network = TransformerNetwork(12, 9, TransformerConfig(width=16, heads=2, feedforward=32))
    network.eval()
    source = torch.tensor([[5, 6, 7, 8], [5, 9, 0, 0]])
    target_in = torch.tensor([[1, 4, 5, 6, 7], [1, 8, 4, 0, 0]])
    full = network(source, source == 0, target_in)
    state, steps = network.start_decoding(source, source == 0), []
    for t in range(target_in.shape[1]):
        logits, state = network.decode_step(state, target_in[:, t])
        steps.append(logits)
    torch.testing.assert_close(torch.stack(steps, dim=1), full, atol=1e-5, rtol=1e-5)
    alone = network(source[1:, :2], source[1:, :2] == 0, target_in[1:, :3])
    torch.testing.assert_close(alone, full[1:, :3], atol=1e-5, rtol=1e-5)


# ----------------------------------------------------------------------------- hold-out, configs, scoring


def test_hold_out_is_seeded_disjoint_and_keeps_repeated_sources_in_training() -> None:
    examples = [Example(("jump",), ("I_JUMP",))] * 50 + toy_task(200)
    unique = {e.source for e in examples}
    train, valid = hold_out(examples, fraction=0.1, seed=3)
    assert (train, valid) == hold_out(examples, fraction=0.1, seed=3)
    assert len(valid) == 25 and len(train) + len(valid) == 250
    assert ("jump",) not in {e.source for e in valid}
    assert not {e.source for e in valid} & {e.source for e in train}
    assert {e.source for e in train} | {e.source for e in valid} == unique
    assert len(hold_out(examples, fraction=0.5, max_valid=7)[1]) == 7
    with pytest.raises(ValueError, match="fraction"):
        hold_out(examples, fraction=1.0)


def test_hold_out_tells_image_inputs_apart_by_their_images_not_their_hidden_tokens() -> None:
    # HINT's image split: every source is "? ? ?"; by sources all repeat, and copies of one drawing could be held out.
    rng = np.random.default_rng(0)
    drawn = [Example(("?",) * 3, (str(i),), images=rng.integers(0, 255, (3, 4, 4), dtype=np.uint8))
             for i in range(40)]
    copies = [drawn[0]] * 5  # the same drawing repeated stays in training
    train, valid = hold_out(drawn + copies, fraction=0.25, seed=0)
    assert len(valid) == 11 and len(train) == 34
    assert all(example is not drawn[0] for example in valid)


def test_config_checks_keys_and_types_and_decode_length() -> None:
    assert build_config(GRUConfig, {"hidden": 64, "learning_rate": 1}).learning_rate == 1.0
    with pytest.raises(ValueError, match="unknown GRUConfig settings"):
        build_config(GRUConfig, {"hiden": 64})
    with pytest.raises(ValueError, match="expected int"):
        build_config(GRUConfig, {"hidden": "big"})
    config = TrainingConfig()
    assert config.decode_length(22) >= 48 + 1  # SCAN length: trained on <= 22 actions, tested on up to 48
    assert config.decode_length(3) >= 5 + 1  # HINT: values up to 10,000
    assert config.decode_length(136) >= 2 * 136 and config.decode_length(772) == config.max_decode_length + 1


def test_scores_per_subset() -> None:
    examples = [Example(("1",), ("1",), subset="I"), Example(("2",), ("2",), subset="I"),
                Example(("3",), ("3",), subset="LL")]
    score = score_predictions(examples, [("1",), ("0",), ("3",)])
    assert score.accuracy == pytest.approx(2 / 3) and score.n == 3
    assert score.subsets == {"I": (0.5, 2), "LL": (1.0, 1)}
    assert exact_match([], []) == 0.0


# ----------------------------------------------------------------------------- models


def test_registry_lists_and_rejects() -> None:
    assert {"gru", "transformer"} <= set(available_models())
    with pytest.raises(ValueError, match="unknown model 'lstm'"):
        create_model("lstm")
    with pytest.raises(ValueError, match="unknown TransformerConfig settings"):
        create_model("transformer", hidden=3)


@pytest.mark.parametrize("name", ["gru", "transformer"])
def test_fit_save_load_round_trip(name: str, tmp_path: Path) -> None:
    train = toy_task(60)
    model = create_model(name, **TINY[name])
    report = model.fit(train[:50], train[50:], TrainBudget(minutes=1, max_epochs=2), seed=1)
    assert isinstance(report, FitReport) and report.stop_reason == "max-epochs" and report.steps == 8
    assert len(report.history) == 2 and 0.0 <= report.best_valid_accuracy <= 1.0
    sources = [e.source for e in toy_task(20, seed=5)] + [("z", "a")]  # an unseen token too
    before = model.predict(sources)
    save_model(model, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert type(loaded) is type(model) and loaded.config == model.config
    assert loaded.predict(sources) == before
    assert [model.predict([s])[0] for s in sources[:5]] == before[:5]  # batching changes nothing
    with pytest.raises(FileExistsError):
        save_model(model, tmp_path / "model")
    with pytest.raises(FileNotFoundError, match="no saved model"):
        load_model(tmp_path)


@pytest.mark.parametrize(("name", "settings", "reverse"), [
    ("gru", {"learning_rate": 3e-3}, True),
    ("transformer", {"learning_rate": 2e-3, "warmup_steps": 20}, False),
])
def test_models_learn_a_toy_task(name: str, settings: dict[str, Any], reverse: bool) -> None:
    """A learning check: after ~300 steps the model reproduces its own training data."""
    train = toy_task(160, reverse=reverse)
    model = create_model(name, **{**TINY[name], **settings})
    model.fit(train, toy_task(20, seed=9, reverse=reverse), TrainBudget(minutes=1, max_epochs=30, patience=100))
    assert exact_match(model.predict([e.source for e in train]), [e.target for e in train]) >= 0.85


def test_untrained_model_refuses_to_predict() -> None:
    with pytest.raises(RuntimeError, match="fit or load"):
        create_model("gru").predict([("a",)])


# ----------------------------------------------------------------------------- a model from elsewhere


class Memorizer(Seq2SeqModel):
    """Answers training sources from memory and echoes anything else; proves the interface is enough."""

    def __init__(self, echo: bool = True) -> None:
        self.echo, self.memory = echo, {}

    @property
    def config(self) -> dict[str, Any]:
        return {"echo": self.echo}

    def fit(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int = 0,
            progress: Any = None) -> FitReport:
        self.memory = {e.source: e.target for e in train}
        return FitReport(1, 1, 0.0, 1.0, "max-epochs")

    def predict(self, sources: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        return [self.memory.get(tuple(s), tuple(s) if self.echo else ()) for s in sources]

    def save(self, folder: Path) -> None:
        (folder / "memory.json").write_text(json.dumps([[list(k), list(v)] for k, v in self.memory.items()]))

    @classmethod
    def load(cls, folder: Path) -> Memorizer:
        model = cls()
        model.memory = {tuple(k): tuple(v) for k, v in json.loads((folder / "memory.json").read_text())}
        return model


@pytest.fixture
def memorizer(monkeypatch: pytest.MonkeyPatch) -> str:
    from reasoning.seq2seq import registry

    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))
    register_model("memorizer")(Memorizer)
    return "memorizer"


def test_a_registered_model_runs_in_the_bench(memorizer: str, tmp_path: Path) -> None:
    from reasoning.bench import bench_cells, cell_run_dir, run_bench, summarise

    cells = bench_cells([memorizer], ["symbol"], seeds=2)
    options = {"task_options": {"train_per_op": 20, "test_per_op": 3}}
    results = run_bench("hint", cells, lambda cell: cell_run_dir(tmp_path, cell), TrainBudget(minutes=1), options)
    rows = {row["subset"]: row for row in summarise("hint", results)}
    assert rows["I"]["accuracy_mean"] == 100.0 and rows["I"]["published_best"] == "98"
    assert list(rows) == ["I", "SS", "LS", "SL", "LL", "avg"] and rows["LL"]["accuracy_mean"] == 0.0
    assert isinstance(load_model(tmp_path / "runs" / "memorizer-symbol-seed1" / "checkpoint"), Memorizer)


# ----------------------------------------------------------------------------- task files


def test_task_files_round_trip_and_errors(tmp_path: Path) -> None:
    examples = [Example(("copy", "A1", "B2"), ("A1", "B2")), Example(("reverse", "C3", "D4"), ("D4", "C3"))]
    paths = write_split("pcfg", {"test": examples}, tmp_path)
    assert [p.name for p in paths] == ["test.src", "test.tgt"]
    assert read_task_file("pcfg", tmp_path / "test.src") == examples == read_task_file("pcfg", tmp_path / "test.tgt")
    hint = [Example(("3", "+", "4"), ("7",), (1, -1, 1), (3, 7, 4), "I")]
    write_split("hint", {"test": hint}, tmp_path)
    assert read_task_file("hint", tmp_path / "test.jsonl") == hint
    (tmp_path / "odd.tgt").write_text("A1\n")
    (tmp_path / "odd.src").write_text("copy A1\ncopy B1\n")
    with pytest.raises(DataFormatError, match="every program needs exactly one target line"):
        read_task_file("pcfg", tmp_path / "odd.src")
    (tmp_path / "alone.src").write_text("copy A1\n")
    with pytest.raises(FileNotFoundError, match=r"alone\.tgt"):
        read_task_file("pcfg", tmp_path / "alone.src")
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(DataFormatError, match="no examples"):
        read_task_file("scan", tmp_path / "empty.txt")
    (tmp_path / "bad.jsonl").write_text('{"source": ["1"], "target": ["1"]}\n{"source": 1}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2:"):
        read_task_file("hint", tmp_path / "bad.jsonl")
