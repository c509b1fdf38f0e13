"""Numbers behind the explore panels: pixel correlations, class distribution, confusion matrix,
misclassified samples, and the filters and sorts of the dataset browser.

Qt-free, NumPy only. Images are ``(N, 28, 28)`` (or ``(N, 784)``), uint8 0–255 or float in
[0, 1]; labels are ``(N,)`` integers 0–9 (``-1`` for "no label", e.g. a Kaggle ``test.csv``).

Pixel correlation follows the correlation study: the Pearson coefficient between the 784 pixel
values of two digits; its thresholding turns a coefficient above the threshold into 1 and anything
else into 0. The long computations report and are cancelled the way of ``digitpad.progress``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence

import numpy as np

from .progress import Cancelled, CancelToken, ProgressFn

__all__ = [
    "CLASSES",
    "Cancelled",
    "accuracy",
    "binarise",
    "block_averages_of_matrix",
    "class_block_averages",
    "class_distribution",
    "confusion_matrix",
    "correlation_matrix",
    "filter_samples",
    "iter_class_block_averages",
    "losses",
    "misclassified",
    "misclassified_by_models",
    "mosaic",
    "pick_per_class",
    "pool_mean",
    "row_normalised",
    "samples_in_cells",
    "sort_samples",
    "standardise",
]

CLASSES = 10
NO_LABEL = -1

# --- pixel correlation -----------------------------------------------------------------


def standardise(images: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """``(N, 784)`` rows with mean 0 and Euclidean norm 1, so that ``z_a · z_b`` is the Pearson
    correlation of digits ``a`` and ``b``. A blank (constant) image gives a row of zeros: it
    correlates 0 with everything, itself included."""
    x = np.asarray(images).reshape(len(images), -1).astype(dtype, copy=True)
    x -= x.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    # Relative to the pixel scale, so that uint8 and [0, 1] images agree on what is constant.
    constant = norms <= 1e-9 * max(float(np.abs(x).max(initial=0.0)), 1.0)
    norms[constant] = 1.0
    x /= norms[:, None]
    x[constant] = 0.0
    return x


def correlation_matrix(images: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """``(N, N)`` Pearson correlation coefficients between every two of the ``N`` images.

    ``dtype`` float32 halves the memory (10,000 images: 400 MB) and time; the coefficients are
    then good to about 1e-6. The diagonal is 1 (0 for a blank image).
    """
    z = standardise(images, dtype)
    c = z @ z.T
    np.clip(c, -1.0, 1.0, out=c)
    return c


def binarise(matrix: np.ndarray, threshold: float) -> np.ndarray:
    """The correlation study's thresholding: ``1`` where the coefficient is above
    ``threshold``, else ``0`` (uint8, the shape of ``matrix``)."""
    return (np.asarray(matrix) > threshold).view(np.uint8)


def pick_per_class(
    labels: np.ndarray, per_class: int, seed: int = 0, classes: int = CLASSES
) -> np.ndarray:
    """Indices of ``per_class`` random samples of each digit (fewer if a digit has fewer),
    sorted by label, then by index: the correlation study takes 20 per digit, 200 in all."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(classes):
        where = np.flatnonzero(labels == digit)
        take = min(per_class, len(where))
        chosen.append(np.sort(rng.choice(where, size=take, replace=False)))
    return np.concatenate(chosen) if chosen else np.empty(0, np.int64)


def _class_ranges(labels: np.ndarray, classes: int) -> np.ndarray:
    """Start of each class in labels sorted ascending, plus the end: ``(classes + 1,)``."""
    return np.searchsorted(labels, np.arange(classes + 1), side="left")


def _pair_counts(labels: np.ndarray, classes: int) -> np.ndarray:
    """``(classes, classes)`` number of ordered pairs of distinct samples per class pair."""
    n = np.bincount(labels, minlength=classes)[:classes].astype(np.float64)
    pairs = np.outer(n, n)
    pairs[np.diag_indices(classes)] -= n
    return pairs


def _divide(sums: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, sums / np.where(pairs > 0, pairs, 1), np.nan)


