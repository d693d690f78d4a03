"""Installations: which workspaces this deployment serves, and with which token.

One workspace (SLACK_BOT_TOKEN, `bot/installation.py`) or many (Slack's OAuth v2 install flow
through Bolt's AsyncOAuthFlow, installations and states on our own tables, tokens encrypted at
rest); `clients.TeamClients` gives the jobs each team's client either way.
"""
