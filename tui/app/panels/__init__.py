"""One widget per panel; each renders (config, report) and posts messages, nothing else."""
