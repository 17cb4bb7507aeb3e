"""The circular block bootstrap of a time-ordered series, with a data-chosen block length.

Latencies measured back to back are not independent: thermal drift, clock changes and
bursts of background work make neighbouring runs alike. Resampling single runs (the iid
bootstrap) then understates the uncertainty. The circular block bootstrap (Politis and
Romano 1992) resamples blocks of ``b`` consecutive runs instead, wrapping around the end
so every run is drawn equally often, which keeps the short-range dependence inside each
block.

The block length comes from the data, by Politis and White (2004), "Automatic
block-length selection for the dependent bootstrap", Econometric Reviews 23(1), with the
correction of Patton, Politis and White (2009), Econometric Reviews 28(4): the
autocorrelations pick a bandwidth ``M``, a flat-top lag window estimates the long-run
variance ``g`` and its weighted sum ``G``, and ``b = (2 G² / D)^(1/3) n^(1/3)`` with
``D = 4/3 g²`` for the circular bootstrap. It is the same rule as ``arch``'s
``optimal_block_length``. Only numpy is needed (imported where used: the base install
has no numpy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

# Replicates per chunk are limited so a chunk's index array stays near this many
# elements (about 16 MB of int64): a 512 MB board must not hold every replicate at once.
CHUNK_ELEMENTS = 2_000_000


def autocovariances(x: Any, max_lag: int) -> Any:
    """Return the biased sample autocovariances of ``x`` at lags 0..max_lag (numpy array)."""
    import numpy as np

    eps = np.asarray(x, dtype=float) - float(np.mean(x))
    n = eps.shape[0]
    out = np.empty(max_lag + 1)
    for lag in range(max_lag + 1):
        out[lag] = float(eps[lag:] @ eps[: n - lag]) / n
    return out


def politis_white_block_length(x: Any) -> float:
    """Politis-White (2004, corrected 2009) optimal block length for the circular bootstrap.

    Returns a real number ≥ 1 (callers round up). A series too short to estimate the
    dependence (fewer than 8 values) or with no variance gets 1, i.e. the iid bootstrap.
    """
    import numpy as np

    values = np.asarray(x, dtype=float)
    n = values.shape[0]
    if n < 8:
        return 1.0
    kn = max(5, math.ceil(math.log10(n)))
    m_max = min(math.ceil(math.sqrt(n)) + kn, n - 1)
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    acv = autocovariances(values, m_max)
    if acv[0] <= 0:
        return 1.0
    rho = np.abs(acv / acv[0])
    # The smallest m after which kn autocorrelations in a row are insignificant.
    threshold = 2.0 * math.sqrt(math.log10(n) / n)
    m_hat = next(
        (m for m in range(m_max - kn + 1) if np.all(rho[m + 1 : m + kn + 1] < threshold)),
        None,
    )
    bandwidth = m_max if m_hat is None else min(2 * max(m_hat, 1), m_max)
    lags = np.arange(1, bandwidth + 1)
    t = lags / bandwidth
    flat_top = np.where(t <= 0.5, 1.0, 2.0 * (1.0 - t))
    g_weighted = float(np.sum(2.0 * flat_top * lags * acv[1 : bandwidth + 1]))
    long_run = float(acv[0] + np.sum(2.0 * flat_top * acv[1 : bandwidth + 1]))
    if long_run <= 0:
        return 1.0
    d_cb = 4.0 / 3.0 * long_run**2
    block = (2.0 * g_weighted**2 / d_cb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(block, 1.0), b_max))


def block_length(x: Any) -> int:
    """Return the circular bootstrap's block length for ``x`` (Politis-White, rounded up)."""
    return max(1, math.ceil(politis_white_block_length(x)))


def resample_chunks(n: int, block: int, reps: int, rng: Any) -> Iterator[Any]:
    """Yield index arrays of shape (chunk, n): ``reps`` circular block resamples in all.

    The indices point into the series extended by its first ``block - 1`` values
    (:func:`circular`), so a block that runs off the end wraps without a modulo.
    """
    import numpy as np

    blocks = math.ceil(n / block)
    per_chunk = max(1, CHUNK_ELEMENTS // max(n, 1))
    offsets = np.arange(block, dtype=np.int32)
    done = 0
    while done < reps:
        size = min(per_chunk, reps - done)
        starts = rng.integers(0, n, size=(size, blocks), dtype=np.int32)
        index = starts[:, :, None] + offsets
        yield index.reshape(size, blocks * block)[:, :n]
        done += size


def circular(values: Any, block: int) -> Any:
    """Return the series followed by its first ``block - 1`` values (float32, see below)."""
    import numpy as np

    # float32 halves the memory traffic of the resamples; latencies keep 7 digits.
    return np.concatenate([values, values[: block - 1]]).astype(np.float32)


def bootstrap(
    x: Any,
    statistic: Callable[[Any], Any],
    *,
    block: int,
    reps: int,
    rng: Any,
) -> Any:
    """Return ``statistic`` of each circular block resample of ``x``, stacked (reps, ...).

    ``statistic`` takes a 2-D array (one resample per row) and returns one value, or one
    row of values, per resample.
    """
    import numpy as np

    values = np.asarray(x, dtype=float)
    extended = circular(values, block)
    parts = [statistic(extended[index]) for index in resample_chunks(len(values), block, reps, rng)]
    return np.concatenate(parts, axis=0).astype(float)
