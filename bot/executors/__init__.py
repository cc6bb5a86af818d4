"""Rollback executors: one per kind, logic only, talking to ports (never to SDKs)."""
