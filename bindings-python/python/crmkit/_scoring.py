"""Lead scoring over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

__all__ = ["score_leads"]


@document("ScoringPolicy", "ScoringRule", "FieldCondition", "EventRule")
def score_leads(policy: Mapping[str, Any], leads: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Scores and ranks ``leads`` (``{"id", "events": [{"type", "on"}], <fields>...}``) under
    the rule ``policy`` at ``as_of``.

    Returns ``leads`` (one line per lead in input order: ``score``, ``fit``, ``engagement``,
    ``grade``, ``tier``, ``rank``, ``items`` with points before and after decay, ``cuts`` by
    caps, ``top_reasons``), ``ranking`` (ids, first to last), and counts per ``tiers`` and
    ``grades``. Scores are floats. Raises ``CrmkitError`` (``invalid_value`` at
    ``rules[0].when[0].pattern`` for a regex that does not compile, ``invalid_type`` at
    ``leads[3].employees`` for a field of the wrong type...).

    >>> import crmkit
    >>> policy = {"rules": [{"id": "mfg", "dimension": "fit", "points": 20,
    ...                      "when": [{"field": "industry", "op": "equals", "value": "制造"}]}]}
    >>> report = crmkit.score_leads(policy, [{"id": "L1", "industry": "制造"}, {"id": "L2"}], "2026-11-23")
    >>> [(lead["id"], lead["score"], lead["rank"]) for lead in report["leads"]]
    [('L1', 20.0, 1), ('L2', 0.0, 2)]
    """
    return _native.score_leads(to_json(policy), to_json(leads), as_of_text(as_of))
