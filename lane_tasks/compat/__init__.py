"""The compatibility surface (CLI, schemas, a project's public API) and its snapshot."""
