"""Reuse between builds: the fingerprints of dependency keys, the saved build state, and the
quick front end for body-only edits in the dev server."""
