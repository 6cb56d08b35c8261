"""BERTScore and BLEURT for Answer Generation, only when the user already has them.

The paper's AG metrics need a Python package and a model each. We never download anything: a
metric runs only if its package is importable and its model is in the local Hugging Face cache;
otherwise it is skipped with a one-line note saying how to enable it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

# What `bert_score` picks for lang="en" (the paper's call) and the layer it reads for that model.
BERTSCORE_MODEL = "roberta-large"
BERTSCORE_LAYER = 17
BLEURT_MODEL = "lucadiliello/BLEURT-20-D12"
BATCH_SIZE = 32


@dataclass(frozen=True)
class ModelMetric:
    """One model-based metric: the package it needs, the model it loads and the scores it gives."""

    label: str
    package: str
    pip_name: str
    model: str
    names: tuple[str, ...]


BERTSCORE = ModelMetric(
    "BERTScore", "bert_score", "bert-score", BERTSCORE_MODEL, ("bert_precision", "bert_recall", "f_bert")
)
BLEURT = ModelMetric(
    "BLEURT",
    "bleurt_pytorch",
    "git+https://github.com/lucadiliello/bleurt-pytorch",
    BLEURT_MODEL,
    ("bleurt",),
)
MODEL_METRICS = (BERTSCORE, BLEURT)
MODEL_METRIC_NAMES = tuple(name for metric in MODEL_METRICS for name in metric.names)


def _local_model_dir(repo_id: str) -> str | None:
    """The cached snapshot folder of a Hub model, without touching the network; None if not cached."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id, local_files_only=True)
    except Exception:  # any failure (not cached, broken cache) just means "not available"
        return None


@cache
def availability(metric: ModelMetric) -> tuple[str | None, str | None]:
    """(model folder, None) when the metric can run, else (None, the note telling how to enable it)."""
    if importlib.util.find_spec(metric.package) is None:
        return None, (
            f"{metric.label} skipped: the `{metric.package}` package is not installed "
            f"(pip install {metric.pip_name}, then put {metric.model} in the Hugging Face cache)"
        )
    folder = _local_model_dir(metric.model)
    if folder is None:
        return None, (
            f"{metric.label} skipped: {metric.model} is not in the local Hugging Face cache "
            f"(run `huggingface-cli download {metric.model}` once; ecbuild never downloads it)"
        )
    return folder, None


def skipped_notes() -> list[str]:
    """The notes of the model metrics that cannot run here."""
    return [note for metric in MODEL_METRICS if (note := availability(metric)[1]) is not None]


def model_scores(golds: Sequence[str], preds: Sequence[str]) -> dict[str, list[float]]:
    """Per-pair scores of every available model metric (no key for a metric that cannot run)."""
    scores: dict[str, list[float]] = {}
    for metric in MODEL_METRICS:
        scores.update(metric_scores(metric, golds, preds))
    return scores


def metric_scores(metric: ModelMetric, golds: Sequence[str], preds: Sequence[str]) -> dict[str, list[float]]:
    """Per-pair scores of one model metric; empty when it cannot run here."""
    folder, _ = availability(metric)
    if folder is None:
        return {}
    if not golds:
        return {name: [] for name in metric.names}
    compute = _bertscore if metric is BERTSCORE else _bleurt
    return compute(folder, golds, preds)


def _bertscore(folder: str, golds: Sequence[str], preds: Sequence[str]) -> dict[str, list[float]]:
    from bert_score import score

    precision, recall, f1 = score(
        list(preds), list(golds), model_type=folder, num_layers=BERTSCORE_LAYER, batch_size=BATCH_SIZE
    )
    return {"bert_precision": precision.tolist(), "bert_recall": recall.tolist(), "f_bert": f1.tolist()}


def _bleurt(folder: str, golds: Sequence[str], preds: Sequence[str]) -> dict[str, list[float]]:
    import torch
    from bleurt_pytorch import BleurtForSequenceClassification, BleurtTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = BleurtForSequenceClassification.from_pretrained(folder).to(device).eval()
    tokenizer = BleurtTokenizer.from_pretrained(folder)
    values: list[float] = []
    with torch.no_grad():
        for start in range(0, len(golds), BATCH_SIZE):
            batch = tokenizer(
                list(golds[start : start + BATCH_SIZE]),
                list(preds[start : start + BATCH_SIZE]),
                padding="longest",
                truncation=True,
                max_length=512,
                return_tensors="pt",
            ).to(device)
            values.extend(model(**batch).logits.flatten().tolist())
    return {"bleurt": values}
