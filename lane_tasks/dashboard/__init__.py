"""The program dashboard: a model read from the history, rendered as one static HTML file."""