def block_averages_of_matrix(
    matrix: np.ndarray,
    labels: np.ndarray,
    classes: int = CLASSES,
    threshold: float | None = None,
    chunk: int = 256,
) -> np.ndarray:
    """``(classes, classes)`` float64 mean of ``matrix`` over each class block, the diagonal
    (a sample with itself) left out; NaN for a block without pairs. With ``threshold``, the
    mean of the binarised matrix (:func:`binarise`): the share of the block's pairs above it.

    ``matrix`` is ``(N, N)``, rows and columns in the order of ``labels``, which must be sorted
    ascending (as :func:`pick_per_class` gives). Read ``chunk`` rows at a time, summed in float64.
    """
    labels = np.asarray(labels).astype(np.int64)
    if np.any(np.diff(labels) < 0):
        raise ValueError("labels must be sorted ascending (rows and columns grouped by class)")
    n = len(labels)
    starts = _class_ranges(labels, classes)
    present = np.flatnonzero(np.diff(starts) > 0)
    cuts = starts[present]
    sums = np.zeros((classes, classes))
    diagonal = np.zeros(n)
    for r0 in range(0, n, chunk):
        r1 = min(r0 + chunk, n)
        rows = np.asarray(matrix[r0:r1])
        rows = (rows > threshold) if threshold is not None else rows
        rows = rows.astype(np.float64)
        diagonal[r0:r1] = rows[np.arange(r1 - r0), np.arange(r0, r1)]
        per_row = np.add.reduceat(rows, cuts, axis=1)  # (rows, present classes)
        onehot = labels[r0:r1][None, :] == present[:, None]  # (present classes, rows)
        sums[np.ix_(present, present)] += onehot.astype(np.float64) @ per_row
    sums[np.diag_indices(classes)] -= np.bincount(labels, diagonal, minlength=classes)[:classes]
    return _divide(sums, _pair_counts(labels, classes))


def class_block_averages(
    images: np.ndarray,
    labels: np.ndarray,
    threshold: float | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    block: int = 512,
    classes: int = CLASSES,
) -> np.ndarray:
    """``(10, 10)`` float64: the mean pixel correlation between digits of class ``i`` and class
    ``j``, over every pair of two different samples (a sample with itself is left out).

    The public form scripts rely on, kept as it was: ``progress(done_pairs, total_pairs)`` after
    each block and :class:`~digitpad.progress.Cancelled` as soon as ``cancelled()`` is true.
    DigitPad's own code calls :func:`block_averages`, which follows the one progress-and-cancel
    convention of :mod:`digitpad.progress`; this is that function with the two adapted.
    """
    token = _PolledToken(cancelled) if cancelled is not None else None
    report = None
    if progress is not None:

        def report(fraction: float, info: dict) -> None:
            progress(info["done"], info["total"])

    return block_averages(
        images, labels, threshold, progress=report, cancel=token, block=block, classes=classes
    )


class _PolledToken(CancelToken):
    """A token whose ``cancelled`` asks a function (the old ``cancelled()`` argument)."""

    def __init__(self, asked: Callable[[], bool]) -> None:
        super().__init__()
        self._asked = asked

    @property
    def cancelled(self) -> bool:
        return bool(self._asked())


