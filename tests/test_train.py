"""Self-play training, checkpoints, evaluation and the CleanRL example, end to end on real MAME, SB3 and torch.

Runs are tiny (a few hundred steps) so that the module takes well under a minute; the learning itself is
measured by the documented run in docs/training.md.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3", reason="needs the 'train' extra (torch + stable-baselines3)")

from mame_zoo.agents.observation import ObsConfig, Preprocessor, RandomAgent
from mame_zoo.train.policy import load_policy, resolve_checkpoint

pytestmark = [pytest.mark.timeout(240), pytest.mark.first_mame]  # the env is tested on every version

ROOT = Path(__file__).resolve().parent.parent
FRAMES = 2048  # 512 steps of each match at frameskip 4 (x2 agents = 1024 SB3 timesteps)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny self-play run on screens through the command line: 2 matches in 2 worker processes, checkpoints,
    evals (the RAM recipe, the default, is :func:`test_ram_recipe_trains_exports_and_plays`)."""
    from mame_zoo.train.cli import main

    out = tmp_path_factory.mktemp("run") / "boxing"
    code = main(["train", "boxing_v0", "--frames", str(FRAMES), "--out", str(out), "--num-games", "2",
                 "--cpu-games", "0", "--obs", "rgb", "--stack", "4", "--lr", "7e-4", "--clip-range", "0.1",
                 "--workers", "2", "--n-steps", "64", "--batch-size", "128", "--epochs", "1",
                 "--checkpoint-every", "1024", "--eval-every", "1024", "--eval-episodes", "1", "--eval-max-steps", "60",
                 "--max-cycles", "150", "--video-every", "2", "--seed", "3", "--no-progress"])
    assert code == 0
    return out


