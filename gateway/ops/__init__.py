"""Operators' tools behind ``dvcgw dead``, ``dvcgw replay`` and ``dvcgw trace``.

The library half of those commands, one concept per module, each usable without the command line:

* ``times``: the times operators type and read (ISO 8601, Asia/Ho_Chi_Minh unless an offset says
  otherwise);
* ``dead``: the dead letters, listed and shown one by one (reason, attempts, packet, original bytes);
* ``selection``: which dead messages a replay takes (the latest revision of each dossier) and why
  it skips the others;
* ``remap``: re-translating a dead message's original record with today's mapping, and the field
  diff against the packet that died;
* ``replay``: handing the chosen messages back to the pipeline through the store, recorded;
* ``handover``: publishing what the store holds as pending once, when RabbitMQ is there;
* ``trace``: the life of one dossier, from the store and from the portal.

Nothing here logs a packet or an original record: those hold personal data. The commands print
them to the operator who asked; logs carry ids and counts only.
"""
