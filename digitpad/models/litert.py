"""Keras networks exported to ``.tflite`` and run with LiteRT: no TensorFlow import."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass, field

import numpy as np

from .base import Classifier, ModelError

_BATCH = 256
_SMALL_BATCH = 128  # up to this many pictures get an interpreter of their own size
_SIZED_KEPT = 4


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what native code writes to fd 2 meanwhile.

    LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++ for every
    interpreter and offers no switch for it; on the command line that line would drown the one
    line of an error message. Python-level errors still raise normally.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (e.g. a GUI without console)
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def batch_interpreter(model_bytes: bytes, batch: int, where: object) -> object:
    """A one-thread LiteRT interpreter of ``model_bytes`` whose inputs take ``batch`` rows (the
    first dimension of each resized), its tensors allocated; ``ModelError`` naming ``where``
    when LiteRT cannot load it."""
    from ai_edge_litert.interpreter import Interpreter

    try:
        with quiet_native_stderr():
            it = Interpreter(model_content=model_bytes, num_threads=1)
            if batch != 1:
                for d in it.get_input_details():
                    it.resize_tensor_input(d["index"], [batch, *map(int, d["shape"][1:])])
            it.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise ModelError(f"{where}: LiteRT cannot load it ({e})") from None
    return it


class Interpreters:
    """``batch_interpreter``s of one network, kept for the last few batch sizes asked for
    (not re-entrant: the caller holds a lock around each use)."""

    def __init__(self, model_bytes: bytes, where: object, keep: int = 3) -> None:
        self._bytes, self._where, self._keep = model_bytes, where, keep
        self._by_batch: dict[int, object] = {}

    def __call__(self, batch: int) -> object:
        if batch not in self._by_batch:
            it = batch_interpreter(self._bytes, batch, self._where)
            if len(self._by_batch) >= self._keep:
                self._by_batch.clear()
            self._by_batch[batch] = it
        return self._by_batch[batch]


@dataclass(repr=False)
class LiteRTModel(Classifier):
    """A network whose forward pass runs in LiteRT (XNNPACK on the CPU)."""

    model_bytes: bytes = b""
    _single: object = None
    _batched: object = None
    # Interpreters sized for small batches seen lately (a saliency batch, say): padding 82
    # pictures to a batch of 256 would cost three times the work.
    _sized: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: threads for batches (one picture always runs on one); a background helper that must
    #: leave a core to the window sets 1 before its first batch
    batch_threads: int = 2

    def __post_init__(self) -> None:
        self._single = self._interpreter(1)
        inp = self._single.get_input_details()[0]
        out = self._single.get_output_details()[0]
        if tuple(inp["shape"][1:3]) != (28, 28) or int(out["shape"][-1]) != 10:
            raise ModelError(
                f"model {self.name!r} takes input {tuple(inp['shape'])} and gives "
                f"{tuple(out['shape'])}; DigitPad needs 28×28 images in and 10 classes out"
            )

    def _interpreter(self, batch: int):
        from ai_edge_litert.interpreter import Interpreter

        try:
            with quiet_native_stderr():
                threads = 1 if batch == 1 else self.batch_threads
                it = Interpreter(model_content=self.model_bytes, num_threads=threads)
                if batch != 1:
                    idx = it.get_input_details()[0]["index"]
                    it.resize_tensor_input(idx, [batch, 28, 28, 1])
                it.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ModelError(
                f"model {self.name!r}: LiteRT cannot load it ({e}); retrain or remove it"
            ) from None
        return it

    def _run(self, it, x: np.ndarray) -> np.ndarray:
        inp = it.get_input_details()[0]
        it.set_tensor(inp["index"], x.reshape(inp["shape"]).astype(np.float32))
        it.invoke()
        return it.get_tensor(it.get_output_details()[0]["index"]).reshape(len(x), 10).copy()

    def _proba(self, x: np.ndarray) -> np.ndarray:
        # An interpreter is not re-entrant: the GUI and a worker may predict at the same time.
        with self._lock:
            if len(x) == 1:
                return self._run(self._single, x)
            if len(x) <= _SMALL_BATCH:
                if len(x) not in self._sized:
                    if len(self._sized) >= _SIZED_KEPT:
                        self._sized.clear()
                    self._sized[len(x)] = self._interpreter(len(x))
                return self._run(self._sized[len(x)], x)
            if self._batched is None:
                self._batched = self._interpreter(_BATCH)
            out = np.empty((len(x), 10), np.float32)
            for s in range(0, len(x), _BATCH):
                chunk = x[s : s + _BATCH]
                n = len(chunk)
                if n < _BATCH:
                    chunk = np.concatenate([chunk, np.zeros((_BATCH - n, 28, 28), np.float32)])
                out[s : s + n] = self._run(self._batched, chunk)[:n]
            return out
