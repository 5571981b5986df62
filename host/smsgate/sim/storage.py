"""Message stores (SM, ME, SR): fixed capacity, indexed slots, 27.005 status values."""

from __future__ import annotations

# 27.005 §3.1 <stat>: PDU value <-> text value
STAT_TEXT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")


class Slot:
    """One stored message: status, the PDU (hex, SMSC included) and its TPDU length."""

    def __init__(self, stat: int, pdu: str, tpdu_len: int, kind: str = "sms") -> None:
        self.stat = stat
        self.pdu = pdu
        self.tpdu_len = tpdu_len
        self.kind = kind  # "sms" (DELIVER) or "report" (STATUS-REPORT)

    def as_dict(self, index: int) -> dict:
        return {"index": index, "stat": STAT_TEXT[self.stat], "pdu": self.pdu, "kind": self.kind}


class Store:
    """A memory ("SM", "ME", "SR") with `capacity` slots numbered from `base`."""

    def __init__(self, name: str, capacity: int, base: int) -> None:
        self.name = name
        self.capacity = capacity
        self.base = base
        self.slots: dict[int, Slot] = {}

    @property
    def used(self) -> int:
        return len(self.slots)

    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def valid(self, index: int) -> bool:
        return self.base <= index < self.base + self.capacity

    def put(self, slot: Slot) -> int | None:
        """Store in the lowest free slot; None when full."""
        for i in range(self.base, self.base + self.capacity):
            if i not in self.slots:
                self.slots[i] = slot
                return i
        return None

    def delete_flag(self, flag: int) -> None:
        """CMGD delflag 1..4: read; read+sent; read+sent+unsent; all (27.005 §3.5.4)."""
        drop = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}[flag]
        for i in [i for i, s in self.slots.items() if s.stat in drop]:
            del self.slots[i]

    def listing(self) -> list[dict]:
        return [self.slots[i].as_dict(i) for i in sorted(self.slots)]


class Stores:
    """All memories of one modem."""

    def __init__(self, capacities: dict[str, int], base: int) -> None:
        self.by_name = {n: Store(n, c, base) for n, c in capacities.items()}

    def __getitem__(self, name: str) -> Store:
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def as_dict(self) -> dict:
        return {
            n: {"used": s.used, "total": s.capacity, "messages": s.listing()}
            for n, s in self.by_name.items()
        }
