"""Action items in the team's tracker (GitHub Issues or Jira), kept in step both ways.

shapes (pure: what a tracker is asked and answers), config (the settings), http (the one httpx
client and how a tracker's refusal is read), github and jira (the adapters), outbox (durable
intents: enqueue, claim, run, retry), filing (an action item as an issue), sync (the tracker's
state applied to an item: webhooks and polling), webhooks (the two HTTP endpoints).
"""
