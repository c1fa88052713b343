"""Facts about the repository under test: git, pyproject.toml, version, changelog, nox argv."""
