"""Writing the output folder: staging every file, then one atomic commit."""
