"""The composition root: settings read once per cold start, adapters built lazily and cached."""

from __future__ import annotations

from functools import cached_property

from crmsync.runtime.settings import Settings


class Container:
    def __init__(self, settings: Settings):
        self.settings = settings

    @classmethod
    def from_env(cls) -> Container:
        return cls(Settings.from_env())

    @cached_property
    def store(self):
        from crmsync.adapters.dynamodb import DynamoStore

        return DynamoStore(self.settings.table_name)

    @cached_property
    def sync_queue(self):
        from crmsync.adapters.sqs_queue import SqsQueue

        return SqsQueue(self.settings.sync_queue_url)

    @cached_property
    def automation_queue(self):
        from crmsync.adapters.sqs_queue import SqsQueue

        return SqsQueue(self.settings.automation_queue_url)

    @cached_property
    def tenants(self):
        from crmsync.services.tenants import TenantService

        return TenantService(self.store)


_container: Container | None = None


def get_container() -> Container:
    """The process's container, built on first use (a Lambda cold start)."""
    global _container
    if _container is None:
        _container = Container.from_env()
    return _container


def reset_container() -> None:
    """Forget the container so the next call re-reads the environment (tests, local stack)."""
    global _container
    _container = None
