"""Action items in the team's tracker (GitHub Issues or Jira), kept in step both ways.

shapes (pure: what a tracker is asked and answers), config (the settings), http (the one httpx
client and how a tracker's refusal is read), github and jira (the adapters; adapters builds the
configured one), outbox (durable intents: enqueue, drain, record, retry) with lease (claiming
them) and perform (one intent read, then asked of the tracker), runs (the drain and the poll as
serve's jobs, the kick after a press and `hindsight sync --once` run them), filing (an action
item as an issue), sync (the tracker's state applied to an item: webhooks and polling),
webhooks (the two HTTP endpoints).
"""
