"""Alert notifications (DESIGN §11): recipients, routes, grouping, inhibition, escalation and a
durable delivery outbox.

    routes (store) ─┐
    alerts (store) ─┼─ notify.decide ── notify.rules (pure) ── notify.compose (pure)
    notices (store)─┘        │
                             └─ notify.outbox: messages, deliveries, notices, audit (one txn)
                                     │
                      notify.sender ─┴─ notify.channels (apprise: e-mail, SMS, Telegram, webhooks)

`python -m notify` runs both halves: every second it decides what is owed and queues it, and it
drains the outbox with retries. Scheduled reports use the same outbox
(`notify.outbox.enqueue_report`).
"""
