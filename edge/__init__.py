"""The transformer controller: meter inputs, control loop, signed switching, outbox and uplink."""