def block_averages(
    images: np.ndarray,
    labels: np.ndarray,
    threshold: float | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    block: int = 512,
    classes: int = CLASSES,
) -> np.ndarray:
    """``(10, 10)`` float64: the mean pixel correlation between digits of class ``i`` and class
    ``j``, over every pair of two different samples (a sample with itself is left out).

    ``images`` ``(N, 28, 28)`` in any order with their ``labels`` ``(N,)`` 0–9. With a
    ``threshold``, each coefficient is first binarised (above → 1, else 0), so that a block's
    value is the share of its pairs above the threshold. A class pair without any pair of
    samples gives NaN.

    Without a threshold it is exact in O(N·784): the sum of ``z_a · z_b`` over a block is the dot
    product of the two classes' sums of standardised vectors. With one every pair is needed: the
    N×N products are streamed in row blocks of ``block`` (each pair once), calling
    ``progress(done / total, {"stage": "pairs", "done": done, "total": total})`` after each block
    and raising :class:`~digitpad.progress.Cancelled` before the next once ``cancel`` is set.
    """
    labels = _checked_labels(images, labels, classes)
    if threshold is None:
        sums = _exact_block_sums(np.asarray(images), labels, classes)
        if progress is not None:
            progress(1.0, {"stage": "pairs", "done": 1, "total": 1})
        return _divide(sums, _pair_counts(labels, classes))
    steps = iter_class_block_averages(images, labels, threshold, block=block, classes=classes)
    while True:
        if cancel is not None and cancel.cancelled:
            steps.close()
            raise Cancelled("cancelled")
        try:
            done, total = next(steps)
        except StopIteration as finished:
            return finished.value
        if progress is not None:
            progress(done / max(total, 1), {"stage": "pairs", "done": done, "total": total})


def iter_class_block_averages(
    images: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    *,
    block: int = 512,
    classes: int = CLASSES,
) -> Generator[tuple[int, int], None, np.ndarray]:
    """:func:`class_block_averages` with a threshold, as a generator for a worker thread: yields
    ``(done_pairs, total_pairs)`` after each row block of ``block`` samples and returns the
    ``(10, 10)`` result (``StopIteration.value``). Stop iterating to cancel."""
    labels = _checked_labels(images, labels, classes)
    order = np.argsort(labels, kind="stable")
    labels = labels[order]
    z = standardise(np.asarray(images)[order], np.float32)
    counts = yield from _stream_threshold_counts(z, labels, float(threshold), block, classes)
    return _divide(counts, _pair_counts(labels, classes))


