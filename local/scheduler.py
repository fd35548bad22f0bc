"""EventBridge Scheduler, locally: fires each ScheduleV2 function of the template at its rate.

A thread per schedule waits one period, invokes the function with the event
Scheduler delivers (the target's Input when the template sets one, else the
default "Scheduled Event" notification), and waits again. The first firing is
one period after start. `set_rate` changes a period at run time (tests);
`fire_now` invokes at once. Scheduler's retry policy is not emulated: a failed
firing is logged and the next one comes at the next period.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from local.invoker import FunctionError, Invoker
from local.template import Schedule, Template

log = logging.getLogger("local.scheduler")


class Scheduler:
    def __init__(self, template: Template, invoker: Invoker, rate_seconds: float | None = None):
        """`rate_seconds` overrides every schedule's period (None: the template's)."""
        self.template = template
        self.invoker = invoker
        self.region = str(template.resolve({"Ref": "AWS::Region"}))
        self.account = str(template.resolve({"Ref": "AWS::AccountId"}))
        self._schedules = {s.function: s for s in template.schedules}
        self._rates = {s.function: float(rate_seconds or s.seconds) for s in template.schedules}
        self._wake = {s.function: threading.Event() for s in template.schedules}
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(s.function,), name=f"schedule-{s.function}", daemon=True)
            for s in template.schedules
        ]

    @property
    def rates(self) -> dict[str, float]:
        return dict(self._rates)

    def start(self) -> Scheduler:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for event in self._wake.values():
            event.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(5)

    def set_rate(self, function: str, seconds: float) -> None:
        """Change the period; the next firing is `seconds` from now."""
        self._schedule(function)
        self._rates[function] = float(seconds)
        self._wake[function].set()

    def fire_now(self, function: str) -> Any:
        """Invoke the scheduled function once, now; returns its result or raises FunctionError."""
        return self.invoker.invoke(function, self.event(self._schedule(function)))

    def event(self, schedule: Schedule) -> Any:
        props = self.template.schedule_properties(schedule.function)
        if props.get("Input"):
            return json.loads(props["Input"])
        name = props.get("Name") or schedule.function
        group = props.get("GroupName") or "default"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": self.account,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:scheduler:{self.region}:{self.account}:schedule/{group}/{name}"],
            "detail": "{}",
        }

    def _schedule(self, function: str) -> Schedule:
        if function not in self._schedules:
            raise KeyError(f"{function} has no schedule in the template")
        return self._schedules[function]

    def _run(self, function: str) -> None:
        wake = self._wake[function]
        while not self._stop.is_set():
            if wake.wait(self._rates[function]):  # woken: a new rate, or stop
                wake.clear()
                continue
            try:
                self.fire_now(function)
            except FunctionError as error:
                log.warning("scheduled %s failed: %s", function, error)
