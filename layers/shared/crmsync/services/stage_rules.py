"""The CRM's deal-stage settings, cached per integration for the life of the execution environment.

The composition root owns one cache (`Deps.stage_rules`), so its lifetime is the container's: a
stage the cache does not know re-reads the settings once (the admin may have added a stage).
"""

from __future__ import annotations

from crmsync.domain.automation import StageOutcome, StageRules
from crmsync.ports.crm import CrmPort


class StageRuleCache:
    def __init__(self) -> None:
        self._rules: dict[str, StageRules] = {}

    def outcome(self, integration_id: str, crm: CrmPort, stage: str) -> StageOutcome | None:
        """Won, lost or open from the cached settings; a stage the cache does not know re-reads them once."""
        rules = self._rules.get(integration_id)
        outcome = rules.outcome(stage) if rules else None
        if outcome is None:
            self._rules[integration_id] = rules = StageRules.of(crm.list_deal_stages())
            outcome = rules.outcome(stage)
        return outcome
