"""raqib.synthetic: deterministic images, PDQ-verified corpus and its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from raqib import synthetic
from raqib.synthetic import (
    NEAR_DUPLICATE_TRANSFORMS,
    CorpusError,
    CorpusManifest,
    best_distance,
    load_image,
    make_image,
    pdq_bits,
    pdq_dihedral_bits,
    pdq_quality,
    write_corpus,
)

THRESHOLD = 31


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusManifest:
    return write_corpus(tmp_path_factory.mktemp("corpus"), n_originals=7, seed=3)


def test_make_image_is_deterministic_and_sized() -> None:
    a = make_image(17, size=(320, 240))
    b = make_image(17, size=(320, 240))
    assert a.size == (320, 240)
    assert a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(make_image(18, size=(320, 240))))


def test_images_hash_well_and_unrelated_seeds_are_far_apart() -> None:
    images = [make_image(seed, size=(320, 240)) for seed in range(8)]
    assert all(pdq_quality(image) >= 50 for image in images)
    hashes = [pdq_bits(image) for image in images]
    variants = [pdq_dihedral_bits(image) for image in images]
    for i, query in enumerate(variants):
        for j, stored in enumerate(hashes):
            if i != j:
                assert best_distance(query, stored) > THRESHOLD + 30


@pytest.mark.parametrize("name", sorted(NEAR_DUPLICATE_TRANSFORMS))
def test_each_transform_stays_near_for_some_variant(name: str) -> None:
    original = make_image(5)
    near = NEAR_DUPLICATE_TRANSFORMS[name](original)
    assert best_distance(pdq_dihedral_bits(near), pdq_bits(original)) <= THRESHOLD


def test_transform_shapes() -> None:
    image = make_image(1, size=(200, 100))
    assert synthetic.resize_half(image).size == (100, 50)
    assert synthetic.crop_edges(image, 0.01).size == (196, 98)
    assert synthetic.rotate90(image).size == (100, 200)
    assert synthetic.mirror(image).getpixel((0, 0)) == image.getpixel((199, 0))
    assert synthetic.reencode_jpeg(image).size == image.size


def test_manifest_lists_every_file_written(corpus: CorpusManifest) -> None:
    written = {p.relative_to(corpus.root).as_posix() for p in corpus.root.rglob("*") if p.is_file()}
    assert written == set(corpus.all_files()) | {"manifest.json"}
    assert len(corpus.originals) == 7
    suffixes = {Path(p).suffix for p in corpus.originals}
    assert suffixes == {".jpg", ".png", ".webp", ".bmp", ".gif", ".tiff"}
    assert {n.transform for n in corpus.near_duplicates} == set(NEAR_DUPLICATE_TRANSFORMS)
    assert all(n.original in corpus.originals for n in corpus.near_duplicates)
    assert len({n.path for n in corpus.near_duplicates}) == len(corpus.near_duplicates)


def test_manifest_json_round_trips(corpus: CorpusManifest) -> None:
    data = json.loads((corpus.root / "manifest.json").read_text(encoding="utf-8"))
    assert data["near_duplicates"][0].keys() == {"path", "original", "transform", "distance"}
    assert CorpusManifest.load(corpus.root) == corpus


def test_near_duplicates_match_their_original(corpus: CorpusManifest) -> None:
    for near in corpus.near_duplicates:
        stored = pdq_bits(load_image(corpus.path(near.original)))
        distance = best_distance(pdq_dihedral_bits(load_image(corpus.path(near.path))), stored)
        assert distance == near.distance <= THRESHOLD


def test_unrelated_are_far_from_every_original(corpus: CorpusManifest) -> None:
    bank = [pdq_bits(load_image(corpus.path(p))) for p in corpus.originals]
    for name in corpus.unrelated:
        variants = pdq_dihedral_bits(load_image(corpus.path(name)))
        assert min(best_distance(variants, stored) for stored in bank) > THRESHOLD
    assert corpus.unrelated_min_distance > THRESHOLD


def test_bad_files_do_not_decode(corpus: CorpusManifest) -> None:
    assert corpus.path("bad/empty.png").stat().st_size == 0
    for name in corpus.bad_files:
        with pytest.raises((OSError, SyntaxError)), Image.open(corpus.path(name)) as image:
            image.convert("RGB")


def test_corpus_is_deterministic(tmp_path: Path, corpus: CorpusManifest) -> None:
    again = write_corpus(tmp_path, n_originals=7, seed=3)
    assert again.to_dict() == corpus.to_dict()
    for name in corpus.all_files():
        assert (tmp_path / name).read_bytes() == corpus.path(name).read_bytes()


def test_corpus_rejects_no_originals(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_originals"):
        write_corpus(tmp_path, n_originals=0)


def test_corpus_refuses_a_transform_pdq_does_not_tolerate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def big_crop(image: Image.Image) -> Image.Image:
        return synthetic.crop_edges(image, 0.08)

    monkeypatch.setitem(NEAR_DUPLICATE_TRANSFORMS, "big_crop", big_crop)
    with pytest.raises(CorpusError, match="big_crop"):
        write_corpus(tmp_path, n_originals=1)
