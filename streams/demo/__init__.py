"""``eventml demo``: the synthetic card-transaction world and the walk-through that runs it."""
