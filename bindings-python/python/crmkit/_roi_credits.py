"""The per-row credits of ``attribution_frame``, in ``attrs`` without a copy per derived frame
(imported with numpy only: numpy is an optional dependency)."""

from __future__ import annotations

from typing import Any

import numpy as np


class SharedArray(np.ndarray):
    """A read-only array that ``copy.deepcopy`` returns as it is: pandas deep-copies ``attrs``
    into every object derived from a frame (``out["channel"]``, ``out.head()``), which for a
    million journeys' credits was 40 MB copied each time. A writeable one (unpickled) is
    copied as any array. Results computed from it (``credits / 100``) are plain arrays."""

    def __deepcopy__(self, memo: Any) -> Any:
        return self if not self.flags.writeable else np.array(self)

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
        out = np.asarray(array)
        return out[()] if return_scalar else out


def shared(credits: Any) -> Any:
    """``credits`` (a new array nobody else holds) as a read-only :class:`SharedArray`."""
    out = credits.view(SharedArray)
    out.flags.writeable = False
    return out
