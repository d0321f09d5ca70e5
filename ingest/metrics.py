"""Prometheus metrics of one ingest worker, on its own registry.

The message counters count each message once, when the batch that holds it commits: a batch
that is retried, or delivered again after a reconnect, is not counted per attempt.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class IngestMetrics:
    """Counters, gauges and histograms the worker updates; served on an HTTP port."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "sp_ingest_received",
            "Messages received from the broker, counted once their batch commits",
            ["kind"],
            registry=r,
        )
        self.committed = Counter(
            "sp_ingest_committed_messages",
            "Messages committed to the store (a replay of a stored one is a duplicate instead)",
            registry=r,
        )
        self.committed_rows = Counter(
            "sp_ingest_committed_rows", "House reading rows committed", registry=r
        )
        self.duplicates = Counter(
            "sp_ingest_duplicates", "Replayed messages the ledger already held", registry=r
        )
        self.dead_letters = Counter(
            "sp_ingest_dead_letters", "Messages stored as dead letters", registry=r
        )
        self.forged = Counter(
            "sp_ingest_forged",
            "Messages under a feeder's name it did not send (no right seal, or other content "
            "under a key already stored)",
            registry=r,
        )
        self.marks_refused = Counter(
            "sp_ingest_marks_unsigned",
            "Committed marks not published: HQ has no key of the feeder",
            registry=r,
        )
        self.db_errors = Counter(
            "sp_ingest_db_errors", "Failed database transactions (retried)", registry=r
        )
        self.batch_seconds = Histogram(
            "sp_ingest_batch_seconds",
            "Time to write and commit one batch",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.commit_latency = Histogram(
            "sp_ingest_commit_latency_seconds",
            "From receipt of a message to its commit",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=r,
        )
        self.queue_depth = Gauge(
            "sp_ingest_queue_depth", "Messages waiting for the writer", registry=r
        )
        self.lag = Gauge(
            "sp_ingest_lag_seconds",
            "Age of the newest committed data (now minus its timestamp)",
            registry=r,
        )
        self.connected = Gauge(
            "sp_ingest_broker_connected", "1 while connected to the broker", registry=r
        )

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Serve /metrics on `port` in a daemon thread (0 turns it off)."""
        if port:
            start_http_server(port, addr=addr, registry=self.registry)
