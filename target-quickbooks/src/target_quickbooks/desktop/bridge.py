"""The target's jobs on qbd-bridge: message sets submitted under an idempotency key, answers read back.

QuickBooks Desktop answers only when its Web Connector calls, so every read and write of the
target is a job on the bridge's queue. A job is submitted with a key derived from its content:
the same planned batch submitted again (the target was killed after submitting it, or the answer
to its POST was lost) is the job already queued, whose answers are read instead of writing twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qbd_client.client import BridgeClient, BridgeResponse
from qbd_client.qbxml import Response

log = logging.getLogger("target_quickbooks.desktop")


@dataclass
class Answer:
    """QuickBooks' answer to one message set of a job (or why there is none)."""

    responses: dict[str, Response]
    #: The HRESULT or the bridge's reason when QuickBooks did not answer the message set.
    error: str = ""
    code: str = ""
    #: Worth sending again (QuickBooks could not be reached, the message set was not sent).
    retry: bool = False


class Jobs:
    """Runs the target's message sets as keyed jobs and counts them."""

    def __init__(self, client: BridgeClient, wait_for_qbwc: float) -> None:
        self.client = client
        self.wait_for_qbwc = wait_for_qbwc
        self.stats: Counter[str] = Counter()

    def run(
        self, message_sets: Sequence[bytes], *, label: str, salt: str = "", keyed: bool = True
    ) -> list[Answer]:
        """Submit the message sets as one job and wait for every answer (QBWCNotCalling when the
        Web Connector does not call within the wait); one :class:`Answer` per message set.

        ``keyed`` (writes): the job's key is a digest of its content, so the same batch submitted
        again is the first job. Reads are never keyed: their answers must be today's.
        """
        existing = False
        if keyed:
            digest = hashlib.sha256()
            digest.update(f"{self.client.company}\n{label}\n{salt}\n".encode())
            for message_set in message_sets:
                digest.update(message_set)
                digest.update(b"\x00")
            key = f"target-quickbooks:{digest.hexdigest()}"
            job, existing = self.client.submit_keyed(message_sets, label, key)
        else:
            job = self.client.submit(list(message_sets), label)
        self.stats["jobs"] += 1
        if existing:
            self.stats["jobs_found_again"] += 1
            log.info(
                "job %s (%s) was submitted before: reading its answers instead of writing again", job, label
            )
        else:
            self.stats["message_sets"] += len(message_sets)
        answers: dict[int, Answer] = {}
        for item in self.client.responses(job, self.wait_for_qbwc, raise_errors=False):
            answers[item.message_set] = _answer(item)
        out = []
        for index in range(len(message_sets)):
            out.append(
                answers.get(index)
                or Answer({}, error="the bridge recorded no answer for this message set", retry=True)
            )
        return out


def _answer(item: BridgeResponse) -> Answer:
    if item.error is None and item.response is not None:
        return Answer({r.request_id or "": r for r in item.response.responses})
    error = item.error
    code = str(getattr(error, "code", "") or item.hresult or "")
    retry = bool(getattr(error, "retry", False)) or not item.hresult
    return Answer({}, error=str(error or item.message or "no answer"), code=code, retry=retry)
