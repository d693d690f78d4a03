"""Incidents: declaring them, their channel and pinned header, and their lifecycle."""
