"""``train``, ``train-tier2``, ``model-card`` and ``score``: build the classifier artifacts,
render their model cards, and score a file of comments."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from moderation.classifier.language_model import load_latin_model

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Rows scored per chunk: bounds memory whatever the input size.
CHUNK = 1000
OUTPUT_COLUMNS = ("id", "toxicity", "abusive", "obscene", "threat", "discriminatory",
                  "defamatory", "personal_information", "spam", "verdict", "reasons",
                  "language")


_DATA_OPTION = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
    default=REPO_ROOT.parent / "shared" / "data", show_default="../shared/data",
    help="Folder with the labelled corpora.")
_SEED_OPTION = click.option("--seed", type=int, default=13, show_default=True)


@click.command("train")
@_DATA_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=REPO_ROOT / "models", show_default="models/",
              help="Where the artifact, models/LATEST and MODEL_CARD.md are written.")
@_SEED_OPTION
def train_command(data_dir: Path, out_dir: Path, seed: int) -> None:
    """Train, validate and write a versioned classifier artifact plus its model card."""
    if not data_dir.is_dir():
        raise click.UsageError(f"data folder not found: {data_dir}")
    from moderation.classifier.encoder import INSTALL_HINT, Tier2Unavailable
    from moderation.training.fast import train

    try:
        report = train(data_dir, out_dir, seed=seed, progress=sys.stderr.isatty())
    except Tier2Unavailable as exc:
        raise click.ClickException(
            f"training distils the fast tier's word priors from the sentence encoder, which is "
            f"not installed ({exc}). Install it with `{INSTALL_HINT}` (make train does)."
        ) from None
    art = report["artifact"]
    click.echo(f"wrote {art['path']} ({art['bytes'] / 1e6:.1f} MB) and {out_dir / 'MODEL_CARD.md'}"
               f" in {report['training_seconds']:.0f} s")


@click.command("train-tier2")
@_DATA_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=REPO_ROOT / "models", show_default="models/",
              help="Where the artifact, TIER2_LATEST and MODEL_CARD_TIER2.md are written.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Fast model to build on (default: $MODERATION_MODEL_PATH or models/LATEST).")
@_SEED_OPTION
def train_tier2_command(data_dir: Path, out_dir: Path, model_path: Path | None, seed: int) -> None:
    """Train and validate the optional second tier (needs requirements-tier2.txt)."""
    if not data_dir.is_dir():
        raise click.UsageError(f"data folder not found: {data_dir}")
    from moderation.classifier import ArtifactError

    try:
        from moderation.training.tier2 import train_tier2

        report = train_tier2(data_dir, out_dir, model_path, seed=seed, progress=sys.stderr.isatty())
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from None
    art = report["artifact"]
    click.echo(f"wrote {art['path']} ({art['bytes'] / 1e3:.0f} kB) and "
               f"{out_dir / 'MODEL_CARD_TIER2.md'} in {report['training_seconds']:.0f} s")


@click.command("train-kannada")
@_DATA_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=REPO_ROOT / "models", show_default="models/",
              help="Where the head, models/KN_LATEST and the card's Kannada section are written.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Base model for the as-served figures (default: $MODERATION_MODEL_PATH or models/LATEST).")
def train_kannada_command(data_dir: Path, out_dir: Path, model_path: Path | None) -> None:
    """Train the Kannada head on DravidianCodeMix Kannada (seconds); write it and its card section."""
    folder = data_dir / "dravidian_kannada_offensive"
    if not (folder / "train.csv").is_file() and not (data_dir / "train.csv").is_file():
        raise click.UsageError(f"no dravidian_kannada_offensive/train.csv under {data_dir}")
    from moderation.classifier import ArtifactError, load_classifier
    from moderation.training.kannada import train_kannada

    try:
        base = load_classifier(model_path)
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from None
    report = train_kannada(data_dir, out_dir, base_model=base, latin_model=load_latin_model())
    art, dev = report["artifact"], report.get("dev", {})
    click.echo(f"wrote {art['path']} ({art['bytes'] / 1e3:.0f} kB) in "
               f"{report['training_seconds']:.0f} s: CV ROC AUC {report['cv']['best']['oof_roc_auc']:.3f}, "
               f"dev ROC AUC {dev.get('roc_auc') or float('nan'):.3f}, "
               f"languages {report['languages'] or 'none declared'}")


@click.command("model-card")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Artifact (default: models/LATEST, or models/TIER2_LATEST with --tier2).")
@click.option("--tier2", "tier2", is_flag=True, help="Render the second tier's card.")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Card to write (default: MODEL_CARD.md or MODEL_CARD_TIER2.md next to it).")
def model_card_command(model_path: Path | None, tier2: bool, output_path: Path | None) -> None:
    """Re-render a model card from the training report stored in the artifact."""
    from moderation.classifier import ArtifactError
    from moderation.classifier.artifact import LATEST, MODELS_DIR
    from moderation.classifier.tier2 import TIER2_LATEST
    from moderation.training.model_card import card_from_artifact
    from moderation.training.tier2_card import tier2_card_from_artifact

    if model_path is None:
        pointer = MODELS_DIR / (TIER2_LATEST if tier2 else LATEST)
        if not pointer.is_file():
            raise click.ClickException(f"{pointer} is missing; pass --model")
        model_path = MODELS_DIR / pointer.read_text().strip()
    if not model_path.is_file():
        raise click.ClickException(f"artifact not found: {model_path}")
    out = output_path or model_path.with_name("MODEL_CARD_TIER2.md" if tier2 else "MODEL_CARD.md")
    render = tier2_card_from_artifact if tier2 else card_from_artifact
    try:
        render(model_path, out)
    except (ArtifactError, KeyError, ValueError) as exc:
        raise click.ClickException(f"cannot render a card from {model_path}: {exc}") from None
    click.echo(f"wrote {out}")


def _records(fh: TextIO, name: str) -> Iterator[tuple[str, str]]:
    """Yield (id, text) from CSV (a header naming ``id`` and ``text``, other columns ignored)
    or JSON lines; raise naming the bad line."""
    first = fh.readline()
    if not first:
        return
    if first.lstrip().startswith("{"):
        lines = _chain_first(first, fh)
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise click.UsageError(f"{name}: line {lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or "id" not in obj or not isinstance(obj.get("text"), str):
                raise click.UsageError(
                    f'{name}: line {lineno}: expected an object with "id" and a string "text"'
                )
            yield str(obj["id"]), obj["text"]
        return
    reader = csv.reader(_chain_first(first, fh), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        if "id" not in header or "text" not in header:
            raise click.UsageError(
                f"{name}: line 1: expected a CSV header with columns 'id' and 'text' (or JSON lines), "
                f"got {header}"
            )
        id_at, text_at = header.index("id"), header.index("text")
        for row in reader:
            if len(row) != len(header):
                if not row:
                    continue
                raise click.UsageError(
                    f"{name}: line {reader.line_num}: expected {len(header)} fields like the header, "
                    f"got {len(row)}"
                )
            yield row[id_at], row[text_at]
    except csv.Error as exc:
        raise click.UsageError(f"{name}: line {reader.line_num}: malformed CSV ({exc})") from None


def _chain_first(first: str, fh: TextIO) -> Iterator[str]:
    yield first
    yield from fh


@click.command("score")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False,
                allow_dash=True, path_type=Path))
@click.option("-o", "--output", "output_path", required=True,
              type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="CSV to write, one row per input row, in order.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Artifact (default: $MODERATION_MODEL_PATH or models/LATEST).")
@click.option("--tier2", "tier2", default=None, metavar="off|latest|PATH",
              help="Second tier for unsure comments (default: $MODERATION_TIER2, else off).")
@click.option("--site", "site_name", default=None, metavar="NAME",
              help="Score as the worker scores SITE's comments: its policy and its active site model.")
def score_command(input_path: Path, output_path: Path, model_path: Path | None,
                  tier2: str | None, site_name: str | None) -> None:
    """Score INPUT (CSV id,text or JSON lines {"id","text"}) with the worker's pipeline."""
    import os

    from tqdm import tqdm

    from moderation.classifier import ArtifactError
    from moderation.classifier.tier2 import load_service_classifier
    from moderation.pipeline.run import default_policy, moderate
    from moderation.services.policies import policy_defaults
    from moderation.settings import load_settings

    choice = tier2 if tier2 is not None else os.environ.get("MODERATION_TIER2", "")
    try:
        clf = load_service_classifier(model_path, choice)
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from None
    # the API's and the worker's length limit (MODERATION_MAX_COMMENT_LENGTH), not the built-in one
    policy = default_policy(clf, policy_defaults(load_settings()))
    if site_name is not None:
        from moderation.cli.adapt_commands import site_scoring

        clf, policy = site_scoring(site_name, clf)
    name = "<stdin>" if str(input_path) == "-" else str(input_path)
    # utf-8-sig: spreadsheets save CSV with a byte-order mark, which is no part of the header.
    in_fh = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
             if str(input_path) == "-" else open(input_path, encoding="utf-8-sig", newline=""))
    tmp = None if str(output_path) == "-" else output_path.with_name(output_path.name + ".part")
    out_fh = sys.stdout if tmp is None else open(tmp, "w", encoding="utf-8", newline="")
    ok = False
    try:
        writer = csv.writer(out_fh)
        writer.writerow(OUTPUT_COLUMNS)
        bar = tqdm(unit=" comments", disable=not sys.stderr.isatty(), file=sys.stderr)
        chunk: list[tuple[str, str]] = []
        try:
            for rec in _records(in_fh, name):
                chunk.append(rec)
                if len(chunk) >= CHUNK:
                    _score_chunk(chunk, clf, policy, moderate, writer)
                    bar.update(len(chunk))
                    chunk = []
            _score_chunk(chunk, clf, policy, moderate, writer)
            bar.update(len(chunk))
        except UnicodeDecodeError as exc:
            raise click.UsageError(f"{name}: not UTF-8 text ({exc.reason})") from None
        finally:
            bar.close()
        ok = True
    finally:
        if in_fh is not sys.stdin:
            in_fh.close()
        if tmp is not None:
            out_fh.close()
            if ok:
                tmp.replace(output_path)
            else:
                tmp.unlink(missing_ok=True)


