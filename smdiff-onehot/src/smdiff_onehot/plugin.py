"""Entry-point module of smdiff-onehot: cheap to import, it only describes what the package registers."""
