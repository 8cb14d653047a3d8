"""Feasibility study: six scored dimensions with weights, notes and evidence; a recommendation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import FieldError, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.portfolio.models import (
    Dimension,
    Feasibility,
    FeasibilityScore,
    Project,
    Recommendation,
)

FEASIBILITY_FIELDS = ("recommendation", "summary")
MAX_EVIDENCE = 20


def weighted_score(feasibility: Feasibility) -> Decimal | None:
    """Weighted mean of the scores on the 1–5 scale (two decimals), or None without scores."""
    scores = list(feasibility.scores.all())
    total_weight = sum((s.weight for s in scores), Decimal(0))
    if not scores or total_weight == 0:
        return None
    value = sum((s.score * s.weight for s in scores), Decimal(0)) / total_weight
    return value.quantize(Decimal("0.01"))


def _clean_scores(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    errors: list[FieldError] = []
    cleaned = []
    seen: set[str] = set()
    for index, item in enumerate(scores):
        where = f"scores.{index}"
        dimension = item.get("dimension")
        if dimension not in Dimension.values:
            errors.append(
                FieldError(f"{where}.dimension", f"must be one of {', '.join(Dimension.values)}")
            )
        elif dimension in seen:
            errors.append(FieldError(f"{where}.dimension", f"{dimension} is scored twice"))
        seen.add(str(dimension))
        score = item.get("score")
        if not isinstance(score, int) or not 1 <= score <= 5:
            errors.append(FieldError(f"{where}.score", "must be from 1 to 5"))
        try:
            weight = Decimal(str(item.get("weight", 1))).quantize(Decimal("0.01"))
        except ArithmeticError:
            errors.append(FieldError(f"{where}.weight", "must be a number"))
            continue
        if not Decimal(0) <= weight <= Decimal(100):
            errors.append(FieldError(f"{where}.weight", "must be from 0 to 100"))
        evidence = [str(link).strip() for link in item.get("evidence") or [] if str(link).strip()]
        if len(evidence) > MAX_EVIDENCE:
            errors.append(FieldError(f"{where}.evidence", f"at most {MAX_EVIDENCE} links"))
        errors.extend(
            FieldError(f"{where}.evidence", f"not a web link: {link[:60]}")
            for link in evidence
            if not link.startswith(("https://", "http://")) or len(link) > 500
        )
        cleaned.append(
            {"dimension": dimension, "score": score, "weight": weight,
             "notes": str(item.get("notes") or ""), "evidence": evidence}
        )  # fmt: skip
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return cleaned


def feasibility_save(
    *,
    actor: User,
    project: Project,
    version: int | None,
    data: dict[str, Any],
    scores: list[dict[str, Any]] | None = None,
) -> Feasibility:
    """Create or replace the study: recommendation, summary and (if given) all its scores."""
    unknown = set(data) - set(FEASIBILITY_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    if "recommendation" in data and data["recommendation"] not in Recommendation.values:
        raise Invalid.field("recommendation", f"must be one of {', '.join(Recommendation.values)}")
    require_role(actor, project, Role.MANAGER)
    cleaned = _clean_scores(scores) if scores is not None else None
    with transaction.atomic():
        study, created = Feasibility.objects.select_for_update().get_or_create(project=project)
        if not created:
            check_version(study, version)
        changes = apply_changes(study, data)
        if cleaned is not None:
            before = [f"{s.dimension}={s.score}x{s.weight}" for s in study.scores.all()]
            study.scores.all().delete()
            FeasibilityScore.objects.bulk_create(
                FeasibilityScore(feasibility=study, **item) for item in cleaned
            )
            after = [f"{s['dimension']}={s['score']}x{s['weight']}" for s in cleaned]
            if before != after:
                changes["scores"] = [before, after]
        if changes or created:
            if created:
                study.save()
            else:
                save_versioned(study, [name for name in changes if name != "scores"])
            audit(
                actor=actor,
                action="feasibility.create" if created else "feasibility.update",
                obj=study,
                project=project,
                changes=changes,
            )
    return study
