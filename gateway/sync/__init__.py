"""Delivery to the national portal: the outbox relay and the sync workers."""

from __future__ import annotations
