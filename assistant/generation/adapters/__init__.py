"""LoRA domain adapters: training data (data), training (train), storage (registry), serving several
adapters on one base model (serving) and PubMedQA-style evaluation (evaluate)."""
