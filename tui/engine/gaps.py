"""Free ranges of the device-memory region, for QEMU's first-fit placement of memory devices.

memory_device_get_free_addr() walks every plugged device in address order; keeping the free
ranges instead gives the same answer without walking hundreds of devices on every plug.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from .units import U64_MAX, align_up


class Gaps:
    """Sorted, disjoint, non-adjacent free ranges [start, end] (inclusive, like QEMU's Range)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def give(self, start: int, size: int) -> None:
        """Mark [start, start+size) free, merging with neighbouring free ranges."""
        end = start + size - 1
        i = bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] + 1 == start:
            i -= 1
            start = self._starts[i]
            del self._starts[i], self._ends[i]
        if i < len(self._starts) and self._starts[i] == end + 1:
            end = self._ends[i]
            del self._starts[i], self._ends[i]
        self._starts.insert(i, start)
        self._ends.insert(i, end)

    def take(self, start: int, size: int) -> None:
        """Mark [start, start+size) used; it must lie inside one free range."""
        end = start + size - 1
        i = bisect_right(self._starts, start) - 1
        starts, ends = self._starts, self._ends
        gap_start, gap_end = starts[i], ends[i]
        assert gap_start <= start and end <= gap_end, "placing over a plugged device"
        if gap_start < start:
            ends[i] = start - 1  # the part before the device stays free
            if end < gap_end:  # and so does the part after it
                starts.insert(i + 1, end + 1)
                ends.insert(i + 1, gap_end)
        elif end < gap_end:
            starts[i] = end + 1  # placed at the start of the gap: the rest stays free
        else:
            del starts[i], ends[i]

    def contains(self, start: int, size: int) -> bool:
        """Whether [start, start+size) is entirely free."""
        i = bisect_right(self._starts, start) - 1
        return i >= 0 and start + size - 1 <= self._ends[i]

    def first_fit(self, start: int, size: int, align: int) -> int | None:
        """QEMU's walk: from `start`, bump past each device in the way to the next aligned
        address after it; the first window that fits before the next device wins."""
        starts, ends = self._starts, self._ends
        # the gaps that end before `start` are skipped: begin at the first that does not
        for i in range(bisect_left(ends, start), len(ends)):
            gap_start, gap_end = starts[i], ends[i]
            if gap_end < start:
                continue
            if start < gap_start:
                start = align_up(gap_start, align)
            if start + size - 1 > U64_MAX:
                return None
            if start + size - 1 <= gap_end:
                return start
        return None
