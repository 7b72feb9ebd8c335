"""What a model reads, shared by training and inference: tokenizer, alignment, windows, sentence examples."""
