"""The kernel's own plugins; registered by :mod:`smdiff.plugins` exactly like third-party ones."""
