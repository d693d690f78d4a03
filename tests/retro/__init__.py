"""Tests of bot/retro/ and its handlers."""
