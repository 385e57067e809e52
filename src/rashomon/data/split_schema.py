"""Schema of metrics/split.json: what the split stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""


SplitMetrics = dict[str, float]                 # "<scheme>/<subset>": image count
