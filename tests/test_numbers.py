"""Whole numbers: ``digitpad.read_number`` and ``digitpad predict --number``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import digitpad
from digitpad.cli import main
from digitpad.synthetic import drawn, numbers


def _first_read_right(gap: str, length: int) -> numbers.DrawnNumber:
    """The first tuning-set number of this kind that is read entirely right (several are
    tried: the reader is right on most, not all)."""
    for sample in numbers.make_numbers(8, seed=numbers.TUNING_SEED, length=length, gap=gap):
        if digitpad.read_number(sample.image).text == sample.text:
            return sample
    pytest.fail(f"none of 8 {gap} {length}-digit numbers was read right")


def test_three_digit_number_is_read_left_to_right():
    sample = _first_read_right("wide", 3)
    n = digitpad.read_number(sample.image)
    assert n.text == sample.text and len(n.digits) == 3
    lefts = [d.box[0] for d in n.digits]
    assert lefts == sorted(lefts)
    for d, truth in zip(n.digits, sample.boxes, strict=True):
        # each box lies on its digit: their centres are within a third of the digit's width
        assert abs((d.box[0] + d.box[2] / 2) - (truth[0] + truth[2] / 2)) < truth[2] / 3
        assert d.reading.picture.shape == (28, 28)


def test_each_digit_gets_the_verdict_read_gives_it():
    sample = _first_read_right("wide", 2)
    n = digitpad.read_number(sample.image)
    for d, truth in zip(n.digits, sample.boxes, strict=True):
        left, top, w, h = truth
        alone = np.zeros_like(sample.image)
        alone[top : top + h, left : left + w] = sample.image[top : top + h, left : left + w]
        single = digitpad.read(alone)
        assert (single.digit, single.reason) == (d.digit, d.reason)


def test_touching_digits_are_split():
    sample = _first_read_right("touching", 2)
    import cv2

    count, _ = cv2.connectedComponents((sample.image > 25).astype(np.uint8))
    n = digitpad.read_number(sample.image)
    assert len(n.digits) == 2 and n.text == sample.text
    assert count - 1 <= 2  # the two digits may be one mark: then they were cut apart


def test_five_with_a_detached_flag_is_one_digit():
    rng = np.random.default_rng(3)
    five = drawn.make_drawing(5, rng, style="5-two-strokes")
    body, flag = five.strokes
    lifted = [
        body,
        flag + np.array([4.0, -(five.pen_width + 12.0)]),
    ]  # the flag drawn apart from the body
    image = drawn.render_strokes(lifted, five.pen_width, (280, 280))
    import cv2

    assert cv2.connectedComponents((image > 25).astype(np.uint8))[0] - 1 == 2
    n = digitpad.read_number(image)
    assert len(n.digits) == 1


def test_an_empty_picture_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        digitpad.read_number(np.zeros((280, 840), np.uint8))
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 600), 255, np.uint8)).save(blank)
    with pytest.raises(ValueError, match=r"blank\.png"):
        digitpad.read_number(blank)


def test_cli_number_plain_and_json(tmp_path, capsys):
    sample = _first_read_right("wide", 3)
    path = tmp_path / "number.png"
    Image.fromarray(255 - sample.image).save(path)  # dark ink on white paper, as a scan
    assert main(["predict", "--number", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    file, model, text, answers = line.split("\t")
    assert (file, model, text) == (str(path), "cnn", sample.text)
    assert len(answers.split()) == 3
    assert main(["predict", "--number", "--json", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["number"] == sample.text and len(out["digits"]) == 3
    for d, truth in zip(out["digits"], sample.boxes, strict=True):
        assert set(d) == {"digit", "reason", "confidence", "box"}
        assert abs(d["box"][0] - truth[0]) < truth[2] / 2


def test_cli_number_on_a_blank_file_names_it(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 600), 255, np.uint8)).save(blank)
    assert main(["predict", "--number", str(blank)]) != 0
    assert "blank.png" in capsys.readouterr().err


def test_a_seam_follows_a_bending_gap():
    """Two marks whose gap steps sideways halfway down: no straight column parts them, the
    seam does, crossing no ink."""
    from digitpad.reading import seams

    ink = np.zeros((60, 60), np.float32)
    ink[:26, 5:30] = 1.0  # the left mark: wide at the top ...
    ink[26:, 5:15] = 1.0  # ... narrow below
    ink[:34, 36:55] = 1.0  # the right mark: narrow at the top ...
    ink[34:, 20:55] = 1.0  # ... wide below
    assert (ink > 0).any(axis=0)[5:55].all()  # every column between holds ink
    path, cost = seams.seams(ink, np.array([30]), band=20)
    assert float(cost[0]) < 1.0  # it crossed no ink (only its sideways steps cost)
    left = seams.between(ink, None, path[0])
    assert left[:26, 5:30].all() and left[26:, 5:15].all()
    assert not left[:34, 36:].any() and not left[34:, 20:].any()


def _read_right(gap: str, count: int) -> int:
    """How many of the first ``count`` two-digit tuning-set numbers of this gap kind are read
    entirely right."""
    made = numbers.make_numbers(count, seed=numbers.TUNING_SEED, length=2, gap=gap)
    return sum(digitpad.read_number(s.image).text == s.text for s in made)


def test_touching_pairs_are_read_right():
    # straight cuts at the thinnest columns read 2 of these 6 right
    assert _read_right("touching", 6) >= 5


def test_overlapping_pairs_are_read_right():
    # straight cuts at the thinnest columns read 3 of these 6 right (the strokes cross)
    assert _read_right("overlap", 6) >= 5


def test_a_crossing_pair_is_one_mark_cut_in_two():
    import cv2

    for sample in numbers.make_numbers(6, seed=numbers.TUNING_SEED, length=2, gap="overlap"):
        count, _ = cv2.connectedComponents((sample.image > 25).astype(np.uint8))
        n = digitpad.read_number(sample.image)
        if count - 1 == 1 and n.text == sample.text:
            for d, truth in zip(n.digits, sample.boxes, strict=True):
                assert abs((d.box[0] + d.box[2] / 2) - (truth[0] + truth[2] / 2)) < truth[2] / 3
            return
    pytest.fail("no overlapping pair that is one mark was read right")


def test_photos_of_touching_numbers_are_read_from_the_file(tmp_path):
    """Drawn numbers whose digits touch, photographed on paper (uneven light, grain, lines,
    blue or black ink, blur, tilt, JPEG): read whole from the file."""
    from digitpad.synthetic import photos

    made = numbers.make_numbers(4, seed=numbers.TUNING_SEED, length=3, gap="touching")
    right = 0
    for i, sample in enumerate(made):
        photo = photos.make_photo(sample.image, sample.text, np.random.default_rng(i), "mixed")
        path = tmp_path / f"number-{i}.jpg"
        path.write_bytes(photo.jpeg())
        n = digitpad.read_number(path)
        right += n.text == sample.text
        assert n.digits and all(d.box[2] > 0 for d in n.digits)
    assert right >= 3
