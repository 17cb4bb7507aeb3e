"""Collector ingest, stage by stage, in one process: where the CPU per stored sample goes.

``ingest_throughput.py`` measures the whole path (Mosquitto, paho, two processes) and
moves by ±10 % from run to run on a shared VM. This script times each stage the collector
adds to a bare insert, on the same payloads, in one process, taking the best of several
rounds, so a change of a few tenths of a microsecond per sample shows:

1. receiver work without paho: ``subscriber.receive`` (decode with the contract's codec,
   build the table rows) per samples message; and its two halves apart: the typed decode
   alone (``codec.decode_message``, next to msgspec's untyped decode of the same bytes,
   for reference) and ``sample_rows`` on the decoded messages (the tuples and the ``extra``
   column's JSON text);
2. the pipe: ``received.pack`` and ``received.unpack`` of batches of 32, as the receiver
   process and the writer do (and, for reference, plain pickle of the same batches);
3. writer work: ``Store.write`` of 100-message batches (the collector's batch size);
4. the raw ceiling: the same rows with ``sqlite3.executemany``, in transactions of the
   collector's size and of 100,000 rows (what ``ingest_throughput.py`` compares with).

Payloads are what ``ingest_throughput.py``'s publishers send (50 rows per message).
Informational: it prints figures, no target (paho's share is measured only by the
end-to-end script). Run: ``.venv/bin/python bench/ingest_stages.py [--messages 2000]``.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_parts import sample_row, samples_payload  # noqa: E402 - needs ROOT

ROWS = 50
BATCH = 100
SEND_BATCH = 32


def best_cpu(work: Callable[[], object], rounds: int, before: Callable[[], object]) -> float:
    """Return the least process CPU seconds of ``work`` over ``rounds`` (``before`` untimed)."""
    best = float("inf")
    for _ in range(rounds):
        before()
        gc.collect()
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import msgspec

    from edgebench.collector import db
    from edgebench.collector.ingest.subscriber import receive
    from edgebench.collector.received import pack, unpack
    from edgebench.collector.sample_rows import sample_rows
    from edgebench.collector.store import _SQLITE_INSERT_SAMPLES, Store
    from edgebench.shared.codec import decode_message
    from edgebench.shared.topics import TopicLayout

    layout = TopicLayout()
    payloads = []
    for m in range(args.messages):
        device, run = f"dev-{m % 50}", f"run-{m % 50}"
        rows = [sample_row(1_000.0 + m * ROWS + i, i) for i in range(ROWS)]
        topic = f"edgebench/v1/{device}/runs/{run}/samples"
        payloads.append((topic, samples_payload(device, run, m, rows)))
    samples = args.messages * ROWS
    path = Path(tempfile.mkdtemp()) / "stages.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    store = Store(engine)
    store.write([receive(t, p, layout, 0.0) for t, p in payloads[:BATCH]])  # devices, runs

    def clear() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM samples")

    def decode() -> list:
        return [receive(t, p, layout, 0.0, keep_rows=False) for t, p in payloads]

    items = decode()
    table_rows = [row for item in items for row in item.rows]

    def typed() -> list:
        return [decode_message(t, p, layout, keep_raw=False) for t, p in payloads]

    def untyped() -> list:
        return [msgspec.json.decode(p) for _, p in payloads]

    messages = typed()

    def rows_only() -> list:
        return [sample_rows(m.run_id, m.columns) for m in messages]

    batches: list[list] = []

    def fresh_batches() -> None:
        # pack() takes its items (it moves their rows out): decode anew, untimed.
        batches.clear()
        fresh = decode()
        batches.extend(fresh[i : i + SEND_BATCH] for i in range(0, len(fresh), SEND_BATCH))

    def pipe() -> None:
        for batch in batches:
            unpack(pack(batch))

    def pipe_pickle() -> None:
        for batch in batches:
            pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301

    def write() -> None:
        for i in range(0, len(items), BATCH):
            store.write(items[i : i + BATCH])

    def raw(size: int) -> Callable[[], None]:
        def insert() -> None:
            conn = sqlite3.connect(path)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                conn.execute(f"PRAGMA {pragma}")
            for i in range(0, len(table_rows), size):
                conn.executemany(_SQLITE_INSERT_SAMPLES, table_rows[i : i + size])
                conn.commit()
            conn.close()

        return insert

    def nothing() -> None:
        return None

    per = 1e6 / samples
    receive_us = best_cpu(decode, args.rounds, nothing) * per
    typed_us = best_cpu(typed, args.rounds, nothing) * per
    untyped_us = best_cpu(untyped, args.rounds, nothing) * per
    rows_us = best_cpu(rows_only, args.rounds, nothing) * per
    pipe_us = best_cpu(pipe, args.rounds, fresh_batches) * per
    pickle_us = best_cpu(pipe_pickle, args.rounds, fresh_batches) * per
    write_us = best_cpu(write, args.rounds, clear) * per
    raw_batch_us = best_cpu(raw(BATCH * ROWS), args.rounds, clear) * per
    raw_ceiling_us = best_cpu(raw(100_000), args.rounds, clear) * per
    total = receive_us + pipe_us + write_us
    print(f"{args.messages} samples messages of {ROWS} rows; best of {args.rounds} rounds")
    print(f"  receiver work without paho (decode, rows): {receive_us:.2f} us per sample")
    print(f"    typed decode alone (codec):              {typed_us:.2f} us per sample")
    print(f"    (untyped msgspec decode of the same:     {untyped_us:.2f} us per sample)")
    print(f"    sample_rows alone (tuples, extra JSON):  {rows_us:.2f} us per sample")
    print(f"  pipe (pack + unpack, batches of {SEND_BATCH}):     {pipe_us:.2f} us per sample")
    print(f"  (the same batches with plain pickle:       {pickle_us:.2f} us per sample)")
    print(f"  writer (Store.write, {BATCH} messages a batch):  {write_us:.2f} us per sample")
    print(f"  raw insert, {BATCH * ROWS}-row transactions:       {raw_batch_us:.2f} us per row")
    print(f"  raw insert, 100,000-row transactions:      {raw_ceiling_us:.2f} us per row")
    print(
        f"collector without paho: {total:.2f} us per sample = {total / raw_ceiling_us:.2f}x "
        "the 100,000-row ceiling (informational)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
