"""Entry-point module of smdiff-slurm: cheap to import, it only describes what the package registers."""
