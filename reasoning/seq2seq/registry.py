"""Model names -> classes implementing :class:`~reasoning.seq2seq.interface.Seq2SeqModel`.

Built-in models register themselves when their module is imported (the modules in
:data:`BUILTIN_MODELS`, imported when the model is first asked for). Models of other packages
register by decorating their class with :func:`register_model` and declaring the module in the
``slotmind.seq2seq_models`` entry-point group (``name = "package.module"``); either way they
appear in ``slotmind reason train|bench``.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

from reasoning.seq2seq.interface import Seq2SeqModel
from reasoning.seq2seq.staging import staged_folder

# Built-in model name -> the module that registers it (imported only when that model is asked for).
BUILTIN_MODELS: dict[str, str] = {"gru": "reasoning.seq2seq.gru", "transformer": "reasoning.seq2seq.transformer",
                                  "nsr": "reasoning.nsr.model"}
ENTRY_POINT_GROUP = "slotmind.seq2seq_models"
MODEL_FILE = "model.json"

_MODELS: dict[str, type[Seq2SeqModel]] = {}
ModelClass = TypeVar("ModelClass", bound=type[Seq2SeqModel])


def register_model(name: str) -> Callable[[ModelClass], ModelClass]:
    """Class decorator: make a :class:`Seq2SeqModel` subclass available under ``name``.

    Raises:
        ValueError: another class is already registered under ``name``.
    """

    def decorate(cls: ModelClass) -> ModelClass:
        known = _MODELS.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"model name {name!r} is taken by {known.__module__}.{known.__qualname__}")
        cls.name = name
        _MODELS[name] = cls
        return cls

    return decorate


def _import_models(name: str | None = None) -> None:
    """Import the module of built-in model ``name`` only, or of every model when ``name`` is None or not built in."""
    if name in BUILTIN_MODELS:
        importlib.import_module(BUILTIN_MODELS[name])
        return
    for module in BUILTIN_MODELS.values():
        importlib.import_module(module)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()


def available_models() -> tuple[str, ...]:
    """Every registered model name, sorted."""
    _import_models()
    return tuple(sorted(_MODELS))


def model_class(name: str) -> type[Seq2SeqModel]:
    """The class registered under ``name``.

    Raises:
        ValueError: no such model (the message lists the known ones).
    """
    _import_models(name)
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def create_model(name: str, **config: Any) -> Seq2SeqModel:
    """A new, untrained model ``name`` built with the hyperparameters ``config`` (defaults for the rest)."""
    return model_class(name)(**config)


def save_model(model: Seq2SeqModel, folder: str | os.PathLike[str]) -> Path:
    """Save ``model`` into the new folder ``folder`` all at once (written beside it, then renamed).

    Raises:
        FileExistsError: ``folder`` already exists.
    """
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; a model is saved into a new folder")
    with staged_folder(folder) as staging:
        (staging / MODEL_FILE).write_text(json.dumps({"model": model.name}) + "\n", encoding="utf-8")
        model.save(staging)
    return folder


def load_model(folder: str | os.PathLike[str]) -> Seq2SeqModel:
    """Load a model saved by :func:`save_model`, whatever its class.

    Raises:
        FileNotFoundError: ``folder`` holds no saved model.
        ValueError: the saved model name is unknown or the file is malformed.
    """
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} holds no saved model ({MODEL_FILE} is missing)")
    try:
        name = json.loads(path.read_text(encoding="utf-8"))["model"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a saved-model file ({error})") from None
    return model_class(name).load(Path(folder))
