"""The per-object hooks of the Online edition: the writes the batch endpoint cannot carry."""

from __future__ import annotations

from typing import Any

from qbo_client.client import QBOClient

from target_quickbooks.hooks import ObjectHooks
from target_quickbooks.plan import Step


class OnlineObjectHooks(ObjectHooks):
    """An object some of whose writes go through an endpoint of their own."""

    def direct(self, step: Step) -> bool:
        """Whether the step is sent on its own through :meth:`send` instead of in a batch."""
        del step
        return False

    def send(self, client: QBOClient, realm: str, step: Step) -> dict[str, Any]:
        """Write a step :meth:`direct` claimed; the written object (raises RecordError or QBOError)."""
        raise NotImplementedError(f"{type(self).__name__} sends no {step.action.value} directly")
