"""Tests of bot/incidents/ and its handlers."""
