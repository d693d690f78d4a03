"""Tests of bot/publish/ and its handlers."""
