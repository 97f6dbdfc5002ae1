"""Online scoring: micro-batched ONNX inference on the events topic."""
