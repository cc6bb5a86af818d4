"""Ports: the small interfaces the core uses to reach the outside world."""
