"""Artifacts in other tools' formats (SARIF for code-scanning UIs)."""
