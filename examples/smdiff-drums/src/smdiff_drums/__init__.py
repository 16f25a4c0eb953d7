"""smdiff-drums: an example smdiff plugin registering MusicVAE's 9-class drum grid tokenizer."""
