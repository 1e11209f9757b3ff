"""The dev server: HTTP, live reload, watching sources, and its build loop."""
