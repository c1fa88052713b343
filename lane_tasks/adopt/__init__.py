"""Adopting the lanes: `lane-tasks init`, the checks it proposes, the noxfile, the first lane."""