def test_import_does_not_need_torch() -> None:
    code = ("import sys, mame_zoo, mame_zoo.train, mame_zoo.train.cli, mame_zoo.train.policy, "
            "mame_zoo.train.evaluate, mame_zoo.record, mame_zoo.play\n"
            "bad = [m for m in ('torch', 'stable_baselines3') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from mame_zoo.train import require_train_extra

    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # makes `import stable_baselines3` fail
    with pytest.raises(ImportError, match=r"mame-zoo\[train\]"):
        require_train_extra()


def test_preprocessor_matches_supersuit_pipeline() -> None:
    """Eval/play preprocess one agent's raw frames exactly like the SuperSuit wrappers used in training."""
    from pettingzoo.utils.wrappers import BaseParallelWrapper

    from mame_zoo.agents.observation import wrap_parallel
    from mame_zoo.games import boxing_v0

    class Spy(BaseParallelWrapper):
        raw: dict

        def reset(self, seed=None, options=None):  # type: ignore[no-untyped-def]
            obs, infos = self.env.reset(seed=seed, options=options)
            self.raw = obs
            return obs, infos

        def step(self, actions):  # type: ignore[no-untyped-def]
            out = self.env.step(actions)
            self.raw = out[0]
            return out

    cfg = ObsConfig.for_game("boxing_v0", frameskip=4)
    spy = Spy(boxing_v0.parallel_env(frameskip=4))
    env = wrap_parallel(spy, cfg)
    try:
        pre = {a: Preprocessor(cfg, a) for a in cfg.agents}
        obs, _ = env.reset(seed=5)
        rng = np.random.default_rng(0)
        for t in range(12):
            for k, a in enumerate(cfg.agents):
                mine = pre[a](spy.raw[a])
                assert mine.shape == cfg.shape == (84, 84, 6) and mine.dtype == np.uint8
                np.testing.assert_array_equal(mine, obs[a], err_msg=f"step {t}, {a}")
                assert (mine[..., 4 + k] == 255).all() and (mine[..., 4 + 1 - k] == 0).all()
            if t > 4:
                assert not np.array_equal(obs[cfg.agents[0]][..., 0], obs[cfg.agents[0]][..., 3])  # frames move
            obs, *_ = env.step({a: int(rng.integers(18)) for a in env.agents})
    finally:
        env.close()


def test_cpu_match_pipeline_matches_the_preprocessor() -> None:
    """Training matches against the CPU see player 1's view exactly as evaluation against the CPU does."""
    from mame_zoo.agents.observation import wrap_parallel
    from mame_zoo.single_agent import single_agent_parallel_env

    cfg = ObsConfig.for_game("boxing_v0", frameskip=4)
    raw = single_agent_parallel_env("boxing_v0", frameskip=4)
    last: dict = {}
    original_reset, original_step = raw.reset, raw.step
    raw.reset = lambda **kw: _keep(last, original_reset(**kw))  # type: ignore[method-assign]
    raw.step = lambda actions: _keep(last, original_step(actions))  # type: ignore[method-assign]
    env = wrap_parallel(raw, cfg, as_agent="first_0")
    try:
        pre = Preprocessor(cfg, "first_0")
        obs, _ = env.reset(seed=2)
        assert env.possible_agents == ["first_0"]
        for t in range(10):
            mine = pre(last["obs"]["first_0"])
            np.testing.assert_array_equal(mine, obs["first_0"], err_msg=f"step {t}")
            assert (mine[..., 4] == 255).all() and (mine[..., 5] == 0).all()
            obs, *_ = env.step({"first_0": t % 18})
    finally:
        env.close()


def _keep(store: dict, result: tuple) -> tuple:
    store["obs"] = result[0]
    return result


def test_cpu_games_train_next_to_self_play(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cpu_games``: one vector of self-play and CPU matches, frames counted right, CPU margins logged."""
    from mame_zoo.train.selfplay import (
        TrainConfig,
        checkpoint_frames_per_timestep,
        cpu_env_indices,
        env_indices,
        frames_per_timestep,
        make_vec_env,
        train,
    )

    cfg = TrainConfig(num_games=1, cpu_games=2, pool_games=0, workers=2, max_cycles=40, clip_rewards=False,
                      progress=False, obs_type="rgb", stack=4,
                      n_steps=64, batch_size=64, n_epochs=1, checkpoint_every=10**9, seed=5, frames=1024,
                      out=str(tmp_path / "mixed"))
    assert cpu_env_indices(cfg) == [2, 3]  # self-play first_0, second_0, then the two CPU matches
    assert cpu_env_indices(TrainConfig(num_games=3, cpu_games=2, pool_games=0)) == [2, 5]  # interleaved
    mixed = TrainConfig(num_games=1, cpu_games=3, pool_games=2)  # kinds: self-play, cpu, pool, cpu, pool, cpu
    assert (env_indices(mixed, "selfplay"), cpu_env_indices(mixed), env_indices(mixed, "pool")) == \
        ([0, 1], [2, 4, 6], [3, 5])
    with pytest.raises(ValueError, match="RAM observations"):
        make_vec_env(TrainConfig(obs_type="rgb", pool_games=1))
    venv = make_vec_env(cfg)
    try:
        assert venv.num_envs == 4
        obs = venv.reset()
        indicators = obs[:, 0, 0, 4:].tolist()
        assert indicators == [[255, 0], [0, 255], [255, 0], [255, 0]]  # CPU matches: player 1's planes
        for _ in range(45):  # past max_cycles: every match ends once
            _, _, dones, infos = venv.step(np.zeros(4, dtype=np.int64))
        assert all("episode" in infos[i] or not dones[i] for i in range(4))
    finally:
        venv.close()

    fpt = frames_per_timestep(cfg.obs_config(), 1, 2)
    assert fpt == pytest.approx(4 * 3 / 4)  # 3 matches x 4 frames per vector step, 4 timesteps
    # PyTorch threads: torch_threads while the envs run, update_threads during PPO's updates, the caller's after
    import torch
    from stable_baselines3 import PPO

    threads_in_updates: list[int] = []
    ppo_train = PPO.train

    def recording_train(self: PPO) -> None:
        threads_in_updates.append(torch.get_num_threads())
        ppo_train(self)

    callers = torch.get_num_threads()
    cfg.torch_threads, cfg.update_threads = 1, 3
    monkeypatch.setattr(PPO, "train", recording_train)
    final = train(cfg)
    assert threads_in_updates == [3, 3]
    assert torch.get_num_threads() == callers
    policy = load_policy(final)
    assert checkpoint_frames_per_timestep(policy) == pytest.approx(fpt)
    assert policy.model.num_timesteps == 512  # 1024 frames = 341 timesteps, done in whole 256-timestep rollouts
    with (tmp_path / "mixed" / "progress.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert any(r.get("cpu_games/margin_mean") for r in rows)
    assert any(r.get("selfplay/abs_margin_mean") for r in rows)


def test_training_run_outputs(run_dir: Path) -> None:
    config = json.loads((run_dir / "config.json").read_text())
    assert config["obs"] == {"game": "boxing_v0", "frameskip": 4, "size": 84, "stack": 4,
                             "agents": ["first_0", "second_0"], "obs_type": "rgb"}
    checkpoints = sorted((run_dir / "checkpoints").glob("ppo_*_steps.zip"))
    assert [p.name for p in checkpoints] == ["ppo_1024_steps.zip", "ppo_512_steps.zip"]
    with (run_dir / "progress.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    frames = [int(float(r["time/emulated_frames"])) for r in rows if r.get("time/emulated_frames")]
    assert frames[-1] == FRAMES and frames == sorted(frames)
    assert any(r.get("train/approx_kl") for r in rows)  # PPO updates happened
    assert list(run_dir.glob("events.out.tfevents.*")), "no TensorBoard log"
    with (run_dir / "eval.csv").open() as fh:
        evals = list(csv.DictReader(fh))
    assert [int(r["frames"]) for r in evals] == [0, 1024, 2048]
    videos = sorted((run_dir / "videos").glob("train-*-ep*.mp4"))
    assert videos, "no training video"  # 150-step episodes, every 2nd recorded in each match

    policy = load_policy(run_dir)  # the folder resolves to final.zip
    assert policy.path.endswith("final.zip")
    assert policy.config == ObsConfig.for_game("boxing_v0")
    assert policy.model.num_timesteps == FRAMES // 2
    assert type(policy.model.policy.features_extractor).__name__ == "SmallCNN"


def test_resume_continues_the_run(run_dir: Path, tmp_path: Path) -> None:
    from mame_zoo.train.selfplay import TrainConfig, train

    start = resolve_checkpoint(run_dir / "checkpoints" / "ppo_1024_steps.zip")
    out = tmp_path / "resumed"
    final = train(TrainConfig(frames=FRAMES + 1024, out=str(out), resume=str(start), num_games=1, cpu_games=0,
                              pool_games=0, workers=0, obs_type="rgb", stack=4,
                              n_steps=64, batch_size=64, n_epochs=1, checkpoint_every=10**9, seed=4,
                              progress=False))
    before, after = load_policy(start), load_policy(final)
    assert after.model.num_timesteps == 1024 + (FRAMES + 1024) // 2 - 1024  # continued, not restarted
    diffs = [float((a - b).abs().max()) for a, b in zip(after.model.policy.state_dict().values(),
                                                         before.model.policy.state_dict().values())]
    assert max(diffs) > 0  # it trained further
    with pytest.raises(ValueError, match="trained with"):
        train(TrainConfig(frames=FRAMES, out=str(tmp_path / "bad"), resume=str(start), frameskip=2,
                          obs_type="rgb", stack=4, progress=False))


def test_evaluate_against_cpu_random_and_checkpoint(run_dir: Path) -> None:
    from mame_zoo.train.evaluate import evaluate

    final = os.fspath(run_dir / "final.zip")
    other = os.fspath(run_dir / "checkpoints" / "ppo_512_steps.zip")
    kw = {"episodes": 2, "max_steps": 40, "progress": False}
    vs_cpu = evaluate(final, "cpu", deterministic=True, **kw)
    again = evaluate(final, "cpu", deterministic=True, **kw)
    assert vs_cpu.margins == again.margins  # seeded episodes, greedy policy: reproducible
    assert vs_cpu.steps == 80 and vs_cpu.frames == 320
    vs_random = evaluate(final, "random", **kw)
    vs_ckpt = evaluate(final, other, side="second_0", **kw)
    random_vs_cpu = evaluate("random", "cpu", game="boxing_v0", frameskip=4, **kw)
    for r in (vs_cpu, vs_random, vs_ckpt, random_vs_cpu):
        assert len(r.margins) == 2 and all(float(m).is_integer() for m in r.margins)
        assert np.isfinite(r.mean) and r.std >= 0
    assert "± " in vs_cpu.summary()
    with pytest.raises(ValueError, match="frameskip"):
        evaluate(final, "cpu", frameskip=2, **kw)


def test_eval_command_line(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    from mame_zoo.train.cli import main

    out = tmp_path / "eval.json"
    threads = torch.get_num_threads()
    try:
        assert main(["eval", str(run_dir), "--vs", "cpu", "random", "--episodes", "1", "--max-steps", "30",
                     "--no-progress", "--json", str(out), "--torch-threads", "3"]) == 0
        assert torch.get_num_threads() == 3  # not a default anywhere
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "final.zip vs cpu: score margin" in printed and "| final.zip | random | 1 |" in printed
    data = json.loads(out.read_text())
    assert [d["opponent"] for d in data] == ["cpu", "random"] and all(len(d["margins"]) == 1 for d in data)
    assert main(["eval", str(run_dir), "--torch-threads", "0"]) == 2
    assert "--torch-threads must be at least 1" in capsys.readouterr().err


def test_cleanrl_example_runs(tmp_path: Path) -> None:
    saved = tmp_path / "agent.pt"
    proc = subprocess.run(
        [sys.executable, os.fspath(ROOT / "examples" / "ppo_selfplay_cleanrl.py"), "--total-frames", "1024",
         "--num-games", "2", "--num-workers", "2", "--num-steps", "64", "--num-minibatches", "2",
         "--update-epochs", "1", "--max-cycles", "100", "--save", os.fspath(saved)],
        capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 agents x 2 games = 4 envs, obs (84, 84, 6), 18 actions, 2 updates" in proc.stdout
    assert "update 2/2  frames 1024" in proc.stdout
    assert "first agent's margin" in proc.stdout and "over 2 ep" in proc.stdout  # 100-step episodes ended
    import torch

    state = torch.load(saved)
    assert state["network.0.0.weight"].shape[1] == 6  # channels from the env: 4 frames + 2 agent planes


def test_command_line_reports_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mame_zoo.train.cli import main

    assert main(["eval", os.fspath(tmp_path / "nothing-here"), "--episodes", "1"]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
    assert main(["train", "boxing_v0", "--out", os.fspath(tmp_path / "r"), "--net", "small", "--obs", "rgb",
                 "--resume", os.fspath(tmp_path / "missing.zip")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
    assert main(["train", "boxing_v0", "--out", os.fspath(tmp_path / "r"), "--net", "small"]) == 2
    assert "net 'small' cannot read 'ram' observations: choose one of ['mlp']" in capsys.readouterr().err
    assert main(["train", "boxing_v0", "--out", os.fspath(tmp_path / "r"), "--update-threads", "-1"]) == 2
    assert "update_threads must be at least 1" in capsys.readouterr().err


def test_training_curve_of_a_resumed_run(tmp_path: Path) -> None:
    """progress*.csv parts in run order; a part resumed from an earlier checkpoint replaces the overlap."""
    from mame_zoo.train.plot import training_cpu_margins

    head = "time/emulated_frames,cpu_games/margin_mean\n"
    (tmp_path / "progress-until-150000.csv").write_text(head + "100000,-5\n500000,-4\n")
    (tmp_path / "progress-until-270000.csv").write_text(head + "600000,-3\n900000,-2\n1000000,9\n")
    (tmp_path / "progress.csv").write_text(head + "900000,\n950000,1\n2000000,2\n")  # resumed at 900 k
    assert training_cpu_margins(tmp_path) == [(0.1, -5.0), (0.5, -4.0), (0.6, -3.0), (0.95, 1.0), (2.0, 2.0)]

    # resumed from that same 900 k checkpoint once more: the earlier logs are all kept, the newer part wins
    from mame_zoo.train.selfplay import keep_earlier_progress

    assert keep_earlier_progress(tmp_path, 270000) == tmp_path / "progress-until-270000-2.csv"
    assert keep_earlier_progress(tmp_path, 270000) is None  # no progress.csv left to keep
    (tmp_path / "progress.csv").write_text(head + "900000,\n950000,7\n")  # starts where the kept part does
    os.utime(tmp_path / "progress-until-270000-2.csv", (1000, 1000))
    os.utime(tmp_path / "progress.csv", (2000, 2000))
    assert training_cpu_margins(tmp_path) == [(0.1, -5.0), (0.5, -4.0), (0.6, -3.0), (0.95, 7.0)]


def test_learning_curve_plot(tmp_path: Path) -> None:
    """The plot reads a run's CSVs (written here by hand: a pure-logic test of the drawing) and a compared run."""
    from PIL import Image

    from mame_zoo.train.plot import main

    run, other = tmp_path / "run", tmp_path / "other"
    for folder in (run, other):
        folder.mkdir()
        (folder / "eval.csv").write_text("frames,timesteps,wall_s,episodes,margin_mean,margin_std,margins\n"
                                         "0,0,1,3,-5.0,1.0,-4 -5 -6\n500000,1,1,3,2.0,1.0,1 2 3\n")
    (run / "curve.csv").write_text("checkpoint,frames,episodes,margin_mean,margin_std,margins\n"
                                   "checkpoints/ppo_1_steps.zip,250000,3,-1.0,2.0,-1 1 -3\n")
    (run / "progress.csv").write_text("time/emulated_frames,cpu_games/margin_mean\n1000,-6.0\n400000,1.5\n")
    out = tmp_path / "img" / "curve.png"
    assert main([str(run), "--episodes", "0", "--out", str(out), "--random-margin", "-3.4",
                 "--compare", "pure self-play", str(other)]) == 0
    with Image.open(out) as img:
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    assert img.size[0] > 600 and len(np.unique(pixels, axis=0)) > 20  # a drawn figure, not blank


def test_random_agent_plays_discrete_and_multi_discrete_spaces() -> None:
    """Pure logic: a random player for any game's actions, SF3's move x attack included (seeded, in range)."""
    import gymnasium

    from mame_zoo.games.sf3 import action_space

    space = action_space("multi_discrete")
    frame = np.zeros((4, 4, 3), np.uint8)
    agent, again = RandomAgent(space, seed=1), RandomAgent(space, seed=1)
    actions = [agent.act(frame) for _ in range(200)]
    assert all(space.contains(a) for a in actions)
    assert all(np.array_equal(a, again.act(frame)) for a in actions)
    assert {int(a[0]) for a in actions} == set(range(9)) and {int(a[1]) for a in actions} == set(range(10))
    boxing = RandomAgent(gymnasium.spaces.Discrete(18), seed=1)
    assert {boxing.act(frame) for _ in range(300)} == set(range(18))
    with pytest.raises(ValueError, match="Discrete or MultiDiscrete"):
        RandomAgent(gymnasium.spaces.Box(0, 1, (2,)))  # type: ignore[arg-type]


def test_ram_recipe_trains_exports_and_plays(tmp_path: Path) -> None:
    """The default recipe's code path: RAM observations (two snapshots + agent indicator) through SuperSuit,
    equal to the Preprocessor's; an MLP trained on self-play, CPU and pool matches (snapshots joining the pool);
    exported to a NumPy agent that plays the CPU."""
    from mame_zoo.agents.observation import wrap_parallel
    from mame_zoo.agents.pretrained import load_file
    from mame_zoo.train.evaluate import episode_vs_cpu
    from mame_zoo.train.export import export_agent
    from mame_zoo.train.selfplay import TrainConfig, make_vec_env, train

    cfg = TrainConfig(num_games=1, cpu_games=1, pool_games=1, pool_every=256, workers=2, n_steps=64,
                      batch_size=64, n_epochs=1, frames=1024, checkpoint_every=10**9, max_cycles=100, seed=2,
                      progress=False, out=str(tmp_path / "ram"))
    assert (cfg.obs_type, cfg.stack, cfg.net_name()) == ("ram", 2, "mlp")
    obs_cfg = cfg.obs_config()
    venv = make_vec_env(cfg)
    try:
        obs = venv.reset()
        assert obs.shape == (4, 2 * 128 + 2) and obs.dtype == np.float32
        assert obs.min() >= 0 and obs.max() <= 1
        assert obs[:3, -2:].tolist() == [[1, 0], [0, 1], [1, 0]]  # self-play first_0, second_0; the CPU match
        assert obs[3, -2:].sum() == 1  # the pool match: the learner's side, either
        assert not obs[0, :128].any() and obs[0, 128:256].any()  # one snapshot so far: the older one is zeros
    finally:
        venv.close()

    from mame_zoo.games import boxing_v0

    raw = boxing_v0.parallel_env(**obs_cfg.env_kwargs())
    last: dict = {}
    original_reset, original_step = raw.reset, raw.step
    raw.reset = lambda **kw: _keep(last, original_reset(**kw))  # type: ignore[method-assign]
    raw.step = lambda actions: _keep(last, original_step(actions))  # type: ignore[method-assign]
    env = wrap_parallel(raw, obs_cfg)
    try:
        pre = {a: Preprocessor(obs_cfg, a) for a in obs_cfg.agents}
        obs, _ = env.reset(seed=1)
        for t in range(6):
            for a in obs_cfg.agents:
                np.testing.assert_array_equal(pre[a](last["obs"][a]), obs[a], err_msg=f"step {t}, {a}")
            obs, *_ = env.step({a: (t + k) % 18 for k, a in enumerate(env.agents)})
    finally:
        env.close()

    stale = tmp_path / "ram" / "pool" / "frames_0000000001.npz"  # an earlier run's snapshot: a fresh run drops it
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    final = train(cfg)
    policy = load_policy(final)
    assert policy.config == obs_cfg
    # 2 rollouts of 64 steps x 4 envs at 3 frames per timestep: snapshots after 768 and 1536 frames
    assert sorted(p.name for p in (tmp_path / "ram" / "pool").iterdir()) == \
        ["frames_0000000768.npz", "frames_0000001536.npz"]
    with (tmp_path / "ram" / "progress.csv").open() as fh:
        assert any(r.get("pool_games/margin_mean") for r in csv.DictReader(fh))
    assert type(policy.model.policy.features_extractor).__name__ == "FlattenExtractor"
    bot = load_file(export_agent(final, tmp_path / "agent.npz", {"command": "test"}))
    import gymnasium

    cpu = gymnasium.make("mame_zoo/Boxing-v0", max_cycles=50, **bot.env_kwargs)
    try:
        margin, steps = episode_vs_cpu(bot, cpu, seed=0)
    finally:
        cpu.close()
    assert steps == 50 and float(margin).is_integer()


def _snapshot_file(path: Path, cfg: ObsConfig, favourite: int, seed: int) -> None:
    """A pretrained-agent file with random hidden layers whose action layer all but always picks ``favourite``
    (a hand-made stand-in for a snapshot of a run: the test checks who plays, not how well)."""
    from mame_zoo.agents.pretrained import FORMAT

    rng = np.random.default_rng(seed)
    n_in = cfg.stack * 128 + len(cfg.agents)
    bias = np.full(18, -50.0, np.float32)
    bias[favourite] = 50.0
    arrays = {"hidden_0_weight": rng.normal(0, 0.1, (16, n_in)).astype(np.float32),
              "hidden_0_bias": np.zeros(16, np.float32), "action_weight": np.zeros((18, 16), np.float32),
              "action_bias": bias}
    meta = {"format": FORMAT, "game": cfg.game, "obs": cfg.to_dict(), "activation": "tanh", "trained": {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def test_pool_match_rotates_sides_and_draws_past_opponents(tmp_path: Path) -> None:
    """A pool match: the learner's side rotates, each reset draws the opponent from random play and the
    snapshots in the folder then, the opponent acts on its own side's observation, the learner gets its side's
    observation (indicator included) and reward."""
    from mame_zoo.agents.observation import wrap_parallel
    from mame_zoo.games import boxing_v0
    from mame_zoo.train.opponents import LEARNER, RANDOM, PastOpponentsEnv

    cfg = ObsConfig.for_game("boxing_v0", frameskip=4, stack=2, obs_type="ram")
    raw = boxing_v0.parallel_env(max_cycles=25, **cfg.env_kwargs())
    joint: list[tuple[dict, dict]] = []  # (actions, rewards) of every step of the real match
    original_step = raw.step

    def step(actions: dict) -> tuple:
        out = original_step(actions)
        joint.append((dict(actions), dict(out[1])))
        return out

    raw.step = step  # type: ignore[method-assign]
    pool = tmp_path / "pool"
    env = PastOpponentsEnv(wrap_parallel(raw, cfg), pool)
    try:
        assert env.possible_agents == [LEARNER] and env.observation_space(LEARNER).shape == (258,)
        obs, infos = env.reset(seed=4)  # no pool folder yet: random play only
        assert list(infos[LEARNER]["opponents"].values()) == [RANDOM]
        _snapshot_file(pool / "frames_0000000100.npz", cfg, favourite=7, seed=1)
        (pool / "frames_0000000200.npz.part").write_bytes(b"half a file")  # a snapshot being written: ignored
        sides, drawn = [], []
        for episode in range(8):
            if episode:
                obs, infos = env.reset()
            side = infos[LEARNER]["side"]
            other, = (a for a in cfg.agents if a != side)
            sides.append(side)
            drawn.append(infos[LEARNER]["opponents"][other])
            assert obs[LEARNER][-2:].tolist() == [float(a == side) for a in cfg.agents]
            joint.clear()
            done = False
            while not done:
                obs, rewards, terms, truncs, _ = env.step({LEARNER: 3})
                done = terms[LEARNER] or truncs[LEARNER]
                assert rewards[LEARNER] == joint[-1][1][side]
            assert len(joint) == 25 and env.agents == []
            assert all(actions[side] == 3 for actions, _ in joint)
            theirs = {actions[other] for actions, _ in joint}
            assert theirs == {7} if drawn[-1] == "frames_0000000100.npz" else len(theirs) > 5
        assert sides == [cfg.agents[(sides[0] == cfg.agents[1]) + k & 1] for k in range(8)]  # alternating
        assert set(drawn[1:]) == {RANDOM, "frames_0000000100.npz"}
    finally:
        env.close()
