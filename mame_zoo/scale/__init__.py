"""Running many MAME environments at once: hogwild threads, vectorised envs in worker processes, clean-up.

Three ways to scale out, all with one MAME process per environment (see ``docs/scaling.md``):

* **Threads** (:func:`hogwild`, :class:`EnvThreadPool`): N environments in one Python process, stepped from N
  threads. The bridge waits for MAME in ``select``/``readv``, which release the GIL, so the MAME processes
  emulate concurrently while Python only holds the GIL for the short encode/decode around each step.
* **Worker processes** (:func:`make_vector_env` for the single-agent Gymnasium envs, :func:`concat_vec_envs`
  for SuperSuit vector envs of the multi-agent ones): drop-in forms of Gymnasium's ``AsyncVectorEnv`` and
  SuperSuit's ``concat_vec_envs_v1`` that hand worker errors to the parent as the original mame_zoo exception,
  turn a dead worker into :class:`~mame_zoo.errors.EmulatorCrashed`, close quickly, and leave no MAME behind
  whether the vector env is closed, a worker is killed or the parent process is killed.
* **Ray RLlib** across machines: ``examples/rllib_ppo.py``; every env runner owns its MAME processes.

Worker processes are guarded by :func:`guard_worker` (installed automatically by the helpers here): a thread
that notices when the process that created the worker dies, and a SIGTERM handler; either kills the MAME
processes this worker started, removes their temp folders and exits. MAME itself is also started with
``PR_SET_PDEATHSIG``, so it dies with whichever process started it.
"""

from mame_zoo.scale.guard import guard_worker, mame_descendants
from mame_zoo.scale.gym_vector import MameAsyncVectorEnv, make_vector_env
from mame_zoo.scale.supersuit_vector import MameProcVecEnv, concat_vec_env_list, concat_vec_envs
from mame_zoo.scale.threads import EnvThreadPool, hogwild

__all__ = [
    "EnvThreadPool",
    "MameAsyncVectorEnv",
    "MameProcVecEnv",
    "concat_vec_env_list",
    "concat_vec_envs",
    "guard_worker",
    "hogwild",
    "make_vector_env",
    "mame_descendants",
]
