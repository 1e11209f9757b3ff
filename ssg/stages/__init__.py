"""The build stages, in pipeline order: discover and parse sources (content), assemble the
site model (assemble), convert Markdown (markdown, shortcodes), plan and render every output
(render, templates), index for search (search). Keys name what an output read (keys)."""
