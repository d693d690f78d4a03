"""Tests of bot/followup/ and its handlers."""
