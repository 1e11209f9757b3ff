"""The dev server: `devserver` (lifecycle and rebuild loop, entry point `serve`), `http`
(binding, request checks, pages with the LiveReload client), `reload` (which open pages a
change reloads) and `watch` (batches of changed sources)."""
