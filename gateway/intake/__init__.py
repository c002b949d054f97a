"""Intake: provincial export files from the inbox into the message store.

``Inbox`` is the folder convention (inbox, processing, archive, rejected); ``Ingester`` translates
one file and writes every good record as a message and every bad one as a rejected input.
"""

from __future__ import annotations

from gateway.intake.inbox import Inbox, InboxFile
from gateway.intake.ingest import FileReport, Ingester

__all__ = ["FileReport", "Inbox", "InboxFile", "Ingester"]
