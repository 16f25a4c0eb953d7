"""Entry-point module of smdiff-metrics: cheap to import, it only describes what the package registers."""
