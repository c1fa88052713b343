"""The KPIs computed from the run history, and the weekly review of them."""
