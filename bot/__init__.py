"""Hindsight's services: one package per domain, infrastructure beside them (ARCHITECTURE.md).

Transactions are owned one way: whoever opens a session commits it.

- A service given `session` (an AsyncSession, keyword-only) never commits or rolls it back: its
  caller owns the transaction and commits once the whole change is made.
- A service given `sessions` (the async_sessionmaker) opens and commits its own short
  transactions (its private helpers may commit the session it opened, on its behalf). Used
  where Slack calls come between writes, so that no write lock (SQLite) or row lock
  (PostgreSQL) is held while waiting on Slack.
- Handlers and jobs open sessions (or pass `sessions` on) and commit.

Every "now" comes from the runtime's clock (`Runtime.clock`, `context["clock"]` in a handler),
passed down as `now`; audit rows are written by `bot.audit.record` alone.
"""
