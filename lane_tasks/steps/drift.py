"""The drift-check step. Registered now so lanes that need it fail loudly until it is built."""

from __future__ import annotations

from lane_tasks.steps.base import not_implemented

run = not_implemented("drift-check", issue=6)
