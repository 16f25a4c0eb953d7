"""smdiff-octuple: MusicBERT Octuple tokenizers, the octuple denoiser and bar maskers."""
