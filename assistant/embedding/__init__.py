"""Embedding models: the bundled MiniLM (sentence-transformers) and its ONNX int8 variant."""
