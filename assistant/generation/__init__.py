"""Generation: the local generator (SmolLM2 or any local HF model, with LoRA adapters), its decode loop, the prompt, and the OpenAI-compatible remote generator."""
