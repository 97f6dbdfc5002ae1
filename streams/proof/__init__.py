"""Proof that the pipeline holds up: the whole service set as processes, faults injected into
it (kill -9, Redis and broker restarts, fuzzed input), every event id accounted for, and the
end-to-end benchmark."""
