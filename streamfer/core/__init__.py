"""The ground floor: what every other package uses and nothing here imports from above.

Errors (``errors``), label sets (``labels``), the settings' choices (``choices``), rate
meters (``stats``), durable writes and hashes (``durable``), outside text made safe to show
(``safetext``), stderr silencing (``quiet``), and the values the sources and detectors hand
on (``frames``).
"""
