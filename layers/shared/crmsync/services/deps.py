"""What the services are handed: one frozen `Deps`, typed against the ports, built by the
composition root (`crmsync.runtime.container`).

The convention: every use case a handler or router calls takes `deps` first; helpers inside a
service take only the port they use (a `Store`, a `MessageQueue`, a `Clock`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crmsync.ports.clock import Clock
from crmsync.ports.queue import MessageQueue
from crmsync.ports.secrets import CredentialStore, OAuthClientSource
from crmsync.ports.store import Store
from crmsync.ports.vendors import VendorDirectory
from crmsync.services.stage_rules import StageRuleCache


@dataclass(frozen=True)
class Deps:
    store: Store
    sync_queue: MessageQueue
    automation_queue: MessageQueue
    credentials: CredentialStore
    oauth_client: OAuthClientSource
    vendors: VendorDirectory
    clock: Clock
    stage_rules: StageRuleCache
    allow_custom_endpoints: bool = False
