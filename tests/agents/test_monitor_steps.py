"""Episode end steps in the monitor CSVs, and trimming them to a checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from stable_baselines3.common.vec_env import VecMonitor

from agents.training.monitor_steps import STEP_KEY, StepStampVecEnv, trim_monitor
from envs import make_vec_env

HEADER = '#{"t_start": 0, "env_id": "slotmind/ObjectGoal-v0"}\nr,l,t,is_success,env_steps\n'


def test_trim_keeps_the_episodes_that_ended_by_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "monitor-0.monitor.csv"
    path.write_text(HEADER + "1.0,10,0.1,True,40\n0.0,30,0.2,False,128\n1.0,12,0.3,True,132\n0.0,5,0.4,Fal")
    assert trim_monitor(path, 128) == 2  # the row past 128 and the row cut short by the kill
    assert path.read_text() == HEADER + "1.0,10,0.1,True,40\n0.0,30,0.2,False,128\n"
    assert trim_monitor(path, 128) == 0


def test_rows_of_older_runs_without_the_column_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.monitor.csv"
    text = '#{"t_start": 0}\nr,l,t\n1.0,10,0.1\n'
    path.write_text(text)
    assert trim_monitor(path, 0) == 0 and path.read_text() == text


def test_every_info_carries_the_run_step_counted_from_the_start() -> None:
    venv = StepStampVecEnv(make_vec_env("slotmind/ObjectGoal-v0", n_envs=3, seed=0, obs_mode="objects"), start=300)
    venv.reset()
    for expected in (303, 306):
        _, _, _, infos = venv.step(np.zeros(3, dtype=np.int64))
        assert [info[STEP_KEY] for info in infos] == [expected] * 3
    monitored = VecMonitor(venv, info_keywords=(STEP_KEY,))
    assert monitored.num_envs == 3
