"""smdiff-slurm: SLURM home-sync storage, job scripts and requeue for smdiff."""
