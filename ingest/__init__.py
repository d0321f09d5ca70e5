"""MQTT ingest worker: edge→HQ messages into the store, nothing lost, nothing twice."""
