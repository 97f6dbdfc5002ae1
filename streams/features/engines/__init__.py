"""Production executors of the feature core: Bytewax (default) and Faust.

Both feed :class:`~streams.features.aggregator.FeatureAggregator` in batches and hand its
results to the same :class:`~streams.features.engines.writer.FeatureWriter`.
"""
