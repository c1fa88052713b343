"""Release rules: a named owner's decision on a version, and the checklist every version cut has."""
