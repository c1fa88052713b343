"""lane_tasks runs its own lanes: `nox -l` lists them, `nox -s startup` runs one."""

from lane_tasks.nox_sessions import register

register()
