"""Port for remembering which Slack deliveries were already processed (across replicas)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta


class DeliveryLog(ABC):
    """Keys of processed deliveries (a view submission, a click), each kept for a while."""

    @abstractmethod
    def first_time(self, key: str, *, now: datetime, keep_for: timedelta) -> bool:
        """Record ``key``; True the first time, False when it was recorded less than ``keep_for`` ago.

        Atomic across replicas: of any number of concurrent callers with one key, exactly one gets True.
        """


class ProcessDeliveryLog(DeliveryLog):
    """Within one process only: the default where no database is wired (the bot itself uses the database's)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_time(self, key: str, *, now: datetime, keep_for: timedelta) -> bool:
        with self._lock:
            self._seen = {k: until for k, until in self._seen.items() if until > now}
            if key in self._seen:
                return False
            self._seen[key] = now + keep_for
            return True
