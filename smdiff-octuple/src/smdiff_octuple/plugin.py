"""Entry-point module of smdiff-octuple: cheap to import, it only describes what the package registers."""
