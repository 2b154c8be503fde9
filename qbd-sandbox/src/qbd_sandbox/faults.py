"""What goes wrong between the Web Connector, QuickBooks and the service, on purpose and reproducibly.

A real Web Connector loses its network in the middle of a session, posts the same answer twice
after a timeout, is stopped while an iterator is half read, finds QuickBooks busy or unable to
start, and waits on a slow company file. :class:`ConnectorFaults` decides, from a seeded random
generator, when the emulator plays each of these, so a test or a soak run can ask for them and
get the same sequence again from the same seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, fields

#: Fault kinds decided by a probability per opportunity.
PROBABILITIES = ("drop", "drop_request", "drop_answer", "duplicate", "busy", "unavailable", "cannot_start")
#: Status codes QuickBooks answers a write with when the record or the file is locked by someone else.
BUSY_CODES = (3170, 3175, 3176, 3180)


class FaultSpecError(ValueError):
    """A ``--faults`` text that names an unknown fault or gives a value out of range."""


@dataclass
class ConnectorFaults:
    """Which faults the emulator plays, and how often.

    Probabilities are per opportunity: ``drop*`` and ``duplicate`` per receiveResponseXML,
    ``busy`` per message set that only writes, ``unavailable`` per message set, ``cannot_start``
    per attempt to open the company file. ``times`` caps how often each kind fires over the life of
    this object (``times=1`` with a probability of 1 plays a fault exactly once).
    """

    seed: int = 0
    #: receiveResponseXML lost, on one side or the other (chosen at random).
    drop: float = 0.0
    #: receiveResponseXML lost before it reaches the service, after QuickBooks did the work.
    drop_request: float = 0.0
    #: The service processed receiveResponseXML but its answer is lost on the way back.
    drop_answer: float = 0.0
    #: receiveResponseXML sent twice (a retry after a timeout); QBWC goes on with the second answer.
    duplicate: float = 0.0
    #: The update stops (closeConnection) after this many message sets, as when the user clicks Stop.
    close_after: int | None = None
    #: A message set that only writes is answered 3170-3180 (could not save: in use, locked).
    busy: float = 0.0
    #: A message set is answered with HRESULT 0x80040401 (could not access QuickBooks).
    unavailable: float = 0.0
    #: Opening the company file fails (connectionError 0x80040408).
    cannot_start: float = 0.0
    #: Seconds QuickBooks spends per record it returns (a slow company file).
    slow: float = 0.0
    times: int | None = None
    fired: Counter[str] = field(default_factory=Counter, init=False, compare=False)

    def __post_init__(self) -> None:
        for name in PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultSpecError(f"fault {name}={value} is not a probability between 0 and 1")
        if self.slow < 0:
            raise FaultSpecError(f"fault slow={self.slow} must not be negative (seconds per record)")
        for name in ("close_after", "times"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise FaultSpecError(f"fault {name}={value} must not be negative")
        self._random = random.Random(self.seed)

    def fires(self, kind: str) -> bool:
        """Whether the fault ``kind`` happens at this opportunity (and count it when it does)."""
        probability = float(getattr(self, kind))
        if probability <= 0.0 or (self.times is not None and self.fired[kind] >= self.times):
            return False
        if probability < 1.0 and self._random.random() >= probability:
            return False
        self.fired[kind] += 1
        return True

    def drop_side(self) -> str | None:
        """``"request"``, ``"answer"`` or None: whether this receiveResponseXML is lost, and where."""
        if self.fires("drop_request"):
            return "request"
        if self.fires("drop_answer"):
            return "answer"
        if self.fires("drop"):
            return self._random.choice(("request", "answer"))
        return None

    def closes_after(self, relayed: int) -> bool:
        """Whether the update stops now that ``relayed`` message sets went through this session."""
        if self.close_after is None or relayed < self.close_after:
            return False
        if self.times is not None and self.fired["close_after"] >= self.times:
            return False
        self.fired["close_after"] += 1
        return True

    def busy_code(self) -> int:
        """The status code of a busy answer."""
        return self._random.choice(BUSY_CODES)

    @classmethod
    def parse(cls, text: str) -> ConnectorFaults:
        """Faults from ``seed=1,drop=0.1,busy=0.05,close_after=3,...`` (the CLI's ``--faults``)."""
        known = {f.name: f for f in fields(cls) if f.init}
        values: dict[str, float | int | None] = {}
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, sep, raw = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in known:
                raise FaultSpecError(
                    f"unknown fault {item!r}: use name=value with a name among {', '.join(known)}"
                )
            raw = raw.strip()
            try:
                if name in ("seed", "close_after", "times"):
                    values[name] = None if raw.lower() in ("", "none", "off") else int(raw)
                else:
                    values[name] = float(raw)
            except ValueError:
                raise FaultSpecError(f"fault {name}={raw!r} is not a number") from None
        return cls(**values)  # type: ignore[arg-type]

    def describe(self) -> str:
        """The faults that are on, as ``parse`` reads them."""
        on = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if f.init and f.name != "seed" and getattr(self, f.name) not in (0.0, None)
        ]
        return ",".join([f"seed={self.seed}", *on])
