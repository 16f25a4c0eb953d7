"""From MIDI files to memory-mapped token caches, and back."""
