"""The helper process that trains while the window stays responsive (no Qt here).

Importing TensorFlow, and a network's first training steps, hold the interpreter lock for
hundreds of milliseconds at a time: measured, a thread of the window's process left the window
without a repaint for 400–600 ms during the import and about 200 ms during the first ``fit``
(docs/FACTS.md, "TensorFlow in a worker thread stalls the window"). So the window starts

    python -m digitpad.training.helper

writes one JSON job on its standard input and reads JSON lines back on its standard output::

    {"event": "progress", "fraction": 0.25, "info": {"stage": "epoch", "epoch": 1, ...}}
    {"event": "done", "result": {...}}       # train: the saved model's metadata
    {"event": "cancelled"}
    {"event": "error", "message": "..."}

A line ``cancel`` on standard input, or its end (the window went away), cancels the job: it
stops at the next check and exits without saving. Anything else that writes to standard output
(a library's banner) is sent to standard error so it cannot garble the messages.

Jobs (``kind``):

- ``train``: ``family``, ``name``, ``train_size`` (None: all; a network holds out
  ``mnist.validation_split()`` for its curve and is fitted on the 55,000 others), ``epochs``,
  ``augment``, ``include_user``, ``user_weight`` and ``seed`` (0 unless given); saves model
  ``name`` in the user's models folder.
- ``is_four``: the NumPy "is it a 4?" regression, ``train_size``, ``iterations``; reports the
  loss at every iteration.
- ``curve``: accuracy against training-set size for ``family`` at ``sizes`` (0: all),
  ``epochs`` for the networks.
- ``fine_tune``: model ``source`` (default the cnn) fine-tuned on the user's labelled drawings
  with a replay of MNIST (``digitpad.training.fine_tune``), ``steps`` (None: the recipe's),
  ``seed``;
  saves model ``name`` (default ``my-<family>-tuned-<n>``) in the user's models folder.

Every job reports and is cancelled the one way of ``digitpad.progress``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

import numpy as np

#: Seconds a cancelled job may take to stop by itself before the helper exits anyway.
CANCEL_GRACE_S = 0.3


class Channel:
    """JSON lines to the window on a private copy of standard output."""

    def __init__(self) -> None:
        self._fd = os.dup(1)
        os.dup2(2, 1)  # print() and native banners now go to standard error
        sys.stdout = sys.stderr
        self._lock = threading.Lock()

    def send(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, default=_plain) + "\n"
        with self._lock:
            os.write(self._fd, line.encode())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _listen(token, channel: Channel) -> None:
    """Cancel on a ``cancel`` line or when standard input ends (the window is gone).

    The job stops at its next check; if it has not exited within ``CANCEL_GRACE_S`` (a
    network finishing its step and validation, an SVC fit that cannot be interrupted), this
    thread ends the process itself. Either way nothing is saved: models are written to a
    temporary folder and renamed into place, and the window clears what a stop left behind.
    """
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    token.cancel()
    time.sleep(CANCEL_GRACE_S)
    channel.send("cancelled")
    os._exit(0)


def _train_data(job: dict[str, Any]):
    """(x, y, images of the user's added, validation or None) for a ``train`` job."""
    from ..data import drawings

    x, y, validation = training_split(job["family"], job.get("train_size"))
    added = 0
    if job.get("include_user"):
        images, labels = drawings.load()
        weight = max(1, int(job.get("user_weight") or 1))
        x, y = drawings.with_drawings(x, y, images, labels, weight)
        added = len(images) * weight
    return x, y, added, validation


def training_split(
    family: str, train_size: int | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The MNIST training images a model of ``family`` is fitted on, and what its curve is
    measured on: ``(x, y, validation)``.

    A network's per-epoch validation curve is measured on the fixed held-out split of the
    training set (``mnist.validation_split()``, 5,000 images) and it is fitted on the first
    ``train_size`` of the 55,000 others (all of them for None), so the curve is honest. A
    family fitted in one go has no curve: the first ``train_size`` of all 60,000, and None.
    """
    from ..data import mnist
    from ..models import families

    x, y = mnist.load_mnist("train")
    validation = None
    if families.family(family).network:
        fit_idx, val_idx = mnist.validation_split()
        validation = (x[val_idx], y[val_idx])
        x, y = x[fit_idx], y[fit_idx]
    n = int(train_size or len(x))
    return x[:n], y[:n], validation


def curve_validation(
    family: str, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """For (x, y) the first images of the MNIST training set: ``(x_fit, y_fit, validation)``.

    For a network, the images of (x, y) outside ``mnist.validation_split()`` and the 5,000
    images of the split, which its per-epoch curve is measured on; for a family fitted in one
    go, ``(x, y, None)``.
    """
    from ..data import mnist
    from ..models import families

    if not families.family(family).network:
        return x, y, None
    train_x, train_y = mnist.load_mnist("train")
    fit_idx, val_idx = mnist.validation_split()
    keep = fit_idx[fit_idx < len(x)]
    return x[keep], y[keep], (train_x[val_idx], train_y[val_idx])


def run_train(job: dict[str, Any], send, token) -> dict[str, Any]:
    from .. import models
    from ..data import mnist
    from ..models import families
    from . import fitting

    family = job["family"]
    row = families.family(family)
    name = models.check_new_name(job["name"])  # never over an existing or bundled model
    send("progress", fraction=0.0, info={"stage": "loading MNIST"})
    x, y, added, validation = _train_data(job)
    test_x, test_y = mnist.load_mnist("test")
    networks = row.network
    epochs = members = 1
    if networks:
        cfg = row.defaults
        epochs, members = int(job.get("epochs") or cfg["epochs"]), cfg.get("members", 1)
        send("progress", fraction=0.0, info={"stage": "loading TensorFlow"})

    def progress(fraction: float, info: dict[str, Any]) -> None:
        if networks:
            # x: epochs done so far, the nets of an ensemble one after the other.
            info = dict(info, x=fraction * epochs * members, epochs=epochs, members=members)
        send("progress", fraction=fraction * 0.95, info=info)

    token.check()
    trained = fitting.fit(
        family,
        x,
        y,
        epochs=job.get("epochs"),
        augment=job.get("augment"),
        progress=progress,
        cancel=token,
        validation=validation,
        seed=int(job.get("seed") or 0),
    )
    trained.hyperparameters.update(user_drawings=added, user_weight=job.get("user_weight") or 0)
    token.check()
    send("progress", fraction=0.96, info={"stage": "scoring on the test set and saving"})
    meta = fitting.save(trained, models.user_dir() / name, test_x, test_y, name)
    return meta


def run_is_four(job: dict[str, Any], send, token) -> dict[str, Any]:
    from ..data import mnist
    from . import is_four

    x, y = mnist.load_mnist("train")
    n = job.get("train_size") or len(x)
    x, y = x[: int(n)], y[: int(n)]
    iterations = int(job.get("iterations") or 300)
    t0 = time.perf_counter()

    def progress(fraction: float, info: dict[str, Any]) -> None:
        send("progress", fraction=fraction, info=info)

    model, history = is_four.fit(
        x,
        y == 4,
        iterations=iterations,
        learning_rate=float(job.get("learning_rate") or 0.5),
        progress=progress,
        cancel=token,
    )
    test_x, test_y = mnist.load_mnist("test")
    return {
        "name": "is_four",
        "loss_history": history,
        "train_size": len(x),
        "train_accuracy": float((model.predict(x) == (y == 4)).mean()),
        "test_accuracy": float((model.predict(test_x) == (test_y == 4)).mean()),
        "fit_seconds": round(time.perf_counter() - t0, 2),
    }


def run_curve(job: dict[str, Any], send, token) -> dict[str, Any]:
    from ..data import mnist
    from . import fitting

    x, y = mnist.load_mnist("train")
    test_x, test_y = mnist.load_mnist("test")
    sizes = tuple(job.get("sizes") or fitting.CURVE_SIZES)

    def progress(fraction: float, info: dict[str, Any]) -> None:
        send("progress", fraction=fraction, info=info)

    points = fitting.accuracy_by_size(
        job["family"],
        x,
        y,
        test_x,
        test_y,
        sizes,
        epochs=job.get("epochs"),
        progress=progress,
        cancel=token,
    )
    return {"name": f"curve-{job['family']}", "family": job["family"], "points": points}


def run_fine_tune(job: dict[str, Any], send, token) -> dict[str, Any]:
    from .. import models
    from ..data import drawings, mnist
    from ..models import families
    from . import fine_tune

    source = job.get("source") or families.BEST
    name = models.check_new_name(job.get("name") or fine_tune.new_name(source))
    send("progress", fraction=0.0, info={"stage": "loading your drawings"})
    x, y = drawings.load()
    recipe = fine_tune.Recipe()
    if job.get("steps"):
        recipe = fine_tune.Recipe(steps=int(job["steps"]))

    def progress(fraction: float, info: dict[str, Any]) -> None:
        send("progress", fraction=fraction * 0.9, info=info)

    seed = int(job.get("seed") or 0)
    trained = fine_tune.fine_tune(
        source, x, y, recipe=recipe, progress=progress, cancel=token, seed=seed
    )
    token.check()
    send("progress", fraction=0.92, info={"stage": "scoring on the test set and saving"})
    test_x, test_y = mnist.load_mnist("test")
    return fine_tune.save(trained, models.user_dir() / name, test_x, test_y, name)


JOBS = {"train": run_train, "is_four": run_is_four, "curve": run_curve, "fine_tune": run_fine_tune}


def main() -> None:
    channel = Channel()
    if hasattr(os, "nice"):
        os.nice(5)  # the window, not the training, gets a core first
    line = sys.stdin.readline()
    from ..models import ModelError
    from ..progress import Cancelled, CancelToken

    token = CancelToken()
    try:
        job = json.loads(line)
        if job.get("data_dir"):
            os.environ["DIGITPAD_DATA_DIR"] = job["data_dir"]
        threading.Thread(target=_listen, args=(token, channel), daemon=True).start()
        result = JOBS[job["kind"]](job, channel.send, token)
    except Cancelled:
        channel.send("cancelled")
    except (ModelError, ValueError, KeyError, OSError) as e:
        channel.send(
            "error", message=f"{type(e).__name__}: {e}" if isinstance(e, KeyError) else str(e)
        )
    except Exception as e:
        channel.send("error", message=f"{type(e).__name__}: {e}")
    else:
        channel.send("done", result=result)
    sys.stderr.flush()
    # Skip the interpreter's teardown: with TensorFlow loaded it can take seconds.
    os._exit(0)


if __name__ == "__main__":
    main()
