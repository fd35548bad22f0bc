"""Per-integration OAuth credentials in AWS Secrets Manager, one secret per integration.

Reads go through Powertools parameters (cached for `max_age` seconds); writes use boto3, imported
and built on first write. A secret this process wrote or deleted is re-read on its next get.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from crmsync.ports.secrets import IntegrationCredentials, OAuthClient, OAuthCredentials

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SecretsManagerCredentialStore:
    """Implements `CredentialStore`: secret `{prefix}{integration_id}` holds the credentials as JSON."""

    def __init__(self, prefix: str, *, max_age: int = 300):
        self._prefix = prefix
        self._max_age = max_age
        self._client: SecretsManagerClient | None = None
        self._provider: parameters.SecretsProvider | None = None
        self._changed: set[str] = set()

    def get(self, integration_id: str, *, fresh: bool = False) -> IntegrationCredentials:
        name = self.secret_name(integration_id)
        try:
            value = self._reader().get(
                name, transform="json", max_age=self._max_age, force_fetch=fresh or name in self._changed
            )
        except GetParameterError as exc:
            if _is_not_found(exc.__context__):
                raise KeyError(integration_id) from exc
            raise
        self._changed.discard(name)
        return IntegrationCredentials.model_validate(value)

    def put(self, integration_id: str, credentials: IntegrationCredentials) -> None:
        name = self.secret_name(integration_id)
        payload = json.dumps({"crm": _plain(credentials.crm), "inventory": _plain(credentials.inventory)})
        client = self._secrets_manager()
        try:
            client.create_secret(Name=name, SecretString=payload)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=payload)
        self._changed.add(name)

    def delete(self, integration_id: str) -> None:
        name = self.secret_name(integration_id)
        client = self._secrets_manager()
        try:
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except client.exceptions.ResourceNotFoundException:
            pass
        self._changed.add(name)

    def secret_name(self, integration_id: str) -> str:
        return f"{self._prefix}{integration_id}"

    def _reader(self) -> parameters.SecretsProvider:
        """This store's own cached reader (not Powertools' process-wide one), built on first use."""
        if self._provider is None:
            self._provider = parameters.SecretsProvider()
        return self._provider

    def _secrets_manager(self) -> SecretsManagerClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        return self._client


class SecretsManagerOAuthClient:
    """Implements `OAuthClientSource`: one secret holds the deployment's OAuth client as JSON
    (`client_id`, `client_secret`, `state_key`), set by the operator (`crmsync oauth-client set`)."""

    def __init__(self, secret_name: str, *, max_age: int = 300):
        self._name = secret_name
        self._max_age = max_age
        self._provider: parameters.SecretsProvider | None = None

    def get(self) -> OAuthClient:
        if not self._name:
            raise KeyError("no OAuth client secret is configured")
        if self._provider is None:
            self._provider = parameters.SecretsProvider()
        try:
            value = self._provider.get(self._name, transform="json", max_age=self._max_age)
        except GetParameterError as exc:
            if _is_not_found(exc.__context__):
                raise KeyError(self._name) from exc
            raise
        return OAuthClient.model_validate(value)


def _plain(credentials: OAuthCredentials) -> dict[str, Any]:
    return credentials.model_dump() | {
        "client_secret": credentials.client_secret.get_secret_value(),
        "refresh_token": credentials.refresh_token.get_secret_value(),
    }


def _is_not_found(error: BaseException | None) -> bool:
    response = getattr(error, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == "ResourceNotFoundException"