class _Precomputed:
    """Hands ``moderate`` the outputs of one batched classifier call, so the CLI runs the
    worker's exact pipeline while scoring the classifier in batches."""

    def __init__(self, clf: object, outputs: dict[str, object]) -> None:
        self._clf = clf
        self._outputs = outputs
        self.version = clf.version  # type: ignore[attr-defined]
        self.thresholds = clf.thresholds  # type: ignore[attr-defined]
        self.languages = getattr(clf, "languages", None)

    def predict(self, text: str) -> object:
        out = self._outputs.get(text)
        return out if out is not None else self._clf.predict(text)  # type: ignore[attr-defined]


def _score_chunk(chunk: list[tuple[str, str]], clf: object, policy: object, moderate: object,
                 writer: object) -> None:
    if not chunk:
        return
    texts = [t for _, t in chunk]
    outputs = dict(zip(texts, clf.predict_batch(texts), strict=True))  # type: ignore[attr-defined]
    proxy = _Precomputed(clf, outputs)
    for rid, text in chunk:
        res = moderate(text, classifier=proxy, policy=policy,  # type: ignore[operator]
                       language_model=load_latin_model())
        reasons = json.dumps([r.as_dict() for r in res.reasons], ensure_ascii=False)
        writer.writerow([rid, *(f"{res.scores[c]:.4f}" for c in OUTPUT_COLUMNS[1:9]),  # type: ignore[attr-defined]
                         res.decision, reasons, res.language.language])


COMMANDS: list[click.Command] = [train_command, train_tier2_command, train_kannada_command,
                                 model_card_command, score_command]
