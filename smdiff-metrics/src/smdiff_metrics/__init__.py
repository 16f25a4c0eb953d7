"""smdiff-metrics: Musical metrics, reports and plots for smdiff samples."""
