"""The Kannada head: training on a synthetic fixture, the artifact, routing, coverage.

The fixture is written here (never the corpus); the tests on the shipped artifacts use
models/ (committed) and need no data folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from moderation.classifier.kannada import (
    HEAD_CATEGORIES,
    KN_LATEST,
    RoutedClassifier,
    load_head,
    map_probability,
    threshold_map,
    with_kannada,
)
from moderation.classifier.language_model import load_latin_model
from moderation.classifier.model import ArtifactError, ToxicityClassifier
from moderation.classifier.normalize import normalize, normalize_indic
from moderation.pipeline.run import PipelineInput, moderate_many
from moderation.training.kannada import choose_thresholds, text_folds, train_kannada

REPO = Path(__file__).resolve().parents[2]
KILL = "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ"  # "I will kill you"
ROMAN_INSULT = "nin amman bolimaga, ninge buddhi illa sulemaga"
ENGLISH = [
    "A fair point about the new bus routes.", "You are an idiot", "what the fuck is this",
    "The council meeting is on Tuesday, please attend.", "i will kill you",
    "Great reporting on the floods in Kodagu", "all vermin should leave",
    "This editorial is biased but well argued.", "", "👍👍", "Super sir",
]

_CLEAN_KN = ["ಈ ಚಿತ್ರ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ", "ಸೂಪರ್ ಹಾಡು ಅಣ್ಣ", "ನಮ್ಮ ಕನ್ನಡ ಸಿನಿಮಾ ಗೆಲ್ಲಲಿ",
             "ಒಳ್ಳೆಯ ಕಥೆ ಮತ್ತು ಸಂಗೀತ", "ಶುಭವಾಗಲಿ ತಂಡಕ್ಕೆ"]
_BAD_KN = ["ಬೋಳಿಮಗನೆ ನೀನು", "ಸೂಳೆಮಗ ಬಾಯಿ ಮುಚ್ಚು", "ನೀನು ಬೋಳಿಮಗ ಮೂರ್ಖ", "ಮೂರ್ಖ ಸೂಳೆಮಗ",
           "ಬಾಯಿ ಮುಚ್ಚು ಮೂರ್ಖ"]
_CLEAN_LA = ["cinema thumba chennagide guru", "super hadu anna nodi khushi aytu",
             "namma kannada cinema gellali", "olle kathe mattu sangeetha", "shubhavagali tandakke"]
_BAD_LA = ["bolimaga ninge buddhi illa", "sulemaga bayi muchko", "neenu bolimaga murkha",
           "murkha sulemaga nin amman", "bayi muchko murkha bolimaga"]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)


def _fixture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    for i in range(4):  # variants, so that every fold has both classes
        rows += [(f"{t} {i}", "Not_offensive") for t in _CLEAN_KN + _CLEAN_LA]
        rows += [(f"{t} {i}", "Offensive_Targeted_Insult_Individual") for t in _BAD_KN[:3] + _BAD_LA[:3]]
        rows += [(f"{t} {i}", "Offensive_Targeted_Insult_Group") for t in _BAD_KN[3:] + _BAD_LA[3:]]
        # not-Kannada rows are offensive-looking English here: were they used as negatives,
        # "idiot" would learn a negative weight
        rows += [(f"you idiot {i}", "not-Kannada"), (f"Anyone from kerala here {i}", "not-Kannada")]
    _write(folder / "train.csv", rows)
    _write(folder / "dev.csv", [(t, "Not_offensive") for t in _CLEAN_KN[:3] + _CLEAN_LA[:3]]
           + [(t, "Offensive_Untargetede") for t in _BAD_KN[:3] + _BAD_LA[:3]]
           + [("nice song", "not-Kannada")])
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    root = tmp_path_factory.mktemp("kn")
    data = _fixture(root / "data")
    out = root / "models"
    report = train_kannada(data, out, version="kn-test-1", char_ranges=((2, 4),),
                           c_grid=(1.0, 10.0))
    return report, out


def test_training_drops_not_kannada_and_writes_artifact_pointer_and_card(
        trained: tuple[dict[str, object], Path]) -> None:
    report, out = trained
    assert report["data"]["train_rows"] == 4 * 20  # type: ignore[index]
    assert (out / KN_LATEST).read_text().strip() == "kn-test-1.npz"
    head = load_head(out / "kn-test-1.npz")
    assert head.version == "kn-test-1"
    assert head.thresholds["review"] <= head.thresholds["reject"]
    assert [g["C"] for g in report["cv"]["grid"]] == [1.0, 10.0]  # type: ignore[index]
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Kannada head: kn-test-1" in card and "ROC AUC" in card
    assert report["dev"]["rows"] == 12  # type: ignore[index]  # the not-Kannada dev row dropped


def test_artifact_round_trip_scores_the_same(trained: tuple[dict[str, object], Path],
                                              tmp_path: Path) -> None:
    from moderation.classifier.kannada import save_head

    _, out = trained
    head = load_head(out / "kn-test-1.npz")
    again = load_head(save_head(head, tmp_path / "copy.npz"))
    texts = [*_BAD_KN, *_CLEAN_LA, "unseen words entirely"]
    assert np.array_equal(head.probability(texts), again.probability(texts))
    assert again.languages == head.languages and again.thresholds == head.thresholds
    # the head learnt the insults, and not-Kannada "you idiot" rows were not negatives
    p = head.probability(["ಬೋಳಿಮಗನೆ", "bolimaga", "cinema chennagide"])
    assert p[0] > p[2] and p[1] > p[2]


def test_corrupt_or_foreign_artifacts_are_refused(trained: tuple[dict[str, object], Path],
                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ArtifactError):
        load_head(bad)
    with pytest.raises(ArtifactError, match="format"):
        load_head(REPO / "models" / (REPO / "models" / "LATEST").read_text().strip())
    with pytest.raises(ArtifactError, match="not found"):
        load_head(tmp_path / "missing.npz")


def test_folds_are_stable_and_keep_duplicates_together() -> None:
    texts = ["a", "b", "a", "ಕನ್ನಡ", "c"]
    folds = text_folds(texts)
    assert folds[0] == folds[2]
    assert np.array_equal(folds, text_folds(list(texts)))


def test_thresholds_meet_their_targets() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0, 1, 0, 0], dtype=float)
    p = np.linspace(0.95, 0.05, 10)
    t = choose_thresholds(y, p, review_recall=0.8, reject_precision=0.9)
    assert y[p >= t["review"]].sum() / y.sum() >= 0.8
    assert y[p >= t["reject"]].mean() >= 0.9
    assert t["review"] <= t["reject"]


def test_threshold_map_is_monotone_and_exact_at_both_thresholds() -> None:
    head, base = {"review": 0.2, "reject": 0.7}, {"review": 0.156, "reject": 0.681}
    slope, offset = threshold_map(head, base)
    mapped = map_probability(np.array([0.2, 0.7]), slope, offset)
    assert np.allclose(mapped, [0.156, 0.681])
    grid = map_probability(np.linspace(0.001, 0.999, 200), slope, offset)
    assert np.all(np.diff(grid) > 0)


def test_normalisation_keeps_kannada_vowel_signs_and_viramas() -> None:
    assert normalize_indic(KILL + "!!!") == KILL
    assert normalize(KILL) != KILL  # the base's normalisation strips them (why the head has its own)
    assert normalize_indic("SUPERRRR anna @bob https://x.y") == normalize("SUPERRRR anna @bob https://x.y")


def _routed(base: ToxicityClassifier, out: Path) -> RoutedClassifier:
    return RoutedClassifier(base, load_head(out / "kn-test-1.npz"), load_latin_model())


def test_kannada_and_romanised_kannada_reach_the_head_english_is_untouched(
        tiny_clf: ToxicityClassifier, trained: tuple[dict[str, object], Path]) -> None:
    _, out = trained
    routed = _routed(tiny_clf, out)
    texts = [KILL, ROMAN_INSULT, *ENGLISH]
    assert routed.routed(texts)[:2] == [True, True]
    outputs = routed.predict_batch(texts)
    head_p = routed.head.probability(texts[:2])
    for o, p in zip(outputs[:2], head_p, strict=True):
        assert o.version == routed.version == f"{tiny_clf.version}+kn-test-1"
        for c in HEAD_CATEGORIES:
            assert o.scores[c] == pytest.approx(float(routed.head_scores(np.array([p]))[c][0]))
    alone = tiny_clf.predict_batch(ENGLISH)
    for o, a in zip(outputs[2:], alone, strict=True):
        assert o.scores == a.scores and o.spans == a.spans and o.tier == a.tier  # bit for bit
        assert o.version == tiny_clf.version


# --- the shipped artifacts (models/): what the service runs ---

@pytest.fixture(scope="module")
def shipped() -> tuple[ToxicityClassifier, RoutedClassifier]:
    from moderation.classifier.tier2 import load_service_classifier

    base = load_service_classifier(None, "off", kannada="off")
    routed = load_service_classifier(None, "off", kannada="latest")
    assert isinstance(routed, RoutedClassifier)
    return base, routed


def _english_sample() -> list[str]:
    from moderation.training.smoke_cases import CASES

    return [*ENGLISH, *(case[0] for case in CASES)]


def test_shipped_english_scores_are_bit_identical_with_and_without_the_head(
        shipped: tuple[ToxicityClassifier, RoutedClassifier]) -> None:
    base, routed = shipped
    sample = _english_sample()
    mixed = [KILL, *sample, ROMAN_INSULT]
    flags = routed.routed(mixed)
    assert flags[0] and flags[-1] and not any(flags[1:-1])
    with_head = routed.predict_batch(mixed)[1:-1]
    for a, b in zip(base.predict_batch(sample), with_head, strict=True):
        assert a.scores == b.scores and a.spans == b.spans
    res_base = moderate_many([PipelineInput(t) for t in sample], classifier=base,
                             language_model=load_latin_model())
    res_routed = moderate_many([PipelineInput(t) for t in sample], classifier=routed,
                               language_model=load_latin_model())
    for a, b in zip(res_base, res_routed, strict=True):
        assert (a.scores, a.decision, a.reasons, a.model_version) == (
            b.scores, b.decision, b.reasons, b.model_version)


def test_shipped_head_covers_kannada_not_hindi_and_holds_the_threat(
        shipped: tuple[ToxicityClassifier, RoutedClassifier]) -> None:
    base, routed = shipped
    assert set(routed.languages) == {"en", "kn", "kn-Latn"}
    texts = [KILL, ROMAN_INSULT, "ಈ ಚಿತ್ರ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ", "मैं तुम्हें जान से मार दूंगा"]
    lm = load_latin_model()
    routed_res = moderate_many([PipelineInput(t) for t in texts], classifier=routed, language_model=lm)
    base_res = moderate_many([PipelineInput(t) for t in texts], classifier=base, language_model=lm)
    codes = [[r.code for r in res.reasons] for res in routed_res]
    assert all("language:unsupported" not in c for c in codes[:3])
    assert "language:unsupported" in codes[3]  # Hindi is still not covered
    assert all("language:unsupported" in [r.code for r in res.reasons] for res in base_res)
    assert routed_res[0].decision != "approved"  # "I will kill you"
    assert routed_res[0].model_version == routed.version
    assert routed_res[1].decision != "approved"
    assert routed_res[3].model_version == base.version


def test_with_kannada_off_or_absent_is_the_base(tiny_clf: ToxicityClassifier, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert with_kannada(tiny_clf, "off") is tiny_clf
    monkeypatch.setattr("moderation.classifier.kannada.MODELS_DIR", tmp_path)
    assert with_kannada(tiny_clf, "latest") is tiny_clf  # no models/KN_LATEST


def test_the_setting_accepts_latest_off_or_an_existing_path(tmp_path: Path) -> None:
    from moderation.settings import ConfigurationError, load_settings

    assert load_settings().kannada == "latest"
    assert load_settings(kannada="OFF").kannada == "off"
    head = REPO / "models" / (REPO / "models" / KN_LATEST).read_text().strip()
    assert load_settings(kannada=str(head)).kannada == str(head)
    with pytest.raises(ConfigurationError, match="MODERATION_KANNADA .*no such file"):
        load_settings(kannada=str(tmp_path / "missing.npz"))


def test_the_pipeline_hands_its_language_guesses_to_the_routing(
        tiny_clf: ToxicityClassifier, trained: tuple[dict[str, object], Path]) -> None:
    from moderation.pipeline.language import identify

    _, out = trained
    routed = _routed(tiny_clf, out)
    # without the Latin model the pipeline takes romanised Kannada for English: the routing
    # follows the pipeline's guess (the one the coverage rule judged), not its own
    res = moderate_many([PipelineInput(ROMAN_INSULT), PipelineInput(KILL)], classifier=routed,
                        language_model=None)
    assert [r.language.language for r in res] == ["en", "kn"]
    assert res[0].model_version == tiny_clf.version and res[1].model_version == routed.version
    with pytest.raises(ValueError, match="guesses"):
        routed.predict_identified([KILL, ROMAN_INSULT], identify([KILL]))
