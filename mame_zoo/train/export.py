"""Turn a ``mame-zoo train`` checkpoint of an MLP policy into a pretrained agent file (NumPy weights), the form
:mod:`mame_zoo.agents` ships and plays without PyTorch.

``python -m mame_zoo.train.export RUN/final.zip mame_zoo/agents/data/boxing_v0.npz --trained trained.json``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from mame_zoo.agents.observation import ObsConfig
from mame_zoo.agents.pretrained import FORMAT
from mame_zoo.errors import InvalidOption
from mame_zoo.train.policy import load_policy


def agent_arrays(model: Any) -> dict[str, np.ndarray]:
    """The policy half of an SB3 ``MlpPolicy`` (tanh hidden layers + action layer) as float32 arrays."""
    from torch import nn

    policy = model.policy
    layers = list(policy.mlp_extractor.policy_net)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    if not linears or any(not isinstance(m, (nn.Linear, nn.Tanh)) for m in layers) or \
            not isinstance(policy.action_net, nn.Linear):
        raise InvalidOption("only MLP policies with tanh layers can be exported (train with --obs ram)")
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(linears):
        arrays[f"hidden_{i}_weight"] = layer.weight.detach().cpu().numpy().astype(np.float32)
        arrays[f"hidden_{i}_bias"] = layer.bias.detach().cpu().numpy().astype(np.float32)
    arrays["action_weight"] = policy.action_net.weight.detach().cpu().numpy().astype(np.float32)
    arrays["action_bias"] = policy.action_net.bias.detach().cpu().numpy().astype(np.float32)
    return arrays


def export_agent(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str],
                 trained: dict[str, Any] | None = None) -> Path:
    """Write the pretrained-agent file of a checkpoint; ``trained`` says how it was made (kept in its meta)."""
    policy = load_policy(checkpoint)
    if policy.config.obs_type != "ram":
        raise InvalidOption(f"{policy.path} observes {policy.config.obs_type!r}; only RAM (MLP) policies export")
    return write_agent(policy.model, policy.config, out, trained)


def write_agent(model: Any, config: ObsConfig, out: str | os.PathLike[str],
                trained: dict[str, Any] | None = None) -> Path:
    """Write an SB3 MLP policy trained with ``config`` as a pretrained-agent file. The file appears whole or not
    at all (written beside it, then renamed), so processes reading the folder never see half of one."""
    meta = {"format": FORMAT, "game": config.game, "obs": config.to_dict(), "activation": "tanh",
            "trained": trained or {}}
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta, sort_keys=True)), **agent_arrays(model)}
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with part.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    part.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m mame_zoo.train.export CHECKPOINT OUT.npz [--trained FILE.json]``."""
    p = argparse.ArgumentParser(prog="python -m mame_zoo.train.export", description=__doc__)
    p.add_argument("checkpoint", help="a checkpoint .zip or run folder")
    p.add_argument("out", help="the .npz to write")
    p.add_argument("--trained", help="a JSON file saying how the policy was trained (stored in the agent)")
    args = p.parse_args(argv)
    trained = json.loads(Path(args.trained).read_text()) if args.trained else {}
    print(export_agent(args.checkpoint, args.out, trained))
    return 0


if __name__ == "__main__":
    sys.exit(main())
