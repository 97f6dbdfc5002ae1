"""Point-in-time datasets, reproducible training to ONNX, the MLflow registry and its gates."""
