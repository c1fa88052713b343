"""lane_tasks runs its own lanes: `nox -l` lists them, `nox -s startup` or `nox` runs one."""

from lane_tasks.nox_sessions import register

register(default_session=True)
