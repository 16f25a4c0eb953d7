"""A plain PyTorch training loop, one file per concern."""
