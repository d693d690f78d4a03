"""Tests of bot/timeline/ and its handlers."""