def _checked_labels(images: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    labels = np.asarray(labels).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must be in 0–{classes - 1}")
    return labels


def _exact_block_sums(
    images: np.ndarray, labels: np.ndarray, classes: int, chunk: int = 4096
) -> np.ndarray:
    """``(classes, classes)`` sums of ``z_a · z_b`` over pairs of distinct samples per block.

    ``S_c = Σ_{a in c} z_a`` with ``z_a = (x_a - m_a) / |x_a - m_a|``, built chunk by chunk as
    ``w_c @ x_c - (w_c @ m_c) 1`` (``w = 1 / |x_a - m_a|``), so the standardised images are never
    all in memory at once."""
    x_all = images.reshape(len(images), -1)
    pixels = x_all.shape[1]
    class_sums = np.zeros((classes, pixels))
    self_terms = np.zeros(classes)
    for start in range(0, len(x_all), chunk):
        x = x_all[start : start + chunk].astype(np.float64)
        lab = labels[start : start + chunk]
        mean = x.mean(axis=1)
        centred_sq = np.einsum("ij,ij->i", x, x) - pixels * mean * mean
        scale = np.abs(x).max(initial=0.0) if x.size else 0.0
        # A blank image has no direction: it correlates 0 with everything (as standardise).
        nonblank = centred_sq > (1e-9 * max(scale, 1.0)) ** 2 * pixels
        w = np.zeros(len(x))
        w[nonblank] = 1.0 / np.sqrt(centred_sq[nonblank])
        for digit in np.unique(lab):
            # One matrix-vector product per class: a thin (10, N) matmul is far slower.
            mine = lab == digit
            class_sums[digit] += w[mine] @ x[mine] - w[mine] @ mean[mine]
        self_terms += np.bincount(lab, nonblank.astype(np.float64), minlength=classes)[:classes]
    sums = class_sums @ class_sums.T
    sums[np.diag_indices(classes)] -= self_terms
    return sums


def _stream_threshold_counts(
    z: np.ndarray, labels: np.ndarray, threshold: float, block: int, classes: int
) -> Generator[tuple[int, int], None, np.ndarray]:
    """``(classes, classes)`` number of ordered pairs of distinct samples above ``threshold`` per
    class pair; ``z`` and ``labels`` sorted by label. Only pairs with column > row are computed
    (the matrix is symmetric); yields ``(done_pairs, total_pairs)`` after each row block."""
    n = len(z)
    starts = _class_ranges(labels, classes)
    counts = np.zeros((classes, classes))
    total = n * (n - 1) // 2
    done = 0
    for r0 in range(0, n, block):
        r1 = min(r0 + block, n)
        above = (z[r0:r1] @ z[r0:].T) > threshold  # (rows, n - r0)
        # Strictly above the diagonal inside the square part: each pair once, no self-pairs.
        above[:, : r1 - r0] &= ~np.tri(r1 - r0, dtype=bool)
        per_row = _count_by_column_class(above, starts, r0)  # (rows, classes)
        rows_by_class = np.zeros((classes, classes))
        np.add.at(rows_by_class, labels[r0:r1], per_row)
        counts += rows_by_class + rows_by_class.T
        done += (r1 - r0) * (n - r1) + (r1 - r0) * (r1 - r0 - 1) // 2
        yield done, total
    return counts


def _count_by_column_class(above: np.ndarray, starts: np.ndarray, offset: int) -> np.ndarray:
    """``(rows, classes)``: how many True per row within each class's columns, the columns of
    ``above`` being samples ``offset:`` of the label-sorted set."""
    classes = len(starts) - 1
    out = np.zeros((len(above), classes))
    for digit in range(classes):
        lo, hi = max(starts[digit] - offset, 0), max(starts[digit + 1] - offset, 0)
        if hi > lo:
            out[:, digit] = np.count_nonzero(above[:, lo:hi], axis=1)
    return out


def pool_mean(matrix: np.ndarray, factor: int, threshold: float | None = None) -> np.ndarray:
    """``(ceil(N/f), ceil(N/f))`` float32 means of ``factor``×``factor`` squares of the ``(N, N)``
    ``matrix`` (the last ones may be smaller), binarised first if a ``threshold`` is given. Read
    a few hundred rows at a time: no second N×N array is made."""
    n = len(matrix)
    cuts = np.arange(0, n, factor)
    sizes = np.diff(np.append(cuts, n)).astype(np.float32)
    out = np.empty((len(cuts), len(cuts)), np.float32)
    step = factor * max(1, 256 // factor)
    for r0 in range(0, n, step):
        rows = matrix[r0 : r0 + step]
        rows = (rows > threshold).astype(np.float32) if threshold is not None else rows
        columns = np.add.reduceat(rows, cuts, axis=1) if factor > 1 else rows
        local = np.arange(0, len(rows), factor)
        out[r0 // factor : r0 // factor + len(local)] = (
            np.add.reduceat(columns, local, axis=0) if factor > 1 else columns
        )
    return out / np.outer(sizes, sizes) if factor > 1 else out


# --- class distribution, confusion, misclassified ---------------------------------------


def class_distribution(labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """``(classes,)`` int64 number of samples of each digit (unlabelled ones, -1, not counted)."""
    labels = np.asarray(labels).astype(np.int64)
    return np.bincount(labels[labels >= 0], minlength=classes)[:classes]


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """``(classes, classes)`` int64: row = true digit, column = predicted digit."""
    true = np.asarray(true).astype(np.int64)
    predicted = np.asarray(predicted).astype(np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"{true.shape} true labels but {predicted.shape} predictions")
    flat = np.bincount(true * classes + predicted, minlength=classes * classes)
    return flat[: classes * classes].reshape(classes, classes)


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with each row divided by its sum (float64; an empty row stays 0)."""
    matrix = np.asarray(matrix, np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def accuracy(matrix: np.ndarray) -> float:
    """Share of the samples on the diagonal of a confusion matrix (NaN if it is empty)."""
    total = float(np.sum(matrix))
    return float(np.trace(matrix)) / total if total else float("nan")


def samples_in_cells(
    true: np.ndarray, predicted: np.ndarray, cells: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Sorted indices of the samples whose (true, predicted) is one of ``cells``."""
    true = np.asarray(true).astype(np.int64)
    predicted = np.asarray(predicted).astype(np.int64)
    wanted = np.zeros(CLASSES * CLASSES, bool)
    for t, p in cells:
        wanted[int(t) * CLASSES + int(p)] = True
    return np.flatnonzero(wanted[true * CLASSES + predicted])


def losses(probabilities: np.ndarray, true: np.ndarray) -> np.ndarray:
    """``(N,)`` float64 cross-entropy ``-log p[true]`` of each sample (clipped at 1e-12)."""
    p = np.asarray(probabilities)[np.arange(len(true)), np.asarray(true).astype(np.int64)]
    return -np.log(np.maximum(p.astype(np.float64), 1e-12))


def misclassified(probabilities: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Indices of the samples a model gets wrong, the most confident mistake first.

    ``probabilities`` ``(N, 10)``; ties keep index order."""
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(true))
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")]


def misclassified_by_models(
    probabilities: dict[str, np.ndarray], true: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which samples how many models get wrong.

    Returns ``(wrong, count)``: ``wrong`` ``(M, N)`` bool, row ``m`` the mistakes of the
    ``m``-th model in ``probabilities`` order, and ``count`` ``(N,)`` int64 how many models got
    each sample wrong (``count == M``: every model did).
    """
    true = np.asarray(true)
    rows = [np.asarray(p).argmax(axis=1) != true for p in probabilities.values()]
    wrong = np.array(rows, bool).reshape(len(rows), len(true))
    return wrong, wrong.sum(axis=0).astype(np.int64)


# --- the browser's filters, sorts and mosaic -------------------------------------------


def filter_samples(
    source: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray | None = None,
    *,
    sources: Sequence[int] | None = None,
    label: int | None = None,
    predicted_label: int | None = None,
    correct: bool | None = None,
) -> np.ndarray:
    """Indices (ascending) of the samples that pass every filter given.

    ``source`` ``(N,)`` small ints naming where each sample comes from (train, test, …);
    ``labels`` ``(N,)`` with -1 for none; ``predicted`` ``(N,)`` the chosen model's answer, -1
    where it has none. A filter on ``predicted_label`` or ``correct`` keeps only samples with
    both a prediction and (for ``correct``) a label.
    """
    keep = np.ones(len(labels), bool)
    if sources is not None:
        keep &= np.isin(source, np.asarray(list(sources), dtype=np.asarray(source).dtype))
    if label is not None:
        keep &= labels == label
    if predicted_label is not None or correct is not None:
        if predicted is None:
            return np.empty(0, np.int64)
        keep &= predicted >= 0
        if predicted_label is not None:
            keep &= predicted == predicted_label
        if correct is not None:
            keep &= labels >= 0
            keep &= (predicted == labels) if correct else (predicted != labels)
    return np.flatnonzero(keep)


def sort_samples(
    indices: np.ndarray, score: np.ndarray | None, descending: bool = True
) -> np.ndarray:
    """``indices`` ordered by ``score[indices]`` (NaN last), ties in index order; unchanged if
    ``score`` is None."""
    indices = np.asarray(indices)
    if score is None:
        return indices
    s = np.asarray(score, np.float64)[indices]
    key = np.where(np.isnan(s), np.inf, -s if descending else s)
    return indices[np.argsort(key, kind="stable")]


def mosaic(images: np.ndarray, columns: int, gap: int = 1, background: int = 40) -> np.ndarray:
    """One uint8 ``(rows·(28+gap), columns·(28+gap))`` image of the tiles, row-major, tile ``k``
    at row ``k // columns``, column ``k % columns``; ``background`` between and after tiles.

    ``images`` ``(N, 28, 28)`` uint8 (float in [0, 1] is scaled to 0–255)."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = np.rint(np.clip(images, 0, 1) * 255).astype(np.uint8)
    n, h, w = images.shape
    columns = max(int(columns), 1)
    rows = max(-(-n // columns), 1)
    grid = np.full((rows, h + gap, columns, w + gap), background, np.uint8)
    full = np.full((rows * columns, h, w), background, np.uint8)
    full[:n] = images
    grid[:, :h, :, :w] = full.reshape(rows, columns, h, w).transpose(0, 2, 1, 3)
    return grid.reshape(rows * (h + gap), columns * (w + gap))
