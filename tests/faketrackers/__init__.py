"""Fake trackers for tests: GitHub and Jira over real HTTP on loopback, issues kept in memory,
with injected faults (5xx, rate limits, answers slower than the client waits)."""
