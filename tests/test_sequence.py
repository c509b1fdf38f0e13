"""The sequence reader (``reading.sequence``): touching digits read whole, and ``read_number``
cutting a wide mark into as many digits as it reads there."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.reading import number, sequence
from digitpad.synthetic import numbers


def _columns(symbols: list[int]) -> np.ndarray:
    probs = np.full((len(symbols), sequence.BLANK + 1), 0.01, np.float32)
    probs[np.arange(len(symbols)), symbols] = 0.9
    return probs


def test_the_best_path_merges_repeats_and_drops_blanks():
    b = sequence.BLANK
    columns = _columns([b, 3, 3, b, b, 3, 7, 7, b, 1])
    q = sequence.decode(columns)
    assert q.digits == (3, 3, 7, 1)
    assert q.spans == ((1, 2), (5, 5), (6, 7), (9, 9))
    assert q.text == "3371"
    # the digits' probability: the best path's (0.9 ** 10) and every other path that gives them
    assert q.confidence == pytest.approx(sequence.probability(columns, [3, 3, 7, 1]))
    assert 0.9**10 < q.confidence < 1


def test_nothing_but_blanks_reads_no_digit():
    q = sequence.decode(_columns([sequence.BLANK] * 6))
    assert q.digits == () and q.spans == ()


def test_a_mark_is_laid_at_the_left_its_height_filling_the_picture():
    ink = np.zeros((100, 300), np.float32)
    ink[20:60, 50:130] = 0.5  # 40 high, 80 wide: 32 high, 64 wide in the picture
    p = sequence.prepare(ink)
    assert p.shape == (sequence.HEIGHT, sequence.WIDTH) and p.dtype == np.float32
    assert p.max() == pytest.approx(1.0)
    cols = np.flatnonzero(p.max(axis=0) > 0.5)
    assert cols[0] == 0 and 62 <= cols[-1] <= 64
    assert (p.max(axis=1) > 0.5).all()
    assert sequence.prepare(np.zeros((10, 10))) is None


def test_a_mark_too_long_is_shrunk_to_fit():
    ink = np.ones((20, 400), np.float32)
    p = sequence.prepare(ink)
    assert (p.max(axis=0) > 0.5).all()  # the whole width used ...
    assert (p.max(axis=1) > 0.5).sum() < sequence.HEIGHT  # ... and less than the height


def test_the_cut_follows_the_digits_read():
    """Three spans of a mark: whole (0, 2), or two pieces (0, 1) (1, 2). Told there are two
    digits, the cut is the two pieces even when the whole scores more; told one, the whole."""
    flat = np.zeros(10)
    scores = {(0, 2): (flat + 1.0, 0), (0, 1): (flat - 1.0, 0), (1, 2): (flat - 1.0, 0)}
    assert number._path_as(scores, 2, (4, 5)) == [(0, 1), (1, 2)]
    assert number._path_as(scores, 2, (4,)) == [(0, 2)]
    assert number._path_as(scores, 2, (4, 5, 6)) is None


def test_the_piece_scored_as_the_digit_it_is_told():
    low, high = np.zeros(10), np.zeros(10)
    high[7] = 5.0
    scores = {(0, 1): (low, 0), (1, 2): (high, 0), (0, 2): (low, 0)}
    # (1, 2) reads as 7 much better than as anything else; as 3 it is no better than the rest
    assert number._path_as(scores, 2, (1, 7)) == [(0, 1), (1, 2)]


@pytest.mark.skipif(sequence.shared() is None, reason="no sequence reader bundled")
def test_the_bundled_reader_reads_touching_digits():
    made = numbers.make_numbers(10, seed=numbers.TUNING_SEED, length=3, gap="touching")
    right = sum(
        q is not None and q.text == s.text
        for s in made
        for q in sequence.shared().read([s.image.astype(np.float32) / 255])
    )
    assert right >= 8


def _a_reading():
    from digitpad.data import mnist
    from digitpad.reading import api

    x, y = mnist.load_mnist("test")
    return api.read(np.round(x[0] * 255).astype(np.uint8)), int(y[0])


def test_a_piece_read_otherwise_takes_the_sequence_readers_answer_and_keeps_the_models():
    reading, truth = _a_reading()
    told = np.full(10, 0.005, np.float32)
    other = (truth + 1) % 10
    told[other] = 0.955
    r = number._as_told(reading, told)
    assert r.digit == other and r.reason == "" and r.confidence == pytest.approx(0.955)
    assert np.allclose(r.probabilities, told)
    assert r.answers == reading.answers  # every model's own answer on the piece, as it was
    told[other], told[truth] = 0.6, 0.355
    unclear = number._as_told(reading, told)
    assert unclear.digit is None and unclear.reason == number.UNCLEAR


def test_a_corrupt_reader_file_is_refused_at_load(tmp_path):
    from digitpad.models import ModelError

    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"not a network" * 10)
    with pytest.raises(ModelError, match=r"model\.tflite"):
        sequence.SequenceReader(bad)


def test_the_probability_of_a_reading_sums_every_path_that_gives_it():
    """Brute force over all 11**3 paths of three columns."""
    import itertools

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(sequence.BLANK + 1), size=3)

    def collapse(path):
        out, previous = [], None
        for s in path:
            if s != previous and s != sequence.BLANK:
                out.append(s)
            previous = s
        return tuple(out)

    for digits in [(), (3,), (3, 3), (2, 5), (4, 4, 4), (1, 2, 3)]:
        brute = sum(
            np.prod([probs[t, s] for t, s in enumerate(path)])
            for path in itertools.product(range(sequence.BLANK + 1), repeat=3)
            if collapse(path) == digits
        )
        assert sequence.probability(probs, list(digits)) == pytest.approx(brute)


@pytest.mark.skipif(sequence.shared() is None, reason="no sequence reader bundled")
def test_crossing_digits_are_read_right_with_the_reader_and_less_often_without(monkeypatch):
    import digitpad

    made = numbers.make_numbers(8, seed=numbers.TUNING_SEED, length=4, gap="overlap")
    with_reader = sum(digitpad.read_number(s.image).text == s.text for s in made)
    monkeypatch.setattr(sequence, "shared", lambda: None)
    without = sum(digitpad.read_number(s.image).text == s.text for s in made)
    assert with_reader >= 7 and with_reader > without


@pytest.mark.skipif(sequence.shared() is None, reason="no sequence reader bundled")
def test_the_reader_reads_no_digit_in_most_rows_of_letters():
    from digitpad.synthetic import rows

    made = rows.make_nondigit_numbers(10, "letters", seed=0, part="tune")
    found = sequence.shared().read([s.image.astype(np.float32) / 255 for s in made])
    assert sum(q is not None and not q.digits for q in found) >= 8


def test_the_bundled_reader_says_what_it_was_trained_on():
    meta = sequence.metadata()
    if not meta:
        pytest.skip("no sequence reader bundled")
    assert meta["input"] == [sequence.HEIGHT, sequence.WIDTH]
    assert meta["frames"] == sequence.FRAMES
    assert "MNIST training digits" in meta["trained_on"] and meta["date"]


def test_a_piece_is_cut_where_the_reader_saw_its_digit():
    """Two ways of cutting into two pieces; the better-scored one puts digit 0's column in
    piece 1: told where the reader saw each digit, the cut that holds them is kept."""
    flat = np.zeros(10)
    scores = {
        (0, 1): (flat - 1.0, 0),
        (1, 3): (flat - 1.0, 0),
        (0, 2): (flat, 0),
        (2, 3): (flat, 0),
        (0, 3): (flat - 9.0, 0),
    }
    assert number._path_as(scores, 3, (4, 5)) == [(0, 2), (2, 3)]
    holds = {(sp, k): True for sp in scores for k in range(2)}
    holds[((0, 2), 0)] = False  # digit 0 was seen left of where piece (0, 2) starts, say
    assert number._path_as(scores, 3, (4, 5), holds) == [(0, 1), (1, 3)]


@pytest.mark.skipif(sequence.shared() is None, reason="no sequence reader bundled")
def test_each_digit_read_lies_where_its_ink_is():
    sample = numbers.make_numbers(4, seed=numbers.TUNING_SEED, length=3, gap="touching")[0]
    q = sequence.shared().read([sample.image.astype(np.float32) / 255])[0]
    assert q.text == sample.text and len(q.centres) == 3
    for c, (left, _, w, _) in zip(q.centres, sample.boxes, strict=True):
        assert left <= c <= left + w


def test_training_a_reader_writes_one_that_loads_and_reads(tmp_path):
    """``train_models.py --sequence``'s fit, on a few rows for one epoch: a LiteRT file that
    the reader loads, and its metadata."""
    from digitpad.training import sequence_fit

    meta = sequence_fit.fit(
        tmp_path / "sequence",
        tmp_path / "ck",
        epochs=1,
        n_rows=128,
        log=lambda m: None,
        check_rows=16,
    )
    assert meta["history"][0]["epoch"] == 1 and 0.0 <= meta["history"][0]["rows_right"] <= 1.0
    assert (tmp_path / "ck" / "sequence-01.weights.h5").is_file()
    reader = sequence.SequenceReader(tmp_path / "sequence" / "model.tflite")
    probs = reader.probabilities(np.zeros((2, sequence.HEIGHT, sequence.WIDTH), np.float32))
    assert probs.shape == (2, sequence.FRAMES, sequence.BLANK + 1)
    assert np.allclose(probs.sum(axis=2), 1.0, atol=1e-4)
