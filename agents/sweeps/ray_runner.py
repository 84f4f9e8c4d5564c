"""Ray for a sweep: a local instance with the cores given, or an existing cluster, and one Tune experiment
whose trials are the sweep's cells (grid over cell names, one CPU per torch thread, retried on death)."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agents.sweeps.layout import RAY_DIR, Cell, SweepLayout
from envs.command_line import UserError

EXPERIMENT = "tune"
CONNECT_TIMEOUT_S = 3.0


def import_ray() -> Any:
    """The ``ray`` module, or a UserError saying how to install it."""
    # The legacy reporter at verbose=0 prints nothing; the sweep prints its own progress.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    try:
        import ray
        import ray.tune
    except ImportError as error:
        raise UserError("`slotmind sweep` runs on Ray Tune: pip install 'slotmind[ray]' (or \"ray[tune]\")") from error
    logging.getLogger("ray.tune").setLevel(logging.WARNING)
    logging.getLogger("ray.tune.tune").setLevel(logging.ERROR)  # its "resume with Tuner.restore" is not ours
    return ray


def check_reachable(address: str) -> None:
    """UserError within seconds when ``HOST:PORT`` does not accept connections (Ray itself would retry for
    minutes); ``auto`` is left to Ray, which fails fast when no cluster runs on this machine."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--address {address!r}: give auto or HOST:PORT of a running Ray head (`ray start --head`)")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except (OSError, ValueError) as error:
        raise UserError(f"--address {address}: no Ray cluster answers there ({error}); start one with "
                        f"`ray start --head` or leave --address out to run locally") from error


@contextmanager
def ray_session(address: str | None, cpus: int | None, layout: SweepLayout) -> Iterator[None]:
    """Join the cluster at ``address`` or start a local Ray with ``cpus`` CPUs (default: all), without the
    dashboard, for the ``with`` block; Ray's session logs go into the sweep folder. Shut down on exit."""
    ray = import_ray()
    link = None
    if address is not None:
        check_reachable(address)
        try:
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, RuntimeError) as error:
            raise UserError(f"--address {address}: could not join a Ray cluster ({error})") from error
    else:
        link = session_link(layout)
        # Ray starts its workers at nice 15; a cell is the run `slotmind train` would make, so it keeps the
        # driver's priority (else a loaded machine starves the trials and the sweep's wall time says nothing).
        os.environ.setdefault("RAY_worker_niceness", str(os.nice(0)))
        ray.init(num_cpus=cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False, _temp_dir=str(link))
    try:
        yield
    finally:
        ray.shutdown()
        if link is not None:
            link.unlink(missing_ok=True)


def session_link(layout: SweepLayout) -> Path:
    """A short path (under the system temp dir) linking to ``ray/session`` in the sweep folder: Ray's session
    logs land in the sweep while its Unix socket paths stay under the kernel's length limit."""
    target = layout.root / RAY_DIR / "session"
    target.mkdir(parents=True, exist_ok=True)
    link = Path(tempfile.gettempdir()) / f"slotmind-ray-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)
    return link


def run_trials(layout: SweepLayout, cells: list[Cell], max_concurrent: int, retries: int,
               callbacks: list[Any]) -> list[Any]:
    """Run ``cells`` as the trials of a new Tune experiment in ``ray/tune-<n>`` -> Tune's results (one per cell).

    A resumed sweep passes only its unfinished cells (a new experiment each time, so no pickled driver
    state has to survive the kill); each trial continues its run folder's checkpoint where it has one."""
    from ray import tune

    from agents.sweeps.trial import tune_trainable

    storage = layout.root / RAY_DIR
    name = next(f"{EXPERIMENT}-{n}" for n in range(1000) if not (storage / f"{EXPERIMENT}-{n}").exists())
    cpus = max(cell.cpus for cell in cells)
    trainable = tune.with_resources(tune.with_parameters(tune_trainable, sweep_dir=str(layout.root)), {"cpu": cpus})
    run_config = tune.RunConfig(name=name, storage_path=str(storage), verbose=0, callbacks=callbacks,
                                failure_config=tune.FailureConfig(max_failures=retries))
    tuner = tune.Tuner(trainable, param_space={"cell": tune.grid_search([cell.name for cell in cells])},
                       tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent or None, reuse_actors=True),
                       run_config=run_config)
    return list(tuner.fit())
