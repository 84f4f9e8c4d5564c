"""The Neural-Symbolic Recursive Machine as a model of the common interface (registered as ``nsr``).

``fit`` runs deduction-abduction (:mod:`reasoning.nsr.learner`) with a length curriculum: for each
input length in turn, the training inputs up to that length are explained in rounds (first without
guessed constants, then with them) until all are explained or ``stage_rounds`` rounds have passed;
programs are re-induced after every round. Then rounds over the whole training set continue while
validation (exact match by deduction) improves, keeping the best state, as the other models do.
When the targets are numbers, :data:`NUMBER_DOMAIN_DEFAULTS` replace the defaults the user did not set.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reasoning.nsr.dsl import Function
from reasoning.nsr.image_reading import STATE_FILE as IMAGE_READER_FILE
from reasoning.nsr.image_reading import ImageReader, cluster_token, meaning_classes, unlearned_groups
from reasoning.nsr.learner import KEY_STRIDE, Learner, LearnerConfig
from reasoning.nsr.reading_abduction import abduce_readings
from reasoning.nsr.semantics import Semantics, format_semantics
from reasoning.nsr.symbol_tree import SymbolTree
from reasoning.nsr.value_domain import ValueDomain
from reasoning.seq2seq.interface import FitProgress, FitReport, ProgressCallback, Seq2SeqModel, TrainBudget
from reasoning.seq2seq.registry import register_model
from reasoning.seq2seq.scoring import exact_match
from reasoning.tasks.example import Example

# Where the root computes a number (HINT) the meanings are recursive programs over zero/inc/dec
# (multiplication is 9 nodes calling addition) and inputs are long expressions: these replace the
# defaults of the keys a user did not set.
NUMBER_DOMAIN_DEFAULTS: dict[str, Any] = {
    "max_program_size": 9,  # mul and div need 9 nodes
    "induce_seconds": 10.0,
    "induce_round_seconds": 60.0,  # one round's searches together: noisy keys can each use their budgets
    "single_helpers": True,  # mul beside add alone, not beside add, sub and div
    "abduce_up_to": 7,  # the shortest inputs with brackets: ( a + b ) * c
    "arity_trees_up_to": 13,  # up to six operators; longer inputs rely on the parser's samples
    "keep_majority": 0.6,
    "simplify_up_to": 0,  # trying each meaning away re-runs the long searches; a digit or an operator is not removable
    "predict_max_steps": 50_000_000,  # test values reach 10,000: add(x, y) recurses x + y deep
    "predict_max_depth": 50_000,
}

# Where input tokens are copied to the output (PCFG SET's letters, reasoning.nsr.lexical) the
# meanings are list programs (reverse and swap_first_last are 9 nodes) and the shortest inputs with
# a binary function have 6 tokens: these replace the defaults of the keys a user did not set.
LEXICAL_DEFAULTS: dict[str, Any] = {
    "max_program_size": 9,
    "induce_seconds": 2.0,  # reverse takes well under a second; a key no program fits waits after a failure
    "induce_round_seconds": 10.0,
    "batch_size": 256,  # explaining is cheap next to a round's searches
    "abduce_up_to": 7,
    "arity_trees_up_to": 9,
    "keep_majority": 0.6,
    "simplify_up_to": 0,
    "new_arity_cost": 16.0,  # more than revising: reverse/1 over longer chains, not reverse/2 and reverse/3
    # Test inputs nest binary functions deeper than training's; the dependent count tells a function
    # that has its arguments from one still waiting (productivity seed 2: 99.99% with it; 98% of a
    # 400-input test sample without it, with the same decoding).
    "parser_counts_dependents": True,
    # Explained trees are short; argument subtrees grafted into each other give the parser longer,
    # deeper ones (systematicity seed 1: 97.71% and 919 s of test decoding without, 100% and 20 s
    # with; productivity seed 2: 99.99% and 100%).
    "parser_grafts": 32,
}

# Children values a meaning is tried on to tell meanings apart by behaviour (image classes).
_PROBE_VALUES = range(5)
# Training segments the image CNN learns from, sampled when there are more.
_CNN_SEGMENTS = 200_000
# On image input the segments are read as many clusters (several per symbol), some of them mixed:
# these replace the defaults of the keys a user did not set.
IMAGE_DEFAULTS: dict[str, Any] = {
    "induce_min_examples": 4,  # an operator split over several clusters meets each one rarely
}
STATE_FILE = "nsr.json"
WEIGHTS_FILE = "nsr.pt"


@dataclass(frozen=True)
class NSRConfig(LearnerConfig):
    """Learning knobs (:class:`LearnerConfig`) plus the schedule of :meth:`NSRModel.fit`.

    Attributes:
        n_symbols: abstract symbols; 0 means one per input token of the training data.
        batch_size: examples explained per round.
        stage_rounds: the most rounds spent on one curriculum length.
        stage_pool: the most (distinct) training inputs in one stage's pool, sampled when there are more.
        stage_train_steps: extra optimiser steps of perception and parser at the end of each stage.
        validate_every: rounds between validation checks once the curriculum is complete.
        image_clusters: k-means clusters of the segment images (image input only,
            :mod:`reasoning.nsr.image_reading`).
        image_steps: optimiser steps of the image CNN on the clusters' classes (batches of 256 segments).
        image_minutes: the minutes kept, in each cycle, for its repairs (the rest of its share learns meanings).
        image_bootstrap_share: the part of the budget spent learning meanings on cluster tokens.
        image_cycles: cycles after the CNN's first training, each learning the meanings again on the
            CNN's readings (an equal share of the time left) and then repairing the readings.
        image_repair_rounds: rounds of abduction over perception (:mod:`reasoning.nsr.reading_abduction`)
            per cycle, each followed by ``image_repair_steps`` CNN steps on the repaired readings.
        image_repair_pool: training expressions abduced per repair round, sampled from the shortest ones.
        image_repair_up_to: the longest expressions (in segments) a repair round abduces.
        image_merge_unlearned: clusters without a meaning that look and occur as alike as clusters sharing
            a meaning form one class (:func:`~reasoning.nsr.image_reading.unlearned_groups`); off by
            default: measured worse once (see the README).
        lexical_tokens: input tokens that are also output tokens (PCFG SET's letters) are lexical
            symbols, whose meanings are one program per number of children shared by all of them
            (:mod:`reasoning.nsr.lexical`); needs one symbol per token and no ``symbol_changes``.
    """

    n_symbols: int = 0
    batch_size: int = 64
    stage_rounds: int = 8
    stage_pool: int = 2000
    stage_train_steps: int = 100
    validate_every: int = 5
    image_clusters: int = 32
    image_steps: int = 3000
    image_minutes: float = 1.5
    image_bootstrap_share: float = 0.3
    image_cycles: int = 2
    image_repair_rounds: int = 2
    image_repair_steps: int = 600
    image_repair_pool: int = 4000
    image_repair_up_to: int = 7
    image_merge_unlearned: bool = False
    lexical_tokens: bool = True


def _function_json(function: Function) -> dict[str, Any]:
    return {"name": function.name, "program": function.program.tolist(), "arg_types": list(function.arg_types),
            "return_type": function.return_type}


def _function_of(data: dict[str, Any]) -> Function:
    return Function(data["name"], np.array(data["program"], dtype=np.int64), tuple(data["arg_types"]),
                    data["return_type"])


def _with_sources(examples: Sequence[Example], sources: Sequence[tuple[str, ...]]) -> list[Example]:
    """The examples with their sources replaced (the tokens their images were read as) and no images."""
    return [replace(example, source=source, images=None) for example, source in zip(examples, sources, strict=True)]


def _distinct_inputs(examples: Sequence[Example]) -> list[Example]:
    """The first example of every distinct input (SCAN's add-jump train file repeats ``jump`` 1,467 times)."""
    seen: dict[tuple[str, ...], Example] = {}
    for example in examples:
        seen.setdefault(tuple(example.source), example)
    return list(seen.values())


@register_model("nsr")
class NSRModel(Seq2SeqModel):
    """NSR: perception (token -> symbol), a transition parser, and one induced program per (symbol, arity).

    Examples with images (HINT's image split) are read by an :class:`ImageReader` first.
    """

    reads_images = True

    def __init__(self, **config: Any) -> None:
        known = {f.name for f in fields(NSRConfig)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown nsr hyperparameters {unknown}; known: {', '.join(sorted(known))}")
        self._config = NSRConfig(**config)
        self._given = frozenset(config)
        self.tokens: tuple[str, ...] = ()
        self._token_index: dict[str, int] = {}
        self.learner: Learner | None = None
        self.reader: ImageReader | None = None
        self.image_repairs: list[dict[str, float]] = []  # per repair round of the last image fit

    @property
    def config(self) -> dict[str, Any]:
        return asdict(self._config)

    def _set_tokens(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        self._token_index = {token: i for i, token in enumerate(self.tokens)}

    def _token_ids(self, source: Sequence[str]) -> list[int] | None:
        ids = [self._token_index.get(token) for token in source]
        return None if None in ids else ids

    def _items(self, examples: Sequence[Example], domain: ValueDomain) -> list[tuple[int, tuple[str, ...], list[int],
                                                                                   Any]]:
        items = []
        for number, example in enumerate(examples):
            ids, target = self._token_ids(example.source), domain.value_of(example.target)
            if ids is not None and target is not None and example.source:
                items.append((number, tuple(example.source), ids, target))
        return items

    def fit(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int = 0,
            progress: ProgressCallback | None = None) -> FitReport:
        self.reader = None  # a model refitted on symbols reads no images
        if train and train[0].images is not None:
            return self._fit_images(train, valid, budget, seed, progress)
        return self._fit_tokens(train, valid, budget, seed, progress)

    def _use_defaults(self, defaults: dict[str, Any]) -> NSRConfig:
        """The config with ``defaults`` for every key the user did not set (kept as the model's config)."""
        self._config = replace(self._config, **{k: v for k, v in defaults.items() if k not in self._given})
        return self._config

    def _fit_images(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int,
                    progress: ProgressCallback | None) -> FitReport:
        """Learn to read the images and what they mean:

        1. k-means turns every segment into a cluster token, and meanings are learned on those tokens
           for ``image_bootstrap_share`` of the budget;
        2. clusters whose meanings behave alike form one class (clusters without a meaning that look and
           occur alike too, ``image_merge_unlearned``), and a CNN learns to read each segment as the
           class of its cluster;
        3. ``image_cycles`` times: the meanings are learned again, from scratch, on the CNN's readings,
           and abduction over perception repairs the CNN's readings of short training expressions whose
           value is wrong (one segment changed), the CNN training on them (``image_repair_rounds``).
        """
        start = time.perf_counter()
        if any(example.images is None for example in [*train, *valid]):
            raise ValueError("either every example has images or none has; got a mix")
        config = self._use_defaults(IMAGE_DEFAULTS)
        reader = ImageReader(config.image_clusters, image_size=train[0].images.shape[1], seed=seed)
        segments = np.concatenate([example.images for example in train])
        clusters = reader.fit_clusters(segments)
        bounds = np.cumsum([len(example.images) for example in train])[:-1]
        parts = np.split(clusters, bounds)
        cluster_tokens = [tuple(cluster_token(int(c)) for c in part) for part in parts]
        bootstrap = replace(budget, minutes=max(budget.minutes * config.image_bootstrap_share, 0.1))
        report = self._fit_tokens(_with_sources(train, cluster_tokens), _with_sources(valid, reader.read_all(
            [example.images for example in valid])), bootstrap, seed, progress)
        uses = self._key_uses()
        signatures = [self._primary_meaning(cluster_token(k), uses) for k in range(config.image_clusters)]
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(segments), min(len(segments), _CNN_SEGMENTS), replace=False)
        groups = unlearned_groups(signatures, reader.centres, parts) if config.image_merge_unlearned else None
        classes = meaning_classes(signatures, groups)
        reader.fit_classes(classes, segments[chosen], clusters[chosen], config.image_steps)
        self.reader = reader
        self.image_repairs = []
        for cycle in range(config.image_cycles):
            share = (budget.minutes - (time.perf_counter() - start) / 60) / (config.image_cycles - cycle)
            read_train = reader.read_all([example.images for example in train])
            read_valid = reader.read_all([example.images for example in valid])
            report = self._fit_tokens(_with_sources(train, read_train), _with_sources(valid, read_valid),
                                      replace(budget, minutes=max(share - config.image_minutes, 0.1)), seed, progress)
            self.image_repairs += [self._repair_readings(train, rng) for _ in range(config.image_repair_rounds)]
        accuracy = (exact_match(self.predict_examples(valid), [example.target for example in valid]) if valid
                    else report.best_valid_accuracy)
        return replace(report, train_seconds=time.perf_counter() - start, best_valid_accuracy=accuracy)

    def _repair_readings(self, train: Sequence[Example], rng: np.random.Generator) -> dict[str, float]:
        """One round of abduction over perception on short training expressions, then CNN training on the
        readings that were right as read or repaired; returns the shares right, repaired and left wrong."""
        assert self.reader is not None and self.learner is not None
        config, reader, domain = self._config, self.reader, self.learner.domain
        short = [example for example in train if len(example.images) <= config.image_repair_up_to
                 and domain.value_of(example.target) is not None]
        if not short:
            return {"right": 0.0, "repaired": 0.0, "wrong": 1.0}
        sample = [short[i] for i in rng.choice(len(short), min(len(short), config.image_repair_pool), replace=False)]
        log_probs = reader.class_log_probs([example.images for example in sample])

        def evaluate(readings: Sequence[tuple[int, ...]]) -> list[Any]:
            ids = [self._token_ids([reader.class_tokens[c] for c in reading]) for reading in readings]
            known = [number for number, token_ids in enumerate(ids) if token_ids is not None]
            values: list[Any] = [None] * len(readings)
            for number, value in zip(known, self.learner.greedy_values([ids[n] for n in known]), strict=True):
                values[number] = value
            return values

        targets = [domain.value_of(example.target) for example in sample]
        found = abduce_readings(log_probs, targets, evaluate)
        read = [tuple(probs.argmax(axis=1).tolist()) for probs in log_probs]
        kept = [b for b, reading in enumerate(found) if reading is not None]
        if kept:
            reader.fit_labels(np.concatenate([sample[b].images for b in kept]),
                              np.concatenate([np.array(found[b], np.int64) for b in kept]), config.image_repair_steps)
        right = sum(found[b] == read[b] for b in kept)
        return {"right": right / len(sample), "repaired": (len(kept) - right) / len(sample),
                "wrong": 1 - len(kept) / len(sample)}

    def _key_uses(self) -> Counter:
        """How many nodes of the explained trees use each semantic key."""
        assert self.learner is not None
        uses: Counter = Counter()
        for tree, _, _ in self.learner.explained.values():
            keyed = self.learner.keyed(tree)
            if keyed is not None:
                uses.update(keyed.symbols)
        return uses

    def _primary_meaning(self, token: str, uses: Counter) -> tuple | None:
        """How the meaning a token is used with most (``uses``: nodes per key) behaves; None without one.

        The behaviour is ``(number of children, outputs on every combination of _PROBE_VALUES)``, so two
        tokens with differently written but equal meanings (two clusters of sevens) compare equal.
        """
        assert self.learner is not None
        if token not in self._token_index:
            return None
        symbol = self.learner.perceive([self._token_index[token]])[0][0]
        own = Counter({key: count for key, count in uses.items() if key // KEY_STRIDE == symbol})
        known = [key for key, _ in own.most_common() if self.learner.semantics.functions[key] is not None]
        if not known:
            return None
        arity = known[0] % KEY_STRIDE
        probes = list(itertools.product(_PROBE_VALUES, repeat=arity))
        return arity, tuple(self.learner.semantics.apply_many(known[0], probes))

    def predict_examples(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        """Predicted target tokens per example; examples with images are read by the image reader."""
        if any(example.images is not None for example in examples) and self.reader is None:
            raise ValueError("these examples are images, but this nsr model was trained on symbols; "
                             "train it on the image split")
        if self.reader is not None and any(example.images is None for example in examples):
            raise ValueError("this nsr model reads images (it was trained on an image split), but these examples "
                             "have none; score it on its own split (the run's test part)")
        if self.reader is None:
            return self.predict([example.source for example in examples])
        return self.predict(self.reader.read_all([example.images for example in examples]))

    def _fit_tokens(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int,
                    progress: ProgressCallback | None) -> FitReport:
        start = time.perf_counter()
        config = self._config
        self._set_tokens(sorted({token for example in train for token in example.source}))
        domain = ValueDomain.of_targets([example.target for example in train])
        if domain.is_number:
            config = self._use_defaults(NUMBER_DOMAIN_DEFAULTS)
        n_symbols = config.n_symbols or len(self.tokens)
        lexical = self._lexical_tokens(domain)
        if lexical:
            config = self._use_defaults(LEXICAL_DEFAULTS)
        self.learner = Learner(len(self.tokens), n_symbols, domain, config, seed)
        self._mark_lexical(lexical)
        items = self._items(_distinct_inputs(train), domain)
        if not items:
            raise ValueError("no training example can be used (empty inputs, or targets the domain cannot write)")
        lengths = sorted({len(item[1]) for item in items})
        valid_items = self._items(valid, domain)
        rng = random.Random(seed)
        rounds, best_valid, best_state, bad_checks = 0, -1.0, None, 0
        history: list[dict[str, float]] = []
        stop_reason = "time-budget"

        def out_of_time() -> bool:
            return rounds > 0 and time.perf_counter() - start >= budget.minutes * 60  # at least one round

        def learn_round(pool: Sequence[Any], stage: int, may_guess: bool = True) -> float:
            nonlocal rounds
            todo = [item for item in pool if item[0] not in self.learner.explained] or list(pool)
            batch = rng.sample(todo, min(config.batch_size, len(todo)))
            explained = self.learner.learn_batch(batch, may_guess=may_guess)
            self.learner.induce()
            rounds += 1
            unexplained = 1.0 - explained / len(batch)
            if progress:
                progress(FitProgress(stage + 1, rounds, time.perf_counter() - start, unexplained))
            return unexplained

        for stage, length in enumerate(lengths):  # the curriculum: short inputs first
            if out_of_time():
                break
            pool = [item for item in items if len(item[1]) <= length]
            if len(pool) > config.stage_pool:
                pool = rng.sample(pool, config.stage_pool)
            self.learner.prepare_guesses(pool)
            # Guess-free explanations first: a guessed constant is only needed where nothing else explains.
            for _ in range(math.ceil(len(pool) / config.batch_size)):
                if out_of_time() or all(item[0] in self.learner.explained for item in pool):
                    break
                learn_round(pool, stage, may_guess=False)
            for _ in range(config.stage_rounds):
                if out_of_time() or all(item[0] in self.learner.explained for item in pool):
                    break
                learn_round(pool, stage)
            if length <= config.simplify_up_to and not out_of_time():
                self.learner.simplify()
            self.learner.train_modules(config.stage_train_steps)
        stage = len(lengths) - 1
        pool = items if len(items) <= config.stage_pool else rng.sample(items, config.stage_pool)
        while not out_of_time():  # the whole training set, checked against validation
            unexplained = learn_round(pool, stage)
            if rounds % config.validate_every:
                continue
            accuracy = self._accuracy(valid_items if valid_items else rng.sample(pool, min(200, len(pool))))
            history.append({"step": rounds, "epoch": stage + 1, "elapsed_s": time.perf_counter() - start,
                            "loss": unexplained, "valid_accuracy": accuracy})
            if accuracy > best_valid:
                best_valid, best_state, bad_checks = accuracy, copy.deepcopy(self.learner), 0
            else:
                bad_checks += 1
            if progress:
                progress(FitProgress(stage + 1, rounds, time.perf_counter() - start, unexplained, accuracy, best_valid))
            if accuracy >= 1.0:
                stop_reason = "perfect-validation"
                break
            if bad_checks >= budget.patience:
                stop_reason = "early-stopping"
                break
        if best_state is None:  # the budget ended within the curriculum: validate what there is
            best_valid = self._accuracy(valid_items) if valid_items else 0.0
        else:
            self.learner = best_state
        self.learner.find_analogies()
        return FitReport(epochs=stage + 1, steps=rounds, train_seconds=time.perf_counter() - start,
                         best_valid_accuracy=max(best_valid, 0.0), stop_reason=stop_reason, history=history)

    def _lexical_tokens(self, domain: ValueDomain) -> list[str]:
        """The input tokens that are output tokens too: the lexical ones (:mod:`reasoning.nsr.lexical`).

        Empty when ``lexical_tokens`` is off, when tokens share symbols (``n_symbols`` below the
        number of tokens) or when abduction may change perception (``symbol_changes``).
        """
        config = self._config
        if (not config.lexical_tokens or config.symbol_changes or domain.is_number
                or 0 < config.n_symbols < len(self.tokens)):
            return []
        outputs = set(domain.output_tokens)
        return [token for token in self.tokens if token in outputs]

    def _mark_lexical(self, lexical: Sequence[str]) -> None:
        """Make the learner's symbols of the input tokens ``lexical`` (from :meth:`_lexical_tokens`) lexical."""
        assert self.learner is not None
        if not lexical:
            return
        symbols = self.learner.perceive([self._token_index[token] for token in lexical])[0]
        output_index = {token: index for index, token in enumerate(self.learner.domain.output_tokens)}
        self.learner.set_lexical({symbol: output_index[token] for symbol, token in zip(symbols, lexical, strict=True)})

    def _accuracy(self, items: Sequence[tuple[int, tuple[str, ...], list[int], Any]]) -> float:
        if not items:
            return 0.0
        assert self.learner is not None
        predictions = self.learner.predict([item[1] for item in items], [item[2] for item in items])
        return sum(p == item[3] for p, item in zip(predictions, items, strict=True)) / len(items)

    def predict(self, sources: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        """Predicted target tokens per source; an empty tuple (no answer) for inputs with unseen tokens."""
        if self.learner is None:
            raise ValueError("this nsr model is not trained; call fit (or load a saved one) first")
        outputs: list[tuple[str, ...]] = [() for _ in sources]
        known = [(number, tuple(source), ids) for number, source in enumerate(sources)
                 if source and (ids := self._token_ids(source)) is not None]
        if known:
            values = self.learner.predict([source for _, source, _ in known], [ids for _, _, ids in known])
            for (number, _, _), value in zip(known, values, strict=True):
                outputs[number] = self.learner.domain.tokens_of(value)
        return outputs

    def read(self, source: Sequence[str]) -> SymbolTree:
        """The Grounded Symbol System the model builds for one input: symbols, tree, each node's value.

        Node values are written as output text (``"I_JUMP I_JUMP"`` or a number) and symbols are
        named by the tokens perceived as them (see :meth:`symbol_names`).

        Raises:
            ValueError: the model is untrained, the input is empty or has tokens unseen in training,
                or no tree of the input has a value.
        """
        if self.learner is None:
            raise ValueError("this nsr model is not trained; call fit (or load a saved one) first")
        ids = self._token_ids(source)
        if not source or ids is None:
            unseen = sorted({token for token in source if token not in self._token_index})
            raise ValueError(f"cannot read {' '.join(source)!r}: " + (f"tokens {unseen} were not in the training data"
                                                                      if unseen else "the input is empty"))
        tree = self.learner.read(tuple(source), ids)
        if tree is None or tree.values is None:
            raise ValueError(f"no tree of {' '.join(source)!r} has a value under the learned programs")
        domain = self.learner.domain
        return tree.with_values([str(value) if domain.is_number else " ".join(domain.tokens_of(value))
                                 for value in tree.values])

    def symbol_names(self) -> list[str]:
        """A name for every symbol id (n_symbols,): the tokens perceived as it joined by ``|``, else ``s<id>``."""
        if self.learner is None:
            return []
        symbols, _ = self.learner.perceive(range(len(self.tokens)))
        readers: dict[int, list[str]] = {}
        for token, symbol in zip(self.tokens, symbols, strict=True):
            readers.setdefault(symbol, []).append(token)
        return ["|".join(readers.get(symbol, [f"s{symbol}"])) for symbol in range(self.learner.n_symbols)]

    def describe(self) -> str:
        """The induced program of every (symbol, arity) in use, named by the tokens perceived as that symbol."""
        if self.learner is None:
            return "(untrained)"
        learner = self.learner
        symbol_names = self.symbol_names()
        names = [f"{symbol_names[key // KEY_STRIDE]}/{key % KEY_STRIDE}" for key in range(learner.semantics.n_symbols)]
        token_names = list(learner.domain.output_tokens) or None
        lines = [line for key, line in enumerate(format_semantics(learner.semantics, names, token_names).splitlines())
                 if not line.endswith("= ?") and key // KEY_STRIDE not in learner.lexical]
        if learner.lexical:
            examples = " ".join(symbol_names[symbol] for symbol in sorted(learner.lexical)[:3])
            lines.append(f"# {len(learner.lexical)} lexical tokens ({examples} ...), one meaning per number of "
                         f"children, its last argument the token itself:")
            pooled = format_semantics(learner.pooled, [f"<token>/{k}" for k in range(KEY_STRIDE)], token_names)
            lines += [line for line in pooled.splitlines() if not line.endswith("= ?")]
        return "\n".join(lines)

    def save(self, folder: Path) -> None:
        if self.learner is None:
            raise ValueError("this nsr model is not trained; nothing to save")
        semantics = self.learner.semantics
        state = {"config": self.config, "tokens": list(self.tokens),
                 "output_tokens": list(self.learner.domain.output_tokens), "n_symbols": self.learner.n_symbols,
                 "functions": [None if f is None else _function_json(f) for f in semantics.functions],
                 "library": [_function_json(f) for f in semantics.library],
                 "parse_classes": [[symbol, read_as] for symbol, read_as in self.learner.parse_classes.items()],
                 "analogies": [[key, _function_json(f)] for key, f in self.learner.analogies.items()],
                 "analogy_lenders": [[borrower, lender] for borrower, lender in self.learner.analogy_lenders.items()]}
        (folder / STATE_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
        torch.save({"perception": self.learner.perception.state_dict(), "parser": self.learner.parser.state_dict()},
                   folder / WEIGHTS_FILE)
        (folder / "programs.txt").write_text(self.describe() + "\n", encoding="utf-8")
        if self.reader is not None:
            self.reader.save(folder)

    @classmethod
    def load(cls, folder: Path) -> NSRModel:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        model = cls(**state["config"])
        model._set_tokens(state["tokens"])
        domain = ValueDomain(tuple(state["output_tokens"]))
        model.learner = Learner(len(model.tokens), state["n_symbols"], domain, model._config, seed=0)
        weights = torch.load(folder / WEIGHTS_FILE, weights_only=True)
        model.learner.perception.load_state_dict(weights["perception"])
        model.learner.parser.load_state_dict(weights["parser"])
        model.learner.set_semantics(Semantics(
            tuple(None if f is None else _function_of(f) for f in state["functions"]),
            tuple(_function_of(f) for f in state["library"])))
        model._mark_lexical(model._lexical_tokens(domain))
        model.learner.parse_classes = {symbol: read_as for symbol, read_as in state.get("parse_classes", [])}
        model.learner.analogies = {key: _function_of(f) for key, f in state.get("analogies", [])}
        model.learner.analogy_lenders = {borrower: lender for borrower, lender in state.get("analogy_lenders", [])}
        if (folder / IMAGE_READER_FILE).exists():
            model.reader = ImageReader.load(folder)
        return model
