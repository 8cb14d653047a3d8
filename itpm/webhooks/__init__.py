"""Webhooks: signed deliveries of itpm's change events to outside systems (Standard Webhooks)."""
