"""smdiff-onehot: Grid (one-hot) tokenizers melody and trio, and the SCHmUBERT grid models."""
