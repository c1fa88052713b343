"""Generated documentation: docs/lanes.md and the role quickstarts."""
