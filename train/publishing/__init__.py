"""A run folder made into a model others load with plain transformers: model card, ONNX export."""
